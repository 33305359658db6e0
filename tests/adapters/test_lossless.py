"""SPEC §11: after any verb, every part xlfin does not own is byte-identical; sharedStrings and styles only grow.

The book carries what users put in workbooks — an image, a comment, a data validation, a conditional format with an
x14 extension, a user's own sheet with a chart, defined names (one quoted), a custom XML part — added with openpyxl
and at the zip level, and Excel-saved packages from ../shared/fixtures/excel are written to as well. Packages are
compared part by part (and member by member: unchanged members keep their compressed bytes).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_cli import small_workbook

from xlfin import schema
from xlfin.adapters.file import open_workbook
from xlfin.app.operations import ACTIONS, execute
from xlfin.xlsx.opc import REL_WORKSHEET, Package, local, parse_xml

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "excel"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082")
X14_EXT = (b'<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
           b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:conditionalFormattings>'
           b'<x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
           b'<x14:cfRule type="dataBar" id="{00000000-0000-0000-0000-000000000001}"><x14:dataBar minLength="0" '
           b'maxLength="100"><x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/></x14:dataBar></x14:cfRule>'
           b'<xm:sqref>F2:F20</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>')
SHARED_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}


def _user_edits(wb: openpyxl.Workbook) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    wb["Customers"]["N1"].comment = Comment("ask finance", "user")
    dv = DataValidation(type="list", formula1='"Bank Transfer,Cheque"', allow_blank=True)
    wb["Payments"].add_data_validation(dv)
    dv.add("G2:G50")
    wb["Invoices"].conditional_formatting.add(
        "F2:F50", CellIsRule(operator="greaterThan", formula=["10000"], fill=PatternFill("solid", fgColor="FFC7CE")))
    mine = wb.create_sheet("My Sheet")
    for row in [["Region", "Target"], ["North", 100], ["South", 250]]:
        mine.append(row)
    chart = BarChart()
    chart.add_data(Reference(mine, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(mine, min_col=1, min_row=2, max_row=3))
    mine.add_chart(chart, "D2")
    wb.defined_names["MyRate"] = DefinedName("MyRate", attr_text="0.05")
    wb.defined_names["MyTargets"] = DefinedName("MyTargets", attr_text="'My Sheet'!$A$1:$B$3")


def _zip_additions(src: Path, dst: Path) -> None:
    """What openpyxl cannot add: an image on Invoices, an x14 extension, a custom XML part."""
    with zipfile.ZipFile(src) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    package = Package(src.read_bytes())
    sheets = {r.id: r.target for r in package.relationships("xl/workbook.xml") if r.type == REL_WORKSHEET}
    root = parse_xml("wb", parts["xl/workbook.xml"])
    by_name = {el.get("name"): sheets[el.get("{http://schemas.openxmlformats.org/officeDocument/2006/"
                                              "relationships}id")] for el in root.iter() if local(el.tag) == "sheet"}
    invoices = by_name["Invoices"]
    folder, name = invoices.rsplit("/", 1)
    rels = f"{folder}/_rels/{name}.rels"
    parts[rels] = parts[rels].replace(b"</Relationships>", b'<Relationship Id="rIdImg" Type="http://schemas.'
                                      b'openxmlformats.org/officeDocument/2006/relationships/drawing" '
                                      b'Target="../drawings/drawing99.xml"/></Relationships>')
    xml = parts[invoices]
    at = xml.index(b"<tableParts")
    xml = (xml[:at] + b'<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
           b'r:id="rIdImg"/>' + xml[at:])
    parts[invoices] = xml.replace(b"</worksheet>", X14_EXT + b"</worksheet>")
    parts["xl/media/image99.png"] = PNG
    parts["xl/drawings/drawing99.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.'
        b'org/drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><xdr:oneCellAnchor>'
        b'<xdr:from><xdr:col>14</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff>'
        b'</xdr:from><xdr:ext cx="952500" cy="952500"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="Logo"/>'
        b'<xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch>'
        b'</xdr:blipFill><xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>'
        b'<xdr:clientData/></xdr:oneCellAnchor></xdr:wsDr>')
    parts["xl/drawings/_rels/drawing99.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships/image" Target="../media/image99.png"/></Relationships>')
    parts["customXml/item1.xml"] = b'<?xml version="1.0" encoding="UTF-8"?><budget xmlns="urn:user">42</budget>'
    parts["customXml/itemProps1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem ds:itemID="{6E3D8A1B-0000-4000-'
        b'8000-000000000001}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs/>'
        b'</ds:datastoreItem>')
    parts["customXml/_rels/item1.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships/customXmlProps" Target="itemProps1.xml"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdCx1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/customXml" Target="../customXml/item1.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="png" ContentType="image/png"/><Override PartName="/xl/drawings/drawing99.'
        b'xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/><Override PartName="/customXml/'
        b'itemProps1.xml" ContentType="application/vnd.openxmlformats-officedocument.customXmlProperties+xml"/>'
        b'</Types>')
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)


@pytest.fixture(scope="module")
def rich_book(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lossless")
    base = small_workbook(folder / "base.xlsm")
    book = openpyxl.load_workbook(base, keep_vba=True)
    _user_edits(book)
    edited = folder / "edited.xlsm"
    book.save(edited)
    _zip_additions(edited, folder / "rich.xlsm")
    return folder / "rich.xlsm"


def _raw_members(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Member -> (CRC, uncompressed size, compressed bytes as stored)."""
    data = path.read_bytes()
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
            start = info.header_offset + 30 + name_len + extra_len
            out[info.filename] = (info.CRC, info.file_size, data[start:start + info.compress_size])
    return out


def owned_parts(path: Path) -> set[str]:
    """The parts xlfin may change: the shared package parts, and every part of a generated sheet (in the input)."""
    from xlfin.adapters.file import GENERATED_SHEETS
    from xlfin.xlsx.read import PackageReader

    package = Package(path.read_bytes())
    reader = PackageReader(package)
    owned = set(SHARED_PARTS)
    generated = GENERATED_SHEETS | set(schema.DASHBOARD_SHEET.values())
    queue = [s.part for s in reader.sheets if s.name in generated and s.part]
    while queue:
        part = queue.pop()
        if part in owned:
            continue
        owned |= {part, part.rsplit("/", 1)[0] + "/_rels/" + part.rsplit("/", 1)[1] + ".rels"}
        queue += [r.target for r in package.relationships(part) if not r.external]
    return owned


def _styles_lists(data: bytes) -> dict[str, list[bytes]]:
    from xml.etree.ElementTree import tostring

    root = parse_xml("styles", data)
    return {local(s.tag): [tostring(c) for c in s] for s in root}


def assert_lossless(before: Path, after: Path) -> None:
    old, new = _raw_members(before), _raw_members(after)
    owned = owned_parts(before)
    for name, member in old.items():
        if name in owned:
            continue
        assert name in new, f"{name} was dropped"
        assert new[name] == member, f"{name} changed"
    with zipfile.ZipFile(before) as a, zipfile.ZipFile(after) as b:
        old_styles, new_styles = _styles_lists(a.read("xl/styles.xml")), _styles_lists(b.read("xl/styles.xml"))
        for section, entries in old_styles.items():
            assert new_styles[section][:len(entries)] == entries, f"styles {section}: an existing entry changed"
        old_wb, new_wb = a.read("xl/workbook.xml"), b.read("xl/workbook.xml")
        # defined names: every one the book had, byte for byte and in order; the only one xlfin adds is the
        # generated Dashboard's print area (sheet-local, replaced when the Dashboard is)
        names = re.compile(rb"<definedName\b[^>]*>.*?</definedName>", re.S)
        kept = [n for n in names.findall(old_wb) if b'name="_xlnm.Print_Area"' not in n]
        now = names.findall(new_wb)
        assert [n for n in now if n in kept] == kept, "workbook.xml definedNames changed"
        assert all(b'name="_xlnm.Print_Area"' in n for n in now if n not in kept), "workbook.xml definedNames changed"
        for tag in (b"calcPr", b"bookViews"):
            if b"<" + tag in old_wb:
                start = old_wb.index(b"<" + tag)
                end = old_wb.index(b">", old_wb.index(b"</" + tag, start)) + 1 if b"</" + tag in old_wb else \
                    old_wb.index(b">", start) + 1
                assert old_wb[start:end] in new_wb, f"workbook.xml {tag.decode()} changed"


@pytest.mark.parametrize("actions", [[a] for a in ACTIONS] + [list(ACTIONS)], ids=lambda a: "+".join(a))
def test_every_verb_leaves_what_xlfin_does_not_own_byte_identical(rich_book: Path, tmp_path: Path,
                                                                  actions: list[str]) -> None:
    out = tmp_path / "out.xlsm"
    with open_workbook(rich_book) as wb:
        execute(wb, actions, output=out)
    assert_lossless(rich_book, out)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert {"customXml/item1.xml", "xl/media/image99.png"} <= set(zf.namelist())
    book = openpyxl.load_workbook(out)
    assert "My Sheet" in book.sheetnames and book["My Sheet"]._charts
    assert book.defined_names["MyTargets"].attr_text == "'My Sheet'!$A$1:$B$3"


def test_a_second_run_changes_only_generated_parts_and_styles_do_not_grow(rich_book: Path, tmp_path: Path) -> None:
    once, twice = tmp_path / "once.xlsm", tmp_path / "twice.xlsm"
    with open_workbook(rich_book) as wb:
        execute(wb, ACTIONS, output=once, as_of=None)
    with open_workbook(once) as wb:
        execute(wb, ACTIONS, output=twice)
    assert_lossless(once, twice)
    with zipfile.ZipFile(once) as a, zipfile.ZipFile(twice) as b:
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")


def test_appended_rows_change_only_the_sheet_data_the_table_ref_and_the_dimension(rich_book: Path,
                                                                                  tmp_path: Path) -> None:
    import datetime as dt

    import pandas as pd

    out = tmp_path / "appended.xlsm"
    with open_workbook(rich_book) as wb:
        before = wb.read_table(schema.PAYMENTS)
        wb.append_rows(schema.PAYMENTS, pd.DataFrame({
            "payment_id": ["BANK-1", "BANK-2"], "payment_date": pd.to_datetime(["2026-03-01", "2026-03-02"]),
            "payer_name": ["=cmd", "Acme Ltd"], "amount": [12345, 50000], "currency": ["USD", "USD"],
            "reference": ["INV-1", ""], "bank_ref": ["R1", "R2"]}), "en")
        wb.commit(out)
    with open_workbook(out, read_only=True) as wb:
        after = wb.read_table(schema.PAYMENTS)
    assert len(after) == len(before) + 2
    assert after.frame["payment_id"].tolist()[-2:] == ["BANK-1", "BANK-2"]
    assert after.frame["payment_date"].tolist()[-1] == dt.date(2026, 3, 2)
    assert after.frame["amount"].tolist()[-2:] == [123.45, 500]
    assert after.frame["payer_name"].tolist()[-2] == "=cmd"  # text, never a formula
    old, new = _raw_members(rich_book), _raw_members(out)
    from xlfin.xlsx.read import PackageReader

    package = Package(rich_book.read_bytes())
    payments_part = PackageReader(package).sheet("Payments").part
    changed = {n for n in old if old[n] != new.get(n)}
    table_parts = {n for n in changed if n.startswith("xl/tables/")}
    assert changed - table_parts <= {payments_part, "xl/styles.xml"}, changed
    assert len(table_parts) == 1
    a, b = package.read(payments_part), zipfile.ZipFile(out).read(payments_part)
    end = a.index(b"</sheetData>")
    assert b.startswith(a[:a.index(b"<dimension")]) and a[end:] == b[b.index(b"</sheetData>"):]


def test_excel_saved_packages_keep_every_part(tmp_path: Path) -> None:
    """Excel's own XML (CRLF prologs, mc:Ignorable, x14 extensions, web extensions, calcChain, VML) is untouched when
    a generated sheet is added."""
    for fixture in sorted(FIXTURES.glob("excel_saved_*.xlsm")):
        book = tmp_path / fixture.name
        book.write_bytes(fixture.read_bytes())
        out = tmp_path / ("out_" + fixture.name)
        with open_workbook(book) as wb:
            rows = pd_frame()
            wb.replace_sheet(schema.VALIDATION.sheet_en, [(schema.VALIDATION, rows)], "en")
            wb.commit(out)
        old, new = _raw_members(book), _raw_members(out)
        for name, member in old.items():
            if name not in SHARED_PARTS | {"docProps/app.xml"}:
                assert new[name] == member, f"{fixture.name}: {name} changed"
        # Excel's list of worksheets in app.xml now names the added sheet too; nothing else in the part moved
        with zipfile.ZipFile(book) as a, zipfile.ZipFile(out) as b:
            app_before, app_after = a.read("docProps/app.xml"), b.read("docProps/app.xml")
        titles = re.findall(rb"<vt:lpstr>([^<]*)</vt:lpstr>", app_before.split(b"<TitlesOfParts>")[1])
        count = len(titles)
        expected = app_before.replace(b"<TitlesOfParts><vt:vector size=\"%d\"" % count,
                                      b"<TitlesOfParts><vt:vector size=\"%d\"" % (count + 1))
        expected = expected.replace(b"<vt:i4>%d</vt:i4>" % count, b"<vt:i4>%d</vt:i4>" % (count + 1), 1)
        last = b"<vt:lpstr>%s</vt:lpstr>" % titles[-1]
        expected = expected.replace(last, last + b"<vt:lpstr>Validation</vt:lpstr>", 1)
        assert app_after == expected, fixture.name
        loaded = openpyxl.load_workbook(out, keep_vba=True)
        assert loaded.sheetnames[-1] == "Validation"
        assert loaded["Validation"]["A1"].value == "Severity"
        assert loaded["Validation"].tables["tblValidation"].ref == "A1:G3"


def pd_frame():
    import pandas as pd

    return pd.DataFrame({"severity": ["error", "warning"], "sheet": ["Invoices", "Payments"],
                         "cell": ["Invoices!D17", "Payments!B2"], "column": ["Due Date", "Amount"],
                         "row_key": ["INV-1", "P-1"], "code": ["date", "amount"], "message": ["bad", "=odd"]})


def test_libreoffice_opens_the_written_book(rich_book: Path, tmp_path: Path, make_libreoffice) -> None:
    out = tmp_path / "lo.xlsm"
    with open_workbook(rich_book) as wb:
        execute(wb, ACTIONS, output=out)
    lo = make_libreoffice()
    converted = lo.convert([out], "xlsx", tmp_path / "conv")
    book = openpyxl.load_workbook(converted[0])
    assert {"Dashboard", "Aging", "My Sheet"} <= set(book.sheetnames)
    assert book["Aging"]["A1"].value == "Customer ID"
    assert io.BytesIO(converted[0].read_bytes()).getbuffer().nbytes > 0


def test_a_calc_chain_naming_a_replaced_sheet_is_dropped_and_one_that_does_not_is_kept(tmp_path: Path) -> None:
    """Excel repairs a file whose calculation chain names a formula cell that is gone; the chain is a cache."""
    fixture = FIXTURES / "excel_saved_udf_tests.xlsm"
    book = tmp_path / "book.xlsm"
    book.write_bytes(fixture.read_bytes())
    out = tmp_path / "out.xlsm"
    with open_workbook(book) as wb:  # a new sheet: the chain does not name it and stays as it was
        wb.replace_sheet(schema.VALIDATION.sheet_en, [(schema.VALIDATION, pd_frame())], "en")
        wb.commit(out)
    assert _raw_members(out)["xl/calcChain.xml"] == _raw_members(book)["xl/calcChain.xml"]
    renamed = tmp_path / "renamed.xlsm"  # the user's formula sheet, as if it carried a generated sheet's name
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b'<sheet name="Sheet1"', b'<sheet name="Validation"')
            zout.writestr(info.filename, data)
    with open_workbook(renamed) as wb:
        wb.replace_sheet(schema.VALIDATION.sheet_en, [(schema.VALIDATION, pd_frame())], "en")
        wb.commit(out)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert "xl/calcChain.xml" not in names
        assert b"calcChain" not in zf.read("xl/_rels/workbook.xml.rels")
        assert b"calcChain" not in zf.read("[Content_Types].xml")
    assert openpyxl.load_workbook(out, keep_vba=True)["Validation"]["A1"].value == "Severity"
