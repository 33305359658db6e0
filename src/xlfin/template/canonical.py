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


def canonical_xml(raw: bytes) -> bytes:
    """The part's canonical form (C14N 2.0, comments dropped), with short empty elements and the declaration."""
    if b"Ignorable=" in raw:
        # mc:Ignorable names prefixes inside an attribute value; C14N would drop their now "unused" declarations.
        return raw
    text = canonicalize(raw.decode("utf-8"), with_comments=False)
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
