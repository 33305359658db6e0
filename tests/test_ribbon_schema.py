"""The ribbon XML against Microsoft's own definitions (issue 15 item 2), with parsers that are not xlfin's.

- customUI14 validated against customui14.xsd ([MS-CUSTOMUI2], in shared/fixtures/excel) with xmlschema
  (lxml cannot load that schema file), for both languages and for the part inside the built template;
- every imageMso is an Excel control name from Microsoft's list of Excel's built-in controls (same folder):
  Excel draws a blank button for any other name.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from xlfin.excel.ribbon import RIBBON_ICONS, customui_xml
from xlfin.template import build_template

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "excel"
xmlschema = pytest.importorskip("xmlschema")
etree = pytest.importorskip("lxml.etree")


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(FIXTURES / "customui14.xsd"))


@pytest.fixture(scope="module")
def excel_controls() -> set[str]:
    lines = (FIXTURES / "excel_control_ids.txt").read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _image_mso(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    return [el.get("imageMso") for el in root.iter() if el.get("imageMso") is not None]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_customui_is_valid_against_microsofts_schema(lang: str, schema) -> None:
    errors = [str(e.reason) for e in schema.iter_errors(customui_xml(lang))]
    assert errors == []


def test_the_part_in_the_template_is_valid_and_the_schema_catches_mistakes(schema) -> None:
    with zipfile.ZipFile(io.BytesIO(build_template("en"))) as archive:
        part = archive.read("customUI/customUI14.xml")
    schema.validate(part.decode("utf-8"))
    # The validator is not a rubber stamp: an unknown attribute and a bad size value are both refused.
    assert not schema.is_valid(part.decode("utf-8").replace('size="large"', 'size="huge"', 1))
    assert not schema.is_valid(part.decode("utf-8").replace("onAction=", "onClick=", 1))


def test_every_icon_is_an_excel_control_name(excel_controls: set[str]) -> None:
    assert len(excel_controls) > 2000  # the whole list, not a stub
    icons = _image_mso(customui_xml("en").encode("utf-8"))
    assert sorted(icons) == sorted(RIBBON_ICONS.values())
    unknown = sorted(set(icons) - excel_controls)
    assert unknown == [], f"not Excel control names (Excel draws a blank button): {unknown}"


def test_the_icons_the_study_found_are_gone() -> None:
    rejected = {"AcceptInvitation", "MailMergeMatchFields", "EnvelopesAndLabelsDialog", "FilterToggleFilter",
                "DateAndTimeInsert", "Info"}
    assert rejected.isdisjoint(RIBBON_ICONS.values())
