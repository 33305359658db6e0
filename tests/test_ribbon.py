"""The ribbon XML and its VBA callback module (SPEC section 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET

from xlfin.excel.ribbon import (
    CUSTOMUI_NAMESPACE,
    ENTRIES,
    RIBBON_ICONS,
    RIBBON_LABELS,
    customui_xml,
    ribbon_callbacks,
    ribbon_module_source,
    write_macro_sources,
)
from xlfin.vba.check import callback_problems

REPO = Path(__file__).resolve().parents[1]
NS = {"ui": CUSTOMUI_NAMESPACE}
# SPEC §6 as a user sees it: each group's buttons, (label, macro it runs), in order
SPEC_ZH_LAYOUT = [
    ("数据", [("校验", "xlfin_validate")]),
    ("应收", [("核销", "xlfin_reconcile"), ("账龄", "xlfin_aging"), ("催收清单", "xlfin_dunning"),
            ("催款函", "xlfin_letters"), ("导入银行流水", "xlfin_import_bank"), ("对账单", "xlfin_statements"),
            ("发送", "xlfin_send")]),
    ("分析", [("信用评估", "xlfin_scorecard"), ("仪表板", "xlfin_dashboard"), ("预测", "xlfin_forecast"), ("全部重算", "xlfin_regenerate_all")]),
    ("台账", [("载入台账", "xlfin_ledger_load"), ("收款过账", "xlfin_ledger_reconcile"), ("台账报表", "xlfin_ledger_report"),
            ("导出台账", "xlfin_ledger_export")]),
    ("帮助", [("关于", "xlfin_about"), ("设置", "xlfin_settings")]),
]


def _layout(lang: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    root = SafeET.fromstring(customui_xml(lang).encode("utf-8"))
    tab = root.find("ui:ribbon/ui:tabs/ui:tab", NS)
    assert tab is not None
    return [
        (
            group.get("label"),
            [(b.get("label"), b.get("onAction"), b.get("imageMso")) for b in group.findall("ui:button", NS)],
        )
        for group in tab.findall("ui:group", NS)
    ]


def test_english_ribbon_matches_spec() -> None:
    root = SafeET.fromstring(customui_xml("en").encode("utf-8"))
    assert root.tag == f"{{{CUSTOMUI_NAMESPACE}}}customUI"
    assert root.find("ui:ribbon/ui:tabs/ui:tab", NS).get("label") == "xlfin"
    layout = [(group, [label for label, _, _ in buttons]) for group, buttons in _layout("en")]
    assert layout == [
        ("Data", ["Validate"]),
        ("Receivables", ["Reconcile", "Aging", "Dunning List", "Letters", "Import Bank File", "Statements", "Send"]),
        ("Analysis", ["Scorecard", "Dashboard", "Forecast", "Regenerate All"]),
        ("Ledger", ["Load into Ledger", "Post Cash", "Reports from Ledger", "Export Ledger"]),
        ("Help", ["About", "Settings"]),
    ]


def test_chinese_ribbon_matches_spec() -> None:
    root = SafeET.fromstring(customui_xml("zh-CN").encode("utf-8"))
    assert root.find("ui:ribbon/ui:tabs/ui:tab", NS).get("label") == "客户财务"
    layout = [(group, [(label, action) for label, action, _ in buttons]) for group, buttons in _layout("zh-CN")]
    assert layout == SPEC_ZH_LAYOUT


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_button_has_icon_and_callback(lang: str) -> None:
    buttons = [b for _, group in _layout(lang) for b in group]
    assert [action for _, action, _ in buttons] == [f"xlfin_{entry}" for entry in ENTRIES]
    assert all(icon == RIBBON_ICONS[action[6:]] for _, action, icon in buttons)
    ids = re.findall(r' id="([^"]+)"', customui_xml(lang))
    assert len(ids) == len(set(ids))


def test_label_tables_cover_the_same_keys() -> None:
    assert set(RIBBON_LABELS) == {"en", "zh-CN"}
    assert RIBBON_LABELS["en"].keys() == RIBBON_LABELS["zh-CN"].keys()
    assert all(value.strip() for labels in RIBBON_LABELS.values() for value in labels.values())


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="ribbon language 'fr'"):
        customui_xml("fr")
    with pytest.raises(ValueError, match="ribbon language"):
        ribbon_module_source("de")


def test_module_has_one_public_callback_per_button() -> None:
    source = ribbon_module_source("en")
    assert source.startswith('Attribute VB_Name = "xlfinRibbon"\r\n')
    assert "\n" not in source.replace("\r\n", "")
    source.encode("ascii")
    subs = re.findall(
        r"^Public Sub (\w+)\(control As IRibbonControl\)\r\n    RunPython \"([^\"]+)\"\r\nEnd Sub",
        source,
        re.MULTILINE,
    )
    assert dict(subs) == {
        callback: f"import xlfin.excel.macros as m; m.{entry}()" for callback, entry in ribbon_callbacks().items()
    }
    assert list(ribbon_callbacks().values()) == list(ENTRIES)
    assert ENTRIES == (
        "validate",
        "reconcile",
        "aging",
        "dunning",
        "letters",
        "import_bank",
        "statements",
        "send",
        "scorecard",
        "dashboard",
        "forecast",
        "regenerate_all",
        "ledger_load",
        "ledger_reconcile",
        "ledger_report",
        "ledger_export",
        "about",
        "settings",
    )


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_xml_callbacks_and_module_agree(lang: str) -> None:
    assert callback_problems(customui_xml(lang), {"xlfinRibbon": ribbon_module_source(lang)}) == []


def test_committed_macro_sources_are_current(tmp_path: Path) -> None:
    written = write_macro_sources(tmp_path)
    assert [p.name for p in written] == ["customUI14.xml", "xlfinRibbon.bas"]
    for path in written:
        committed = REPO / "macros" / path.name
        assert committed.read_bytes() == path.read_bytes(), f"{committed} is stale: run write_macro_sources"
    assert (tmp_path / "xlfinRibbon.bas").read_bytes().count(b"\r\n") > 10


def test_macros_module_provides_every_entry() -> None:
    from xlfin.excel import macros

    missing = [entry for entry in ENTRIES if not callable(getattr(macros, entry, None))]
    assert missing == []


def test_ledger_group_labels_come_from_the_i18n_catalogue() -> None:
    """One source of truth: the Ledger buttons are labelled as the alerts name them (i18n.ACTION_LABELS)."""
    from xlfin.excel.ribbon import LEDGER_ENTRIES
    from xlfin.schema.i18n import ACTION_LABELS, STRINGS

    assert LEDGER_ENTRIES == ("ledger_load", "ledger_reconcile", "ledger_report", "ledger_export")
    for lang in ("en", "zh-CN"):
        assert RIBBON_LABELS[lang]["group.ledger"] == STRINGS["ribbon_group_ledger"][lang]
        assert [RIBBON_LABELS[lang][e] for e in LEDGER_ENTRIES] == [ACTION_LABELS[e][lang] for e in LEDGER_ENTRIES]
    root = SafeET.fromstring(customui_xml("en").encode("utf-8"))
    group = root.find("ui:ribbon/ui:tabs/ui:tab/ui:group[@id='xlfinGroupLedger']", NS)
    assert [b.get("id") for b in group.findall("ui:button", NS)] == [
        "xlfinLedgerLoad", "xlfinLedgerReconcile", "xlfinLedgerReport", "xlfinLedgerExport"]
    assert all(b.get("size") == "large" for b in group.findall("ui:button", NS))
