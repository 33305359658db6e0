"""One serialisation for every XML part of the template, whichever XML library openpyxl picked.

openpyxl writes through lxml when lxml is importable and through ElementTree/et_xmlfile otherwise; the two
differ in bytes (namespace declarations on the root or on each element, `<a/>` or `<a />`) though not in
content. `xlfin template build --check` compares bytes, so the build re-serialises each XML part in W3C
Canonical XML 2.0 (the standard library's `canonicalize`: attributes sorted, namespace declarations where they
are used, one quoting rule), then writes empty elements in the short form and puts back the declaration
Excel itself writes. The result depends only on the XML's content.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree.ElementTree import canonicalize

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
XML_SUFFIXES = (".xml", ".rels")  # not .vml: legacy VML need not be well-formed XML
# `<a x="1"></a>` -> `<a x="1"/>`. Safe on canonical XML: `<` never occurs inside text or attribute values there.
_EMPTY = re.compile(r"<([A-Za-z_][\w.:-]*)((?:\s[^<>]*)?)></\1>")


# A start tag of canonical XML: attribute values are double-quoted and hold neither `"` nor `<`.
_START_TAG = re.compile(r'<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+="[^"<]*")*)(\s*/?)>')
_NS_DECLARATION = re.compile(r'\s+xmlns:([\w.-]+)="([^"<]*)"')


def _hoist_namespaces(text: str) -> str:
    """Every prefixed namespace declaration moved to the root element, as Excel writes them (C14N puts each on
    the elements that use it; text-level editors of workbook.xml expect `xmlns:r` on the root). Left as it is when
    a prefix is bound to two namespaces."""
    found: dict[str, str] = {}
    for match in _START_TAG.finditer(text):
        for prefix, uri in _NS_DECLARATION.findall(match.group(2)):
            if found.setdefault(prefix, uri) != uri:
                return text
    if not found:
        return text
    stripped = _START_TAG.sub(lambda m: f"<{m.group(1)}{_NS_DECLARATION.sub('', m.group(2))}{m.group(3)}>", text)
    root = _START_TAG.search(stripped)
    declarations = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in sorted(found.items()))
    attributes = root.group(2)
    default = re.match(r'\s+xmlns="[^"<]*"', attributes)
    head = default.group(0) if default else ""
    new_root = f"<{root.group(1)}{head}{declarations}{attributes[len(head):]}{root.group(3)}>"
    return stripped[: root.start()] + new_root + stripped[root.end():]


def canonical_xml(raw: bytes) -> bytes:
    """The part's canonical form (C14N 2.0, comments dropped), namespaces declared on the root, short empty
    elements, and the declaration Excel writes."""
    if b"Ignorable=" in raw:
        # mc:Ignorable names prefixes inside an attribute value; C14N would drop their now "unused" declarations.
        return raw
    text = _hoist_namespaces(canonicalize(raw.decode("utf-8"), with_comments=False))
    return XML_DECLARATION + _EMPTY.sub(r"<\1\2/>", text).encode("utf-8")


def canonical_package(data: bytes) -> bytes:
    """The same package with every XML part in canonical form; other members (and member order) unchanged."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info)
            if info.filename.lower().endswith(XML_SUFFIXES):
                payload = canonical_xml(payload)
            target.writestr(info, payload)
    return out.getvalue()
