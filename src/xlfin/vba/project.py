"""Build a source-only `vbaProject.bin` (MS-OVBA) from VBA module text.

Source-only means: `_VBA_PROJECT` carries version 0xFFFF and no performance cache, every module
stream holds only compressed source (MODULEOFFSET 0), and there are no `__SRP_*` streams. Office
then compiles the project from source when it opens the file, which is what MS-OVBA requires of
writers other than Office itself. Everything is deterministic: the project ID is a UUID derived from
the project name and the PROJECT-stream "encryption" uses fixed seeds.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from xlfin.vba.cfb import write_cfb
from xlfin.vba.ovba import compress

ModuleKind = Literal["standard", "class", "document"]
MODULE_KINDS: tuple[str, ...] = ("standard", "class", "document")

# VB_Base class IDs Excel writes for document and class modules.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
WORKBOOK_CODE_NAME = "ThisWorkbook"

VBA_PROJECT_STREAM = bytes.fromhex("CC61FFFF000100")  # Reserved1, Version=0xFFFF, Reserved2, Reserved3
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
PROJECT_COMPAT_VERSION = 5
MAX_LINE = 1023
MAX_NAME = 31

# The Office library defines IRibbonControl, which every ribbon callback's signature needs.
REFERENCES: tuple[tuple[str, str], ...] = (
    (
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        (
            r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared"
            r"\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library"
        ),
    ),
)

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_ATTRIBUTE = re.compile(r"Attribute\s+(\w+)\s*=\s*(.*?)\s*\Z", re.IGNORECASE)
# Attributes Excel writes in this order at the top of a class module, with these defaults.
_CLASS_FLAGS = (
    ("VB_GlobalNameSpace", "False"),
    ("VB_Creatable", "False"),
    ("VB_PredeclaredId", "False"),
    ("VB_Exposed", "False"),
)
_DOCUMENT_FLAGS = (
    ("VB_GlobalNameSpace", "False"),
    ("VB_Creatable", "False"),
    ("VB_PredeclaredId", "True"),
    ("VB_Exposed", "True"),
    ("VB_TemplateDerived", "False"),
    ("VB_Customizable", "True"),
)
# Fixed seeds keep builds byte-identical; MS-OVBA allows any seed.
_SEEDS = {"CMG": 0x8D, "DPB": 0x8E, "GC": 0x8F}


class VBAProjectError(ValueError):
    """A module set or module text that cannot become a valid VBA project."""


@dataclass(frozen=True)
class VBAModule:
    """One VBA module: its name (= stream name = VB_Name), its source text and its kind."""

    name: str
    source: str
    kind: ModuleKind

    def __post_init__(self) -> None:
        if self.kind not in MODULE_KINDS:
            raise VBAProjectError(f"module {self.name!r}: kind {self.kind!r} is not one of {MODULE_KINDS}")
        check_module_name(self.name)


def check_module_name(name: str) -> None:
    """A module name must be a VBA identifier of at most 31 ASCII characters."""
    if not _IDENTIFIER.match(name or "") or len(name) > MAX_NAME:
        raise VBAProjectError(
            f"module name {name!r} is not a VBA identifier (a letter, then letters, digits or _; "
            f"at most {MAX_NAME} characters)"
        )


def document_module(name: str, body: str = "", *, workbook: bool | None = None) -> VBAModule:
    """The document module behind the workbook (`ThisWorkbook`) or a worksheet code name."""
    is_workbook = name == WORKBOOK_CODE_NAME if workbook is None else workbook
    header = _document_header(name, WORKBOOK_BASE if is_workbook else WORKSHEET_BASE)
    return VBAModule(name, "\r\n".join(header) + "\r\n" + _crlf(body), "document")


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _split_attributes(lines: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Leading `Attribute X = v` lines as (name, value) pairs, and the remaining lines."""
    attributes: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        match = _ATTRIBUTE.match(line)
        if not match:
            return attributes, lines[index:]
        attributes.append((match.group(1), match.group(2)))
    return attributes, []


def _strip_class_preamble(lines: list[str]) -> list[str]:
    """Drop the `VERSION 1.0 CLASS / BEGIN ... END` block of a VBE `.cls` export."""
    if not lines or not lines[0].upper().startswith("VERSION "):
        return lines
    for index, line in enumerate(lines[1:], start=1):
        if line.strip().upper() == "END":
            return lines[index + 1 :]
    raise VBAProjectError("class source starts with VERSION but its BEGIN block has no END")


def _document_header(name: str, base: str) -> list[str]:
    flags = [f"Attribute {key} = {value}" for key, value in _DOCUMENT_FLAGS]
    return [f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "{base}"', *flags]


def _checked_name_attribute(module: VBAModule, attributes: list[tuple[str, str]]) -> None:
    for key, value in attributes:
        if key.lower() == "vb_name" and value.strip('"') != module.name:
            raise VBAProjectError(f"module {module.name!r}: its source says Attribute VB_Name = {value}")


def normalized_source(module: VBAModule) -> str:
    """The exact module text stored in the stream: CRLF lines, with the attribute header Excel expects."""
    lines = _crlf(module.source).split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    if module.kind == "class":
        lines = _strip_class_preamble(lines)
    attributes, body = _split_attributes(lines)
    _checked_name_attribute(module, attributes)
    given = {key.lower(): value for key, value in attributes}
    if module.kind == "standard":
        header = [f'Attribute VB_Name = "{module.name}"']
        header += [f"Attribute {k} = {v}" for k, v in attributes if k.lower() != "vb_name"]
    elif module.kind == "class":
        header = [f'Attribute VB_Name = "{module.name}"', f'Attribute VB_Base = "{CLASS_BASE}"']
        header += [f"Attribute {key} = {given.get(key.lower(), default)}" for key, default in _CLASS_FLAGS]
        header += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
        known = {"vb_name", "vb_base", "vb_templatederived", "vb_customizable"} | {
            k.lower() for k, _ in _CLASS_FLAGS
        }
        header += [f"Attribute {k} = {v}" for k, v in attributes if k.lower() not in known]
    else:
        base = given.get("vb_base", "").strip('"') or (
            WORKBOOK_BASE if module.name == WORKBOOK_CODE_NAME else WORKSHEET_BASE
        )
        header = _document_header(module.name, base)
        known = {"vb_name", "vb_base"} | {k.lower() for k, _ in _DOCUMENT_FLAGS}
        header += [f"Attribute {k} = {v}" for k, v in attributes if k.lower() not in known]
    text_lines = header + body
    for number, line in enumerate(text_lines, start=1):
        if len(line) > MAX_LINE:
            raise VBAProjectError(
                f"module {module.name!r} line {number}: {len(line)} characters (VBA allows {MAX_LINE})"
            )
    return "\r\n".join(text_lines) + "\r\n"


def _encode(text: str, codepage: int, what: str) -> bytes:
    try:
        return text.encode(f"cp{codepage}")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise VBAProjectError(
            f"{what} line {line}: {exc.object[exc.start : exc.end]!r} is not in code page {codepage}; "
            "use ChrW() for such characters"
        ) from None
    except LookupError:
        raise VBAProjectError(f"code page {codepage} is unknown to Python") from None


def project_id(project_name: str) -> str:
    """A stable project GUID (braced, upper case) derived from the project name."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:xlfin:vba-project:{project_name}")).upper() + "}"


def encrypt_project_data(project_id_text: str, data: bytes, seed: int) -> str:
    """MS-OVBA 2.4.3.2 data "encryption" (obfuscation) of CMG/DPB/GC values, as upper-case hex."""
    version = 2
    project_key = sum(project_id_text.encode("ascii")) & 0xFF
    version_enc = seed ^ version
    key_enc = seed ^ project_key
    out = bytearray([seed, version_enc, key_enc])
    plain_prev, enc_prev, enc_prev2 = project_key, key_enc, version_enc
    ignored = bytes((seed + i) & 0xFF for i in range((seed & 6) // 2))  # any value is allowed
    for byte in ignored + struct.pack("<I", len(data)) + data:
        enc = byte ^ ((enc_prev2 + plain_prev) & 0xFF)
        out.append(enc)
        enc_prev2, enc_prev, plain_prev = enc_prev, enc, byte
    return out.hex().upper()


def decrypt_project_data(hex_text: str) -> tuple[int, int, bytes]:
    """Inverse of encrypt_project_data: (version, project key, data)."""
    raw = bytes.fromhex(hex_text)
    if len(raw) < 7:
        raise VBAProjectError(f"encrypted value {hex_text!r} is too short")
    seed, version_enc, key_enc = raw[:3]
    project_key = seed ^ key_enc
    plain_prev, enc_prev, enc_prev2 = project_key, key_enc, version_enc
    plain = bytearray()
    for enc in raw[3:]:
        byte = enc ^ ((enc_prev2 + plain_prev) & 0xFF)
        plain.append(byte)
        enc_prev2, enc_prev, plain_prev = enc_prev, enc, byte
    skip = (seed & 6) // 2
    if len(plain) < skip + 4:
        raise VBAProjectError(f"encrypted value {hex_text!r} is too short")
    length = struct.unpack_from("<I", plain, skip)[0]
    data = bytes(plain[skip + 4 : skip + 4 + length])
    if len(data) != length:
        raise VBAProjectError(f"encrypted value {hex_text!r} holds fewer bytes than its length says")
    return seed ^ version_enc, project_key, data


def _project_stream(modules: Sequence[VBAModule], project_name: str, codepage: int) -> bytes:
    pid = project_id(project_name)
    lines = [f'ID="{pid}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        # Plaintexts mean: not protected, no password, visible (MS-OVBA 2.3.1.15-17).
        f'CMG="{encrypt_project_data(pid, bytes(4), _SEEDS["CMG"])}"',
        f'DPB="{encrypt_project_data(pid, bytes(1), _SEEDS["DPB"])}"',
        f'GC="{encrypt_project_data(pid, bytes([0xFF]), _SEEDS["GC"])}"',
        "",
        "[Host Extender Info]",
        HOST_EXTENDER,
        "",
        "[Workspace]",
        *[f"{m.name}=0, 0, 0, 0, C" for m in modules],
    ]
    return _encode("\r\n".join(lines) + "\r\n", codepage, "PROJECT stream")


def _projectwm_stream(modules: Sequence[VBAModule], codepage: int) -> bytes:
    out = bytearray()
    for module in modules:
        out += _encode(module.name, codepage, "module name") + b"\x00"
        out += module.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _dir_stream(modules: Sequence[VBAModule], project_name: str, codepage: int) -> bytes:
    """The decompressed dir stream (MS-OVBA 2.3.4.2): project info, references, modules."""
    mbcs = lambda text: _encode(text, codepage, "dir stream")
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 3))  # PROJECTSYSKIND: 64-bit Windows, as Excel writes
    # PROJECTCOMPATVERSION (MS-OVBA 2.3.4.2.1.2): optional in the spec, but every Excel-saved project carries it,
    # with the value 5 (shared/fixtures/excel; tests/excel_golden checks).
    out += _record(0x004A, struct.pack("<I", PROJECT_COMPAT_VERSION))
    out += _record(0x0002, struct.pack("<I", 0x0409))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", 0x0409))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", codepage))  # PROJECTCODEPAGE
    out += _record(0x0004, mbcs(project_name))  # PROJECTNAME
    out += _record(0x0005, b"") + _record(0x0040, b"")  # PROJECTDOCSTRING (+ Unicode)
    out += _record(0x0006, b"") + _record(0x003D, b"")  # PROJECTHELPFILEPATH (+ second copy)
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: Reserved=4, major, minor (no size field)
    out += _record(0x000C, b"") + _record(0x003C, b"")  # PROJECTCONSTANTS (+ Unicode)
    for name, libid in REFERENCES:
        out += _record(0x0016, mbcs(name)) + _record(0x003E, name.encode("utf-16-le"))  # REFERENCENAME
        libid_bytes = mbcs(libid)
        out += _record(0x000D, struct.pack("<I", len(libid_bytes)) + libid_bytes + struct.pack("<IH", 0, 0))
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in modules:
        unicode_name = module.name.encode("utf-16-le")
        out += _record(0x0019, mbcs(module.name)) + _record(0x0047, unicode_name)  # MODULENAME (+ Unicode)
        out += _record(0x001A, mbcs(module.name)) + _record(0x0032, unicode_name)  # MODULESTREAMNAME
        out += _record(0x001C, b"") + _record(0x0048, b"")  # MODULEDOCSTRING (+ Unicode)
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts the stream
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += struct.pack("<HI", 0x0021 if module.kind == "standard" else 0x0022, 0)  # MODULETYPE
        out += struct.pack("<HI", 0x002B, 0)  # module terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir terminator
    return bytes(out)


def build_vba_project(modules: list[VBAModule], project_name: str = "xlfin", codepage: int = 1252) -> bytes:
    """The bytes of a source-only vbaProject.bin holding these modules, in this order."""
    if not modules:
        raise VBAProjectError("a VBA project needs at least one module")
    check_module_name(project_name)
    seen: dict[str, str] = {}
    for module in modules:
        key = module.name.upper()
        if key in seen:
            raise VBAProjectError(f"module names {seen[key]!r} and {module.name!r} clash (VBA ignores case)")
        seen[key] = module.name
    reserved = {"VBA", "DIR", "_VBA_PROJECT", "PROJECT", "PROJECTWM"}
    clash = sorted(m.name for m in modules if m.name.upper() in reserved)
    if clash:
        raise VBAProjectError(f"module name(s) {clash} clash with streams of the VBA storage")
    streams: dict[str, bytes] = {
        "_VBA_PROJECT": VBA_PROJECT_STREAM,
        "dir": compress(_dir_stream(modules, project_name, codepage)),
    }
    for module in modules:
        text = normalized_source(module)
        streams[module.name] = compress(_encode(text, codepage, f"module {module.name!r}"))
    tree = {
        "PROJECT": _project_stream(modules, project_name, codepage),
        "PROJECTwm": _projectwm_stream(modules, codepage),
        "VBA": streams,
    }
    return write_cfb(tree)


def xlwings_standalone_modules() -> list[VBAModule]:
    """The VBA that xlwings' standalone mode embeds (`xlwings` and `Dictionary`), read from the installed
    xlwings package so that the VBA always matches the Python side's version (its DLL name is versioned)."""
    import xlwings

    package = Path(xlwings.__file__).resolve().parent
    sources = (
        ("xlwings", package / "xlwings.bas", "standard"),
        ("Dictionary", package / "addin" / "Dictionary.cls", "class"),
    )
    modules: list[VBAModule] = []
    for name, path, kind in sources:
        if not path.is_file():
            raise VBAProjectError(f"installed xlwings {xlwings.__version__} has no {path.name} at {path}")
        modules.append(VBAModule(name, path.read_text(encoding="cp1252"), kind))  # type: ignore[arg-type]
    return modules
