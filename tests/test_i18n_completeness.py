"""Every user-facing label exists in en and zh-CN, is not empty, and the zh-CN text is Chinese.

One test case per catalogue entry (ids name the entry), so a gap fails alone and says where it is. The catalogues:
schema tables, columns and closed lists, generated headers, Config keys, run messages and action labels, the ribbon,
dunning exclusion reasons, reconciliation reasons, validation messages, the Start sheet texts, the dunning levels and
the letter templates of every level in both languages.
"""

from __future__ import annotations

import re
import string
import typing
import unicodedata
from collections.abc import Iterator

import pytest

from xlfin.engine import dunning
from xlfin.schema import i18n, settings, validate
from xlfin.outreach import letters
from xlfin.excel import macros
from xlfin.app import operations
from xlfin.excel import ribbon
from xlfin import schema
from xlfin.engine import aging, risk, scorecard
from xlfin.engine.reconcile import engine as reconcile_engine
from xlfin.template import texts

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z]{2,}")
LANGS = ("en", "zh-CN")


def _check_pair(en: object, zh: object) -> None:
    """en and zh are non-empty text; where the English is made of words, the Chinese contains Chinese."""
    assert isinstance(en, str) and en.strip(), f"en label is empty: {en!r}"
    assert isinstance(zh, str) and zh.strip(), f"zh-CN label is empty (en: {en!r})"
    if WORD.search(en):
        assert CJK.search(zh), f"zh-CN label {zh!r} has no Chinese characters (en: {en!r}): copied, not translated?"


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# ---------------------------------------------------------------- schema: tables, columns, choices


TABLES = list(schema.ALL_TABLES) + [schema.aging_table((7, 14, 30))]


def _columns() -> Iterator[tuple[str, schema.Column]]:
    for table in TABLES:
        for column in table.columns:
            yield f"{table.name}.{column.key}", column


def _choices() -> Iterator[tuple[str, schema.Choice]]:
    seen: set[tuple[str, str]] = set()
    for table in schema.ALL_TABLES:
        for column in table.columns:
            for choice in column.choices:
                if (column.key, choice.value) not in seen:
                    seen.add((column.key, choice.value))
                    yield f"{table.name}.{column.key}={choice.value}", choice


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_sheet_name_in_both_languages(table: schema.Table) -> None:
    _check_pair(table.sheet_en, table.sheet_zh)


@pytest.mark.parametrize(("where", "column"), list(_columns()), ids=[w for w, _ in _columns()])
def test_every_column_label_in_both_languages(where: str, column: schema.Column) -> None:
    _check_pair(column.en, column.zh)
    assert column.label("en") == column.en and column.label("zh-CN") == column.zh


@pytest.mark.parametrize(("where", "choice"), list(_choices()), ids=[w for w, _ in _choices()])
def test_every_choice_in_both_languages(where: str, choice: schema.Choice) -> None:
    _check_pair(choice.en, choice.zh)
    assert choice.value.strip()


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
@pytest.mark.parametrize("lang", LANGS)
def test_no_two_columns_of_a_table_share_a_label(table: schema.Table, lang: str) -> None:
    labels = [_norm(c.label(lang)) for c in table.columns]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    assert not duplicates, f"{table.name} ({lang}): columns share the header(s) {duplicates}"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_a_header_in_either_language_names_one_column(table: schema.Table) -> None:
    # Readers accept the key, the en or the zh-CN label: one spelling must never fit two columns.
    owner: dict[str, str] = {}
    for column in table.columns:
        for form in {_norm(column.key.replace("_", " ")), _norm(column.en), _norm(column.zh)}:
            assert owner.setdefault(form, column.key) == column.key, \
                f"{table.name}: header {form!r} fits both {owner[form]} and {column.key}"


def test_start_and_dashboard_sheet_names() -> None:
    for names in (schema.START_SHEET, schema.DASHBOARD_SHEET):
        _check_pair(names["en"], names["zh-CN"])


# ---------------------------------------------------------------- generated headers


def _generated_columns() -> Iterator[tuple[str, schema.Table, schema.Column]]:
    for table in schema.GENERATED_TABLES:
        buckets = set(schema.aging_bucket_labels()) if table.key == "aging" else set()
        for column in table.columns:
            if column.key not in buckets:
                yield f"{table.name}.{column.key}", table, column


@pytest.mark.parametrize(("where", "table", "column"), list(_generated_columns()),
                         ids=[w for w, _, _ in _generated_columns()])
def test_generated_zh_covers_every_generated_key(where: str, table: schema.Table, column: schema.Column) -> None:
    assert column.key in schema.GENERATED_ZH, f"GENERATED_ZH has no zh-CN label for {column.key!r}"
    assert column.zh == schema.GENERATED_ZH[column.key]
    assert column.en == schema.generated_header(column.key)


@pytest.mark.parametrize("edges", [(30, 60, 90, 120), (30, 60), (7, 14, 30)], ids=str)
def test_bucket_headers_follow_the_edges_in_both_languages(edges: tuple[int, ...]) -> None:
    table = schema.aging_table(edges)
    for label in schema.aging_bucket_labels(edges):
        column = table.column(label)
        assert column.en == label and CJK.search(column.zh), (label, column.zh)
    assert schema.aging_bucket_label_zh("Current") == "未到期"


@pytest.mark.parametrize(("what", "keys", "table"), [
    ("scorecard", scorecard.SCORECARD_COLUMNS, schema.SCORECARD),
    ("allocations", reconcile_engine.ALLOCATION_COLUMNS, schema.ALLOCATIONS),
    ("unapplied", reconcile_engine.UNAPPLIED_COLUMNS, schema.UNAPPLIED),
    ("aging detail", aging.DETAIL_COLUMNS, schema.AGING_DETAIL),
    ("dunning", dunning.NOTICE_COLUMNS, schema.DUNNING),
    ("dunning log", dunning.LOG_COLUMNS, schema.DUNNING_LOG),
], ids=lambda v: v if isinstance(v, str) else None)
def test_what_the_engine_writes_has_a_schema_column(what: str, keys, table: schema.Table) -> None:
    assert list(keys) == table.keys, f"{what}: engine columns differ from {table.name}"


def test_write_off_proposals_have_a_schema_column() -> None:
    # the Reconciliation sheet writes the engine's `amount` of a proposal under `writeoff_amount`
    written = ["writeoff_amount" if k == "amount" else k for k in reconcile_engine.WRITEOFF_COLUMNS]
    assert written == schema.WRITEOFFS.keys


# ---------------------------------------------------------------- Config


@pytest.mark.parametrize("key", settings.CONFIG_KEYS, ids=lambda k: k.key)
def test_every_config_key_described_in_both_languages(key: settings.ConfigKey) -> None:
    _check_pair(key.en, key.zh)


def test_config_keys_are_exactly_the_settings() -> None:
    assert set(settings.CONFIG_KEY_NAMES) == set(settings.Settings.model_fields)
    assert len(settings.CONFIG_KEY_NAMES) == len(set(settings.CONFIG_KEY_NAMES))


@pytest.mark.parametrize("lang", LANGS)
def test_config_rows_carry_the_description_of_the_language(lang: str) -> None:
    rows = settings.config_rows(lang)
    assert [r[0] for r in rows] == list(settings.CONFIG_KEY_NAMES)
    for (_key, _value, description), key in zip(rows, settings.CONFIG_KEYS):
        assert description == (key.zh if lang == "zh-CN" else key.en)


def test_default_dunning_levels_are_one_ladder_in_both_languages() -> None:
    en, zh = settings.DEFAULT_DUNNING_LEVELS["en"], settings.DEFAULT_DUNNING_LEVELS["zh-CN"]
    assert [(lv.level, lv.from_days, lv.template, lv.fee) for lv in en] == \
        [(lv.level, lv.from_days, lv.template, lv.fee) for lv in zh]
    for a, b in zip(en, zh):
        _check_pair(a.action, b.action)


# ---------------------------------------------------------------- run messages, actions, ribbon


@pytest.mark.parametrize("key", sorted(i18n.STRINGS), ids=str)
def test_every_string_in_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = i18n.STRINGS[key]
    assert set(entry) == set(LANGS), f"{key}: languages {sorted(entry)}"
    _check_pair(entry["en"], entry["zh-CN"])
    assert _placeholders(entry["en"]) == _placeholders(entry["zh-CN"]), key


@pytest.mark.parametrize("action", sorted(i18n.ACTION_LABELS), ids=str)
def test_every_action_label_in_both_languages(action: str) -> None:
    entry = i18n.ACTION_LABELS[action]
    assert set(entry) == set(LANGS)
    _check_pair(entry["en"], entry["zh-CN"])


def test_every_action_a_run_or_a_button_performs_has_a_label() -> None:
    wanted = set(operations.ACTIONS) | set(macros._ACTIONS)
    assert wanted <= set(i18n.ACTION_LABELS), sorted(wanted - set(i18n.ACTION_LABELS))


def test_ribbon_labels_cover_the_tab_groups_and_buttons_in_both_languages() -> None:
    needed = {"tab", *(f"group.{g}" for g, _ in ribbon.RIBBON_GROUPS), *ribbon.ENTRIES}
    for lang in LANGS:
        assert set(ribbon.RIBBON_LABELS[lang]) == needed, lang
    for key in sorted(needed):
        _check_pair(ribbon.RIBBON_LABELS["en"][key], ribbon.RIBBON_LABELS["zh-CN"][key])


def test_ribbon_labels_are_unique_within_a_language() -> None:
    for lang in LANGS:
        buttons = [ribbon.RIBBON_LABELS[lang][e] for e in ribbon.ENTRIES]
        assert len(buttons) == len(set(buttons)), lang


# ---------------------------------------------------------------- reasons and validation messages


@pytest.mark.parametrize("code", list(dunning.EXCLUSION_REASONS), ids=str)
def test_every_dunning_exclusion_reason_in_both_languages(code: str) -> None:
    en, zh = dunning.EXCLUSION_REASONS[code]
    _check_pair(en, zh)


@pytest.mark.parametrize("code", list(reconcile_engine.REASONS), ids=str)
def test_every_unapplied_reason_in_both_languages(code: str) -> None:
    en, zh = reconcile_engine.REASONS[code]
    _check_pair(en, zh)


@pytest.mark.parametrize("code", sorted(validate.MESSAGES), ids=str)
def test_every_validation_message_in_both_languages(code: str) -> None:
    entry = validate.MESSAGES[code]
    assert set(entry) == set(LANGS), code
    _check_pair(entry["en"], entry["zh-CN"])
    # the caller fills the placeholders the English text needs; the Chinese may use fewer, never others
    extra = _placeholders(entry["zh-CN"]) - _placeholders(entry["en"])
    assert not extra, f"{code}: zh-CN uses placeholders {sorted(extra)} the en text does not"
    assert validate.SEVERITY[code] in ("error", "warning")


def test_every_problem_code_the_readers_emit_has_a_message() -> None:
    from xlfin.schema.frames import _TYPE_CODE

    # every type the readers parse (text-like types are taken as they are) reports with a known message code
    read = schema.INPUT_TABLES + schema.CONFIG_TABLES + (schema.DUNNING_LOG,)
    typed = {c.type for t in read for c in t.input_columns if c.type not in ("text", "email", "phone", "link")}
    assert typed <= set(_TYPE_CODE), sorted(typed - set(_TYPE_CODE))
    assert {_TYPE_CODE[t] for t in typed} <= set(validate.MESSAGES)
    config_codes = typing.get_args(typing.get_type_hints(settings.ConfigProblem)["code"])
    assert {f"config_{c}" for c in config_codes} <= set(validate.MESSAGES)
    assert {"missing_column", "required"} <= set(validate.MESSAGES)


# ---------------------------------------------------------------- Start sheet texts


def _text_pairs() -> Iterator[tuple[str, str, str]]:
    for name in sorted(vars(texts)):
        value = getattr(texts, name)
        if name.startswith("_") or callable(value):
            continue
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
            yield name, value[0], value[1]
        elif isinstance(value, dict):
            for key, pair in value.items():
                yield f"{name}.{key}", pair[0], pair[1]
        elif isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
            for i, row in enumerate(value):
                yield f"{name}[{i}]", row[-2], row[-1]


@pytest.mark.parametrize(("where", "en", "zh"), list(_text_pairs()), ids=[w for w, _, _ in _text_pairs()])
def test_every_start_sheet_text_in_both_languages(where: str, en: str, zh: str) -> None:
    _check_pair(en, zh)
    assert _placeholders(en) == _placeholders(zh), where


def test_start_sheet_explains_every_button() -> None:
    assert set(texts.RIBBON_DOES) == set(ribbon.ENTRIES)


# ---------------------------------------------------------------- letters


LEVEL_TEMPLATES = sorted({lv.template for levels in settings.DEFAULT_DUNNING_LEVELS.values() for lv in levels}
                         | set(letters.LEVEL_TEMPLATES))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", LEVEL_TEMPLATES)
def test_every_level_template_exists_in_both_languages(name: str, lang: str) -> None:
    folder = letters.SHIPPED_TEMPLATE_DIR / lang
    for kind in ("html", "txt"):
        path = folder / f"{name}.{kind}.j2"
        assert path.is_file(), f"missing letter template {path}"
        text = path.read_text(encoding="utf-8")
        assert text.strip(), f"empty letter template {path}"
        if lang == "zh-CN":
            assert CJK.search(text), f"{path} has no Chinese text"
    env = letters.template_environment(settings.defaults(lang), lang)
    blocks = env.get_template(f"{name}.txt.j2").blocks
    assert "subject" in blocks or "heading" in blocks, f"{lang}/{name}.txt.j2: no subject for the e-mail"


@pytest.mark.parametrize("lang", LANGS)
def test_letter_base_templates_exist(lang: str) -> None:
    for base in ("base.html.j2", "base.txt.j2"):
        path = letters.SHIPPED_TEMPLATE_DIR / lang / base
        assert path.is_file() and path.read_text(encoding="utf-8").strip(), path


# ---------------------------------------------------------------- values written into generated tables


def test_every_risk_flag_has_a_label_in_both_languages() -> None:
    for code in risk.FLAG_CODES:
        entry = i18n.STRINGS[f"risk_{code}"]
        _check_pair(entry["en"], entry["zh-CN"])


def test_every_reconciliation_rule_has_a_label_in_both_languages() -> None:
    for rule in reconcile_engine.RULES:
        entry = i18n.STRINGS[f"rule_{rule}"]
        _check_pair(entry["en"], entry["zh-CN"])
