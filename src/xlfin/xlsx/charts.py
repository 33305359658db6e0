"""The Dashboard's native charts as DrawingML parts xlfin owns: one drawing part per sheet, one chart part per chart.

The chart XML (c:chartSpace) is produced by openpyxl's chart classes, which know the schema's element order; they
are given the data ranges as A1 references on the generated sheet, never a worksheet object. The drawing part (the
anchors that place each chart on the sheet) is small and written here.
"""

from __future__ import annotations

from xml.etree.ElementTree import tostring

from .opc import escape
from .sheet import ChartSpec, column_letter

NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EMU_PER_CM = 360000


def _ref(sheet: str, col: int, first_row: int, last_row: int) -> str:
    quoted = "'" + sheet.replace("'", "''") + "'"
    letter = column_letter(col)
    return f"{quoted}!${letter}${first_row}:${letter}${last_row}"


def chart_xml(spec: ChartSpec, sheet: str) -> bytes:
    """The c:chartSpace part of one chart whose data sits on `sheet`."""
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference

    if spec.kind == "pie":
        chart = PieChart()
    elif spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "bar" else "col"
    for col in spec.value_cols:
        values = Reference(range_string=_ref(sheet, col, spec.header_row, spec.last_row))
        chart.add_data(values, titles_from_data=True)
    chart.set_categories(Reference(range_string=_ref(sheet, spec.category_col, spec.first_row, spec.last_row)))
    if spec.kind == "line":
        for series in chart.series:
            series.smooth = False  # a smoothed line invents values between months
    if spec.kind in ("bar", "col"):
        chart.legend = None
    if spec.number_format and spec.kind != "pie":
        chart.y_axis.numFmt = spec.number_format
    chart.title = spec.title
    tree = chart._write()
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + tostring(tree, encoding="utf-8",
                                                                                  xml_declaration=False)


def drawing_xml(specs: list[ChartSpec], rids: list[str]) -> bytes:
    """The drawing part: one anchored graphic frame per chart, pointing at its chart part by relationship id."""
    anchors = []
    for n, (spec, rid) in enumerate(zip(specs, rids), start=1):
        row, col = spec.anchor
        cx, cy = (int(v * EMU_PER_CM) for v in spec.size_cm)
        anchors.append(
            f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:ext cx=\"{cx}\" cy=\"{cy}\"/>"
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{n + 1}" name="{escape(spec.title)}"/>'
            "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm><a:off x=\"0\" y=\"0\"/>"
            "<a:ext cx=\"0\" cy=\"0\"/></xdr:xfrm><a:graphic>"
            f'<a:graphicData uri="{NS_C}"><c:chart xmlns:c="{NS_C}" r:id="{rid}"/></a:graphicData></a:graphic>'
            "</xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{NS_XDR}" '
            f'xmlns:a="{NS_A}" xmlns:r="{NS_R}">' + "".join(anchors) + "</xdr:wsDr>").encode("utf-8")
