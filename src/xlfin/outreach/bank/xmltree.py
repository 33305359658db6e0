"""A small element tree with line numbers, built by expat with every DTD refused.

ISO 20022 files never need a DTD, so a DOCTYPE (and with it any entity, internal or external) is refused outright:
no entity is ever expanded (SPEC §8). Namespaces are dropped to local names: camt versions differ only in their
namespace URI, and one reader serves them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from .model import BankFileError

MAX_XML_BYTES = 512 * 1024 * 1024  # a bank statement far beyond any real one is refused before parsing


@dataclass
class Node:
    tag: str
    line: int
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def find(self, path: str) -> Node | None:
        """The first descendant along a '/'-separated path of local names."""
        node: Node | None = self
        for name in path.split("/"):
            node = next((c for c in node.children if c.tag == name), None) if node else None
        return node

    def findall(self, name: str) -> list[Node]:
        return [c for c in self.children if c.tag == name]

    def text_of(self, path: str) -> str:
        node = self.find(path)
        return node.text if node is not None else ""

    def iter(self, name: str):
        """Every descendant with this local name, in document order."""
        for c in self.children:
            if c.tag == name:
                yield c
            yield from c.iter(name)


def parse_xml(data: bytes, name: str) -> Node:
    """bytes -> root Node; a syntax error or a DTD raises BankFileError naming the line."""
    if len(data) > MAX_XML_BYTES:
        raise BankFileError(f"larger than {MAX_XML_BYTES // 2**20} MiB; refused", name)
    parser = expat.ParserCreate(namespace_separator="}")
    stack: list[Node] = []
    root: list[Node] = []

    def refuse_dtd(*_args) -> None:
        raise BankFileError("a DOCTYPE/entity declaration is not allowed in a bank file "
                            f"(line {parser.CurrentLineNumber})", name)

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = Node(tag.rsplit("}", 1)[-1], parser.CurrentLineNumber, attrs=attrs)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].parts.append(text)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.UnparsedEntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = lambda *a: refuse_dtd()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise BankFileError(f"not well-formed XML at line {exc.lineno}, column {exc.offset + 1}: "
                            f"{expat.ErrorString(exc.code)}", name) from None
    if not root:
        raise BankFileError("no XML element found", name)
    return root[0]
