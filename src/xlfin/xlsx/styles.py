"""Cell formats for generated cells, appended to the package's styles.xml (SPEC §11: existing indices keep meaning).

A `CellStyle` says what a generated cell looks like (number format, bold/colour/size, fill, wrap). `StyleBook` gives
it a cellXfs index: an existing entry that is exactly the same is reused (so running a verb twice does not grow the
part), anything new is appended at the end of its list (numFmts, fonts, fills, cellXfs) and only the lists' `count`
attributes change. Every other byte of styles.xml stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from xlfin.schema.tables import WorkbookError
from .opc import NS_MAIN, Package, escape, local, parse_xml

# Excel's built-in number formats that generated cells use; anything else becomes a custom numFmt
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "@": 49}
FIRST_CUSTOM_FORMAT = 164
MINIMAL_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>').encode()


@dataclass(frozen=True)
class CellStyle:
    number_format: str | None = None
    bold: bool = False
    color: str | None = None  # ARGB, e.g. FFFFFFFF
    size: float | None = None
    fill: str | None = None  # ARGB of a solid fill
    wrap: bool = False
    vcenter: bool = False
    quote_prefix: bool = False  # text that starts like a formula is shown as text when a user edits it

    def with_quote(self) -> CellStyle:
        return CellStyle(self.number_format, self.bold, self.color, self.size, self.fill, self.wrap, self.vcenter,
                         True)

    @property
    def plain(self) -> bool:
        return self == CellStyle()


def _signature(el: Element) -> tuple:
    return (local(el.tag), tuple(sorted(el.attrib.items())), tuple(_signature(c) for c in el))


def _element(xml: str) -> Element:
    return parse_xml("styles", f'<x xmlns="{NS_MAIN}">{xml}</x>'.encode())[0]


class StyleBook:
    """The styles part of one package, with the entries generated cells need added at the end of each list."""

    SECTIONS = ("numFmts", "fonts", "fills", "cellXfs")

    def __init__(self, package: Package, part: str | None) -> None:
        self.package = package
        self.part = part or "xl/styles.xml"
        self.data = package.read(self.part) if part and package.has(part) else MINIMAL_STYLES
        self.created = not (part and package.has(part))
        root = parse_xml(self.part, self.data)
        self.prefix = root.tag.rsplit("}", 1)[0] + "}" if root.tag.startswith("{") else ""
        self._lists: dict[str, list[tuple]] = {s: [] for s in self.SECTIONS}
        self._formats: dict[str, int] = {}
        for section in root:
            name = local(section.tag)
            if name in self._lists:
                self._lists[name] = [_signature(c) for c in section]
            if name == "numFmts":
                for f in section:
                    try:
                        self._formats.setdefault(f.get("formatCode", ""), int(f.get("numFmtId", "0")))
                    except ValueError:
                        continue
        if not self._lists["cellXfs"]:
            raise WorkbookError(f"not a usable workbook: {self.part} has no cell formats (cellXfs)")
        self._added: dict[str, list[str]] = {s: [] for s in self.SECTIONS}
        self._xf_ids: dict[CellStyle, int] = {CellStyle(): 0}

    def _index(self, section: str, xml: str) -> int:
        sig = _signature(_element(xml))
        entries = self._lists[section]
        if sig in entries:
            return entries.index(sig)
        entries.append(sig)
        self._added[section].append(xml)
        return len(entries) - 1

    def _number_format(self, code: str | None) -> int:
        if code is None:
            return 0
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        if code not in self._formats:
            used = [i for i in self._formats.values()]
            new_id = max([FIRST_CUSTOM_FORMAT - 1, *used]) + 1
            self._formats[code] = new_id
            self._lists["numFmts"].append(("numFmt",))
            self._added["numFmts"].append(f'<numFmt numFmtId="{new_id}" formatCode="{escape(code)}"/>')
        return self._formats[code]

    def xf(self, style: CellStyle) -> int:
        """The cellXfs index of a style (0 for the workbook's default)."""
        got = self._xf_ids.get(style)
        if got is not None:
            return got
        fmt = self._number_format(style.number_format)
        font = 0
        if style.bold or style.color or style.size:
            font = self._index("fonts", "<font>" + ("<b/>" if style.bold else "")
                               + f'<sz val="{style.size or 11:g}"/>'
                               + (f'<color rgb="{style.color}"/>' if style.color else "")
                               + '<name val="Calibri"/><family val="2"/></font>')
        fill = 0
        if style.fill:
            fill = self._index("fills", f'<fill><patternFill patternType="solid"><fgColor rgb="{style.fill}"/>'
                                        f'<bgColor rgb="{style.fill}"/></patternFill></fill>')
        attrs = f'numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
        if style.quote_prefix:
            attrs += ' quotePrefix="1"'
        attrs += ' applyNumberFormat="1"' if fmt else ""
        attrs += ' applyFont="1"' if font else ""
        attrs += ' applyFill="1"' if fill else ""
        inner = ""
        if style.wrap or style.vcenter:
            attrs += ' applyAlignment="1"'
            inner = "<alignment" + (' vertical="center"' if style.vcenter else "") + (
                ' wrapText="1"' if style.wrap else "") + "/>"
        xml = f"<xf {attrs}>{inner}</xf>" if inner else f"<xf {attrs}/>"
        self._xf_ids[style] = idx = self._index("cellXfs", xml)
        return idx

    def save(self) -> None:
        """Write the styles part back with the new entries appended (nothing written when nothing was added)."""
        if not any(self._added.values()):
            return
        data = self.data
        for section in self.SECTIONS:
            added = self._added[section]
            if added:
                data = _append(data, self.prefix_name(section), "".join(added).encode(), len(self._lists[section]))
        self.package.write(self.part, data)

    def prefix_name(self, section: str) -> bytes:
        """The section's tag as the part spells it (a prefixed main namespace keeps its prefix)."""
        root_start = self.data.find(b"<", self.data.find(b"?>") + 2 if self.data.startswith(b"<?") else 0)
        name_end = min(i for i in (self.data.find(b" ", root_start), self.data.find(b">", root_start)) if i > 0)
        root_name = self.data[root_start + 1:name_end]
        prefix = root_name[:root_name.index(b":") + 1] if b":" in root_name else b""
        return prefix + section.encode()


def _append(data: bytes, tag: bytes, fragment: bytes, count: int) -> bytes:
    """Append elements to a list element of styles.xml and set its count; a missing numFmts list is created."""
    opening = data.find(b"<" + tag + b">")
    if opening < 0:
        opening = data.find(b"<" + tag + b" ")
    if opening < 0:
        if not tag.endswith(b"numFmts"):
            raise WorkbookError(f"not a usable workbook: styles.xml has no <{tag.decode()}> list")
        root_start = data.find(b"<", data.find(b"?>") + 2 if data.startswith(b"<?") else 0)
        root_end = data.find(b">", root_start) + 1
        return (data[:root_end] + b"<" + tag + b' count="' + str(count).encode() + b'">' + fragment + b"</" + tag
                + b">" + data[root_end:])
    head_end = data.find(b">", opening)
    head = data[opening:head_end + 1]
    if b":" in tag:  # a prefixed main namespace: the new elements declare it as their default namespace
        ns = b' xmlns="' + NS_MAIN.encode() + b'"'
        for name in (b"<numFmt ", b"<xf "):
            fragment = fragment.replace(name, name + ns[1:] + b" ")
        for name in (b"<font>", b"<fill>"):
            fragment = fragment.replace(name, name[:-1] + ns + b">")
    if head.endswith(b"/>"):  # an empty list written as <cellXfs count="0"/>
        new_head = head[:-2] + b">"
        body = new_head + fragment + b"</" + tag + b">"
    else:
        close = data.find(b"</" + tag + b">", head_end)
        body = data[opening:close] + fragment + b"</" + tag + b">"
        new_head = head
        body = body.replace(head, new_head, 1)
        data = data[:opening] + body + data[close + len(b"</" + tag + b">"):]
        return _set_count(data, opening, count)
    data = data[:opening] + body + data[head_end + 1:]
    return _set_count(data, opening, count)


def _set_count(data: bytes, opening: int, count: int) -> bytes:
    head_end = data.find(b">", opening)
    head = data[opening:head_end]
    at = head.find(b'count="')
    if at < 0:
        return data[:head_end] + b' count="' + str(count).encode() + b'"' + data[head_end:]
    end = head.find(b'"', at + 7)
    return data[:opening] + head[:at + 7] + str(count).encode() + head[end:] + data[head_end:]
