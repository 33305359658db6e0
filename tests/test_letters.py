"""Dunning letters: both languages, HTML escaping, the .eml, user templates and the sandbox."""

from __future__ import annotations

import datetime as dt
from email import policy
from email.parser import BytesParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xlfin.engine.dunning import attach_letters, build_dunning, log_rows
from xlfin.outreach.letters import (
    LetterTemplateError,
    letter_paths,
    render_letters,
    safe_file_stem,
)
from xlfin.schema.settings import DEFAULT_DUNNING_LEVELS, Settings

AS_OF = dt.date(2026, 6, 30)


def company(**kw) -> Settings:
    base = {"dunning_interest_pa": 10, "company_name": "Acme Trading Co., Ltd.",
            "company_address": "1 Harbour Road\nShanghai", "company_bank": "Bank of Example, account 6222 0000 1111",
            "company_email": "ar@acme.example", "company_phone": "+86 21 5555 0100"}
    base.update(kw)
    return Settings(**base)


def frames(name_a: str = "Alpha Ltd", contact_a: str = "Ms Li") -> tuple[pd.DataFrame, pd.DataFrame]:
    due = [AS_OF - dt.timedelta(days=d) for d in (75, 40, 20)]
    items = pd.DataFrame({
        "invoice_no": ["INV-001", "INV-002", "INV-B1"],
        "doc_type": "Invoice",
        "customer_id": ["A", "A", "B/2"],
        "invoice_date": pd.to_datetime([d - dt.timedelta(days=30) for d in due]).astype("datetime64[s]"),
        "due_date": pd.to_datetime(due).astype("datetime64[s]"),
        "amount": np.array([1000000, 234560, 50000], dtype=np.int64),
        "outstanding": np.array([1000000, 234560, 50000], dtype=np.int64),
        "disputed": False,
        "currency": "CNY",
    })
    customers = pd.DataFrame({
        "customer_id": ["A", "B/2"], "name": [name_a, "Beta"], "contact": [contact_a, ""],
        "email": ["li@alpha.example", "pay@beta.example; ap@beta.example"], "phone": ["021-1234", ""],
        "status": ["Active", "Active"], "dunning_hold": [False, False], "currency": ["CNY", "CNY"],
    })
    return items, customers


def dun(lang: str = "en", settings: Settings | None = None, **kw):
    items, customers = frames(**kw)
    settings = settings or company(language=lang)
    log = pd.DataFrame({"date": [pd.Timestamp(AS_OF - dt.timedelta(days=10))], "customer_id": ["A"], "level": [3],
                        "invoices": ["INV-001"], "total_due": [0], "letter": [""]})
    run = build_dunning(items, customers, DEFAULT_DUNNING_LEVELS[lang], log, settings, AS_OF)
    return run, customers, settings


def parse_eml(path: Path):
    with path.open("rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


def test_english_letters_all_formats(tmp_path: Path) -> None:
    run, customers, settings = dun("en")
    letters = render_letters(run, customers, settings, tmp_path, "en", AS_OF)
    assert set(letters) == {"A", "B/2"}
    a = letters["A"]
    html, text = a.html.read_text("utf-8"), a.txt.read_text("utf-8")
    total = run.notices.set_index("customer_id").loc["A", "total_due"]
    total_text = f"{total / 100:,.2f}"
    for body in (html, text):
        assert "Notice of credit hold and referral for collection".upper() in body.upper()
        assert "Dear Ms Li," in body
        assert "INV-001" in body and "INV-002" in body and "10,000.00" in body and "2,345.60" in body
        assert total_text in body and "100.00" in body  # total and the level-4 fee
        assert "legal advisers" in body and "credit hold" in body.lower()
        assert "Acme Trading Co., Ltd." in body and "Bank of Example" in body
    assert "@page" in html and "A4" in html and "<table" in html
    reminder = letters["B/2"].txt.read_text("utf-8")
    assert "PAYMENT REMINDER" in reminder and "Dear Sir or Madam," in reminder and "Kind regards," in reminder


def test_chinese_letters_formal_wording_and_capital_total(tmp_path: Path) -> None:
    run, customers, settings = dun("zh-CN")
    letters = render_letters(run, customers, settings, tmp_path, "zh-CN", AS_OF)
    notice = run.notices.set_index("customer_id").loc["A"]
    assert notice["level"] == 4
    html, text = letters["A"].html.read_text("utf-8"), letters["A"].txt.read_text("utf-8")
    from xlfin.engine.amount_words import chinese_upper_cents

    capital = "人民币" + chinese_upper_cents(int(notice["total_due"]))
    for body in (html, text):
        for phrase in ("尊敬的Alpha Ltd：", "贵公司", "截至2026年6月30日", "逾期", "此致", "敬礼！",
                       "Acme Trading Co., Ltd.（盖章）", "暂停", "法务", "应付总额", "大写", capital, "特此函告"):
            assert phrase in body, phrase
    assert 'lang="zh-CN"' in html
    reminder = letters["B/2"].txt.read_text("utf-8")
    assert "付款提醒函" in reminder and "敬请贵公司" in reminder
    b_total = int(run.notices.set_index("customer_id").loc["B/2", "total_due"])
    assert "人民币" + chinese_upper_cents(b_total) in reminder


def test_each_level_uses_its_template(tmp_path: Path) -> None:
    items, customers = frames()
    expected = {1: "PAYMENT REMINDER", 2: "SECOND NOTICE", 3: "FINAL NOTICE", 4: "REFERRAL FOR COLLECTION"}
    for level, heading in expected.items():
        log = pd.DataFrame({"date": [pd.Timestamp(AS_OF - dt.timedelta(days=5))], "customer_id": ["A"],
                            "level": [level - 1], "invoices": [""], "total_due": [0], "letter": [""]})
        run = build_dunning(items, customers, DEFAULT_DUNNING_LEVELS["en"], log if level > 1 else log.iloc[0:0],
                            company(), AS_OF)
        assert run.notices.set_index("customer_id").loc["A", "level"] == level
        letters = render_letters(run, customers, company(), tmp_path / str(level), "en", AS_OF)
        assert heading in letters["A"].txt.read_text("utf-8")
        assert letters["A"].html.name == f"2026-06-30_A_L{level}.html"


def test_customer_markup_and_formulas_are_escaped_text(tmp_path: Path) -> None:
    run, customers, settings = dun("en", name_a="<script>alert('x')</script> Corp", contact_a='=HYPERLINK("http://evil","x")')
    html = render_letters(run, customers, settings, tmp_path, "en", AS_OF)["A"].html.read_text("utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Corp" in html
    assert "=HYPERLINK(&#34;http://evil&#34;,&#34;x&#34;)" in html
    assert 'HYPERLINK("http' not in html


def test_eml_parses_back_with_both_parts(tmp_path: Path) -> None:
    run, customers, settings = dun("en")
    letters = render_letters(run, customers, settings, tmp_path, "en", AS_OF)
    msg = parse_eml(letters["A"].eml)
    assert msg["To"].addresses[0].addr_spec == "li@alpha.example"
    assert msg["From"].addresses[0].addr_spec == "ar@acme.example"
    assert msg["Subject"].startswith("Notice of credit hold and referral for collection")
    assert msg["X-Unsent"] == "1" and msg["Date"].datetime.date() == AS_OF
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    total = run.notices.set_index("customer_id").loc["A", "total_due"]
    for body in (plain, html):
        assert f"{total / 100:,.2f}" in body and "10,000.00" in body
    assert "<table" in html and "<table" not in plain
    several = parse_eml(letters["B/2"].eml)
    assert [a.addr_spec for a in several["To"].addresses] == ["pay@beta.example", "ap@beta.example"]


def test_chinese_eml_subject_and_body(tmp_path: Path) -> None:
    run, customers, settings = dun("zh-CN")
    msg = parse_eml(render_letters(run, customers, settings, tmp_path, "zh-CN", AS_OF)["B/2"].eml)
    assert msg["Subject"].startswith("付款提醒函")
    assert "敬请贵公司" in msg.get_body(("plain",)).get_content()


def test_header_injection_and_missing_addresses(tmp_path: Path) -> None:
    settings = company(company_email="", company_name="Evil\r\nBcc: x@y.z")
    items, customers = frames()
    customers.loc[customers["customer_id"] == "A", "email"] = "not an address"
    run = build_dunning(items, customers, DEFAULT_DUNNING_LEVELS["en"], None, settings, AS_OF)
    msg = parse_eml(render_letters(run, customers, settings, tmp_path, "en", AS_OF)["A"].eml)
    assert msg["To"] is None and msg["From"] is None and msg["Bcc"] is None
    assert "\n" not in str(msg["Subject"]) and "Evil Bcc: x@y.z" in str(msg["Subject"])


def test_log_integration_after_letters(tmp_path: Path) -> None:
    run, customers, settings = dun("en")
    paths = letter_paths(render_letters(run, customers, settings, tmp_path, "en", AS_OF))
    rows = log_rows(run, AS_OF, paths)
    assert sorted(rows["customer_id"]) == ["A", "B/2"]
    assert all(Path(p).is_file() for p in rows["letter"])
    assert set(attach_letters(run, paths).notices["letter"]) == set(paths.values())


def test_file_names_are_safe_and_distinct() -> None:
    assert safe_file_stem("C-001") == "C-001"
    assert safe_file_stem("客户001") == "客户001"
    stems = {safe_file_stem(x) for x in ("A/B", "A_B", "A\\B", "../A", "A:B", "CON", "")}
    assert len(stems) == 7
    for stem in stems:
        assert "/" not in stem and "\\" not in stem and ":" not in stem and not stem.startswith(".")
    assert safe_file_stem("CON").upper() != "CON"


def test_empty_run_writes_nothing(tmp_path: Path) -> None:
    items, customers = frames()
    run = build_dunning(items.iloc[0:0], customers, DEFAULT_DUNNING_LEVELS["en"], None, company(), AS_OF)
    assert render_letters(run, customers, company(), tmp_path / "none", "en", AS_OF) == {}
    assert not (tmp_path / "none").exists()


# ---------------------------------------------------------------- user templates and the sandbox


def user_settings(folder: Path) -> Settings:
    return company(letter_template_dir=str(folder))


def test_user_template_wins_by_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "en").mkdir(parents=True)
    (folder / "reminder.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block heading %}Flat override{% endblock %}', "utf-8")
    (folder / "en" / "reminder.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block heading %}Our own friendly note{% endblock %}', "utf-8")
    run, customers, _ = dun("en")
    letters = render_letters(run, customers, user_settings(folder), tmp_path / "out", "en", AS_OF)
    html = letters["B/2"].html.read_text("utf-8")
    assert "Our own friendly note" in html and "Flat override" not in html
    assert "PAYMENT REMINDER" in letters["B/2"].txt.read_text("utf-8")  # the shipped .txt still serves


def test_sandbox_refuses_escape_attempts(tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    folder.mkdir()
    run, customers, _ = dun("en")
    attempts = ["{{ ''.__class__.__mro__ }}", "{{ items.__class__.__base__.__subclasses__() }}",
                "{{ company.name.format.__globals__ }}", "{{ lipsum.__globals__ }}"]
    for attempt in attempts:
        (folder / "reminder.html.j2").write_text("<p>hello</p>\n" + attempt + "\n", "utf-8")
        with pytest.raises(LetterTemplateError) as info:
            render_letters(run, customers, user_settings(folder), tmp_path / "out", "en", AS_OF)
        assert "reminder.html.j2" in str(info.value) and "line 2" in str(info.value), attempt
        assert info.value.line == 2
    assert not (tmp_path / "out").exists()  # nothing written when a template fails


def test_sandbox_error_is_named_as_such(tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "reminder.html.j2").write_text("{{ ''.__class__.__mro__ }}", "utf-8")
    run, customers, _ = dun("en")
    with pytest.raises(LetterTemplateError, match="sandbox"):
        render_letters(run, customers, user_settings(folder), tmp_path / "out", "en", AS_OF)


def test_syntax_error_and_unknown_variable_name_template_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    run, customers, _ = dun("en")
    (folder / "firm.txt.j2").write_text("line one\n{% if %}\n", "utf-8")
    (folder / "legal.html.j2").write_text("a\nb\n{{ no_such_thing }}\n", "utf-8")
    with pytest.raises(LetterTemplateError, match=r"legal\.html\.j2, line 3"):
        render_letters(run, customers, user_settings(folder), tmp_path / "out", "en", AS_OF)
    (folder / "legal.html.j2").unlink()
    (folder / "legal.txt.j2").write_text('{% extends "base.txt.j2" %}{% block opening %}\n\n{% if %}{% endblock %}',
                                         "utf-8")
    with pytest.raises(LetterTemplateError, match=r"legal\.txt\.j2, line 3"):
        render_letters(run, customers, user_settings(folder), tmp_path / "out", "en", AS_OF)


def test_missing_template_folder_and_bad_template_names(tmp_path: Path) -> None:
    run, customers, _ = dun("en")
    with pytest.raises(LetterTemplateError, match="not a folder"):
        render_letters(run, customers, user_settings(tmp_path / "nope"), tmp_path / "out", "en", AS_OF)
    from dataclasses import replace

    from xlfin.schema.settings import DunningLevel

    evil_levels = tuple(DunningLevel(level=lv.level, from_days=lv.from_days, action=lv.action,
                                     template="../../etc/passwd") for lv in run.levels)
    with pytest.raises(LetterTemplateError, match="template name"):
        render_letters(replace(run, levels=evil_levels), customers, company(), tmp_path / "out", "en", AS_OF)
    with pytest.raises(LetterTemplateError, match="language"):
        render_letters(run, customers, company(), tmp_path / "out", "fr", AS_OF)
