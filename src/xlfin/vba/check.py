"""Structural checks of a vbaProject.bin and of a macro-enabled workbook, without Excel.

`read_vba_project` parses the compound file, the dir stream, PROJECT/PROJECTwm and every module's
source. `check_vba_project` turns everything a source-only project must satisfy into a list of
problems (empty = fine): CFB sibling order, the source-only `_VBA_PROJECT`, MODULEOFFSET 0, module
names and kinds agreeing across dir/PROJECT/PROJECTwm, document modules matching the workbook's code
names, and ribbon callbacks matching public Subs. `check_xlsm` adds the package parts: content types,
relationships, code names and the customUI part.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from xlfin.schema.tables import WorkbookError
from xlfin.vba.cfb import CFBError, CompoundFile
from xlfin.vba.ovba import OvbaError, decompress
from xlfin.vba.project import VBA_PROJECT_STREAM, VBAProjectError, decrypt_project_data
from xlfin.xlsx.opc import relationship_attributes, resolve

CUSTOMUI_NS_2009 = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_NS_2006 = "http://schemas.microsoft.com/office/2006/01/customui"
REL_CUSTOMUI_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
REL_CUSTOMUI_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
CT_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAX_PART_BYTES = 20_000_000

_KIND_BY_TYPE = {0x0021: "standard", 0x0022: "class"}
_SUB = re.compile(
    r"^[ \t]*(?:(Public|Private|Friend)[ \t]+)?(?:Static[ \t]+)?Sub[ \t]+(\w+)[ \t]*\(([^)]*)\)",
    re.IGNORECASE | re.MULTILINE,
)
_PARAM_TYPE = re.compile(r"\bAs\s+(?:\w+\.)?(\w+)\s*$", re.IGNORECASE)


class VBACheckError(ValueError):
    """Bytes that cannot be parsed as a VBA project at all."""


@dataclass(frozen=True)
class ModuleInfo:
    """One module as the dir stream, the PROJECT stream and the module stream describe it."""

    name: str
    stream_name: str
    unicode_name: str | None
    type_id: int
    offset: int
    kind: str | None  # standard / class / document per PROJECT stream; None if PROJECT omits it
    source: str | None  # decoded source from MODULEOFFSET; None when unreadable
    problem: str | None = None


@dataclass(frozen=True)
class VBAProjectInfo:
    project_name: str
    codepage: int
    references: list[str]
    modules: list[ModuleInfo]
    project_lines: dict[str, str]  # module name -> "Document" / "Module" / "Class" from PROJECT
    project_properties: dict[str, str]
    projectwm_names: list[str]
    vba_project_stream: bytes
    streams: list[str]
    declared_module_count: int
    cfb_problems: list[str] = field(default_factory=list)

    def sources(self) -> dict[str, str]:
        return {m.name: m.source for m in self.modules if m.source is not None}


def _dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """Split the decompressed dir stream into (id, payload) records."""
    records: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):
        if pos + 6 > len(data):
            raise VBACheckError(f"dir stream: truncated record header at byte {pos}")
        record_id, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if record_id == 0x0009:  # PROJECTVERSION: its "size" is Reserved=4, yet 6 bytes follow
            size = 6
        if pos + size > len(data):
            raise VBACheckError(f"dir stream: record 0x{record_id:04X} at byte {pos - 6} overruns the stream")
        records.append((record_id, data[pos : pos + size]))
        pos += size
        if record_id == 0x0010:
            break
    return records


def _project_text(raw: bytes, codepage: int) -> tuple[dict[str, str], dict[str, str]]:
    text = raw.decode(f"cp{codepage}", errors="replace")
    module_lines: dict[str, str] = {}
    properties: dict[str, str] = {}
    for line in text.split("\r\n"):
        if line.startswith("["):
            break
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key in ("Document", "Module", "Class", "BaseClass"):
            name = value.split("/")[0] if key == "Document" else value
            module_lines[name] = key
        else:
            properties[key] = value.strip('"')
    return module_lines, properties


def _projectwm_names(raw: bytes, codepage: int) -> list[str]:
    names: list[str] = []
    pos = 0
    while pos + 1 < len(raw) and raw[pos : pos + 2] != b"\x00\x00":
        end = raw.index(b"\x00", pos)
        names.append(raw[pos:end].decode(f"cp{codepage}", errors="replace"))
        pos = end + 1
        while pos + 1 < len(raw) and raw[pos : pos + 2] != b"\x00\x00":
            pos += 2
        pos += 2
    return names


def read_vba_project(data: bytes) -> VBAProjectInfo:
    """Parse a vbaProject.bin: project name, code page, references, and each module with its source."""
    try:
        cfb = CompoundFile(data)
        streams = cfb.walk()
        dir_raw = decompress(cfb.read_stream("VBA/dir"))
        project_raw = cfb.read_stream("PROJECT")
        projectwm_raw = cfb.read_stream("PROJECTwm") if cfb.exists("PROJECTwm") else b""
        vba_project = cfb.read_stream("VBA/_VBA_PROJECT")
    except (CFBError, OvbaError) as exc:
        raise VBACheckError(f"not a readable VBA project: {exc}") from None
    records = _dir_records(dir_raw)
    codepage = 1252
    project_name = ""
    references: list[str] = []
    declared = -1
    raw_modules: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    for record_id, payload in records:
        if record_id == 0x0003:
            codepage = struct.unpack("<H", payload)[0]
        elif record_id == 0x0004:
            project_name = payload.decode(f"cp{codepage}", errors="replace")
        elif record_id == 0x0016 and current is None:
            references.append(payload.decode(f"cp{codepage}", errors="replace"))
        elif record_id == 0x000F:
            declared = struct.unpack("<H", payload)[0]
        elif record_id == 0x0019:
            current = {
                "name": payload.decode(f"cp{codepage}", errors="replace"),
                "offset": None,
                "type": None,
            }
            raw_modules.append(current)
        elif current is not None:
            if record_id == 0x0047:
                current["unicode_name"] = payload.decode("utf-16-le", errors="replace")
            elif record_id == 0x001A:
                current["stream_name"] = payload.decode(f"cp{codepage}", errors="replace")
            elif record_id == 0x0031:
                current["offset"] = struct.unpack("<I", payload)[0]
            elif record_id in (0x0021, 0x0022):
                current["type"] = record_id
            elif record_id == 0x002B:
                current = None
    module_lines, properties = _project_text(project_raw, codepage)
    modules = [_read_module(cfb, m, codepage, module_lines) for m in raw_modules]
    return VBAProjectInfo(
        project_name=project_name,
        codepage=codepage,
        references=references,
        modules=modules,
        project_lines=module_lines,
        project_properties=properties,
        projectwm_names=_projectwm_names(projectwm_raw, codepage),
        vba_project_stream=vba_project,
        streams=streams,
        declared_module_count=declared,
        cfb_problems=cfb.order_problems(),
    )


def _read_module(
    cfb: CompoundFile, raw: Mapping[str, object], codepage: int, lines: Mapping[str, str]
) -> ModuleInfo:
    name = str(raw["name"])
    stream_name = str(raw.get("stream_name", name))
    offset = raw.get("offset")
    type_id = int(raw["type"]) if raw.get("type") is not None else 0
    declared = lines.get(name)
    kind = {"Document": "document", "Module": "standard", "Class": "class", "BaseClass": "class"}.get(
        declared or ""
    )
    source: str | None = None
    problem: str | None = None
    if not isinstance(offset, int):
        problem = "has no MODULEOFFSET record"
    else:
        try:
            stream = cfb.read_stream(f"VBA/{stream_name}")
            if offset > len(stream):
                problem = f"MODULEOFFSET {offset} lies beyond its {len(stream)}-byte stream"
            else:
                source = decompress(stream[offset:]).decode(f"cp{codepage}")
        except CFBError:
            problem = f"stream VBA/{stream_name} is missing"
        except (OvbaError, UnicodeDecodeError) as exc:
            problem = f"source at MODULEOFFSET {offset} does not decompress/decode: {exc}"
    return ModuleInfo(
        name=name,
        stream_name=stream_name,
        unicode_name=raw.get("unicode_name"),  # type: ignore[arg-type]
        type_id=type_id,
        offset=offset if isinstance(offset, int) else -1,
        kind=kind,
        source=source,
        problem=problem,
    )


def check_vba_project(
    data: bytes,
    code_names: Iterable[str] | None = None,
    customui: str | None = None,
) -> list[str]:
    """Every way this vbaProject.bin departs from a valid source-only project; [] when none.

    code_names: the workbook's and sheets' code names; the document modules must be exactly these.
    customui: customUI XML whose callbacks must resolve to public Subs of the project's modules.
    """
    try:
        info = read_vba_project(data)
    except VBACheckError as exc:
        return [str(exc)]
    problems = list(info.cfb_problems)
    if info.vba_project_stream != VBA_PROJECT_STREAM:
        problems.append(
            f"_VBA_PROJECT is {info.vba_project_stream[:8].hex()}..., not the source-only form "
            f"{VBA_PROJECT_STREAM.hex()} (version 0xFFFF, no performance cache)"
        )
    problems += [
        f"stream {s} holds compiled state (source-only projects have no __SRP_ streams)"
        for s in info.streams
        if s.split("/")[-1].startswith("__SRP_")
    ]
    if info.declared_module_count != len(info.modules):
        problems.append(
            f"dir stream declares {info.declared_module_count} modules but describes {len(info.modules)}"
        )
    problems += _module_problems(info)
    problems += _project_stream_problems(info, data)
    if code_names is not None:
        problems += code_name_problems(info, code_names)
    if customui is not None:
        problems += callback_problems(customui, info.sources(), kinds={m.name: m.kind for m in info.modules})
        if "Office" not in info.references:
            problems.append(
                "ribbon callbacks take IRibbonControl, but the project has no reference to Office"
            )
    return problems


def _module_problems(info: VBAProjectInfo) -> list[str]:
    problems: list[str] = []
    for module in info.modules:
        where = f"module {module.name!r}"
        if module.problem:
            problems.append(f"{where}: {module.problem}")
        if module.offset not in (0, -1):
            problems.append(
                f"{where}: MODULEOFFSET {module.offset}, but a source-only module must start at 0"
            )
        if module.stream_name != module.name or (module.unicode_name not in (None, module.name)):
            problems.append(
                f"{where}: stream/Unicode names {module.stream_name!r}/{module.unicode_name!r} differ"
            )
        if module.type_id not in _KIND_BY_TYPE:
            problems.append(f"{where}: no MODULETYPE record")
        if module.kind is None:
            problems.append(f"{where}: not listed in the PROJECT stream (the VBE would hide it)")
        elif (module.kind == "standard") != (module.type_id == 0x0021):
            problems.append(f"{where}: PROJECT says {module.kind}, dir MODULETYPE is 0x{module.type_id:04X}")
        if module.source is not None:
            first = module.source.split("\r\n", 1)[0]
            if first != f'Attribute VB_Name = "{module.name}"':
                problems.append(
                    f'{where}: source starts with {first[:60]!r}, not Attribute VB_Name = "{module.name}"'
                )
            if module.kind == "document" and "Attribute VB_Base = " not in module.source:
                problems.append(f"{where}: document module without Attribute VB_Base")
    return problems


def _project_stream_problems(info: VBAProjectInfo, data: bytes) -> list[str]:
    problems: list[str] = []
    names = [m.name for m in info.modules]
    ghosts = sorted(set(info.project_lines) - set(names))
    if ghosts:
        problems.append(f"PROJECT stream lists modules the dir stream lacks: {ghosts}")
    if info.projectwm_names and info.projectwm_names != names:
        problems.append(f"PROJECTwm names {info.projectwm_names} differ from the dir stream's {names}")
    if info.project_properties.get("Name") != info.project_name:
        problems.append(
            f"PROJECT Name={info.project_properties.get('Name')!r} differs from dir PROJECTNAME {info.project_name!r}"
        )
    project_id = info.project_properties.get("ID", "")
    for key in ("CMG", "DPB", "GC"):
        value = info.project_properties.get(key)
        if value is None:
            problems.append(f"PROJECT stream has no {key}= line")
            continue
        try:
            version, key_byte, _ = decrypt_project_data(value)
        except (VBAProjectError, ValueError) as exc:
            problems.append(f"PROJECT {key}: {exc}")
            continue
        if version != 2 or key_byte != sum(project_id.encode("ascii", errors="replace")) & 0xFF:
            problems.append(f"PROJECT {key} is not encrypted against project ID {project_id}")
    return problems


def code_name_problems(info: VBAProjectInfo, code_names: Iterable[str]) -> list[str]:
    """Document modules must be exactly the workbook's and sheets' code names."""
    wanted = list(code_names)
    problems = [
        f"code name #{index} is empty: Excel would create a second module such as ThisWorkbook1"
        for index, name in enumerate(wanted)
        if not name
    ]
    documents = {m.name for m in info.modules if m.kind == "document"}
    for missing in sorted({c for c in wanted if c} - documents):
        problems.append(f"code name {missing!r} has no Document module in the VBA project")
    for extra in sorted(documents - set(wanted)):
        problems.append(f"Document module {extra!r} matches no workbook/sheet code name")
    return problems


# ------------------------------------------------------------------------------------------ ribbon


def _callback_attributes(element: Element) -> Iterable[tuple[str, str, str]]:
    for node in element.iter():
        tag = node.tag.rsplit("}", 1)[-1]
        for attr, value in node.attrib.items():
            if attr.startswith(("on", "get")) or attr == "loadImage":
                yield tag, attr, value


def public_subs(sources: Mapping[str, str]) -> dict[str, list[tuple[str, str, list[str]]]]:
    """Sub name (upper-cased) -> [(module, visibility, parameter types)] over all modules."""
    subs: dict[str, list[tuple[str, str, list[str]]]] = {}
    for module, source in sources.items():
        joined = re.sub(r" _\r?\n", " ", source)  # VBA line continuations
        for match in _SUB.finditer(joined):
            visibility = (match.group(1) or "Public").capitalize()
            params = [p.strip() for p in match.group(3).split(",") if p.strip()]
            types = []
            for param in params:
                typed = _PARAM_TYPE.search(param)
                types.append(typed.group(1) if typed else "Variant")
            subs.setdefault(match.group(2).upper(), []).append((module, visibility, types))
    return subs


def callback_problems(
    customui: str, sources: Mapping[str, str], kinds: Mapping[str, str | None] | None = None
) -> list[str]:
    """Ribbon callbacks vs Subs: each callback names one public Sub with the right first parameter,
    and each Sub taking IRibbonControl is used by some control."""
    try:
        root = SafeET.fromstring(customui.encode("utf-8"))
    except (ParseError, DefusedXmlException) as exc:
        return [f"customUI XML does not parse: {exc}"]
    problems: list[str] = []
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if root.tag.rsplit("}", 1)[-1] != "customUI" or namespace not in (CUSTOMUI_NS_2009, CUSTOMUI_NS_2006):
        problems.append(f"customUI root is {root.tag!r}, not customUI in a customui namespace")
    kinds = kinds or {}
    callable_sources = {
        m: s for m, s in sources.items() if kinds.get(m, "standard") in ("standard", "document")
    }
    subs = public_subs(callable_sources)
    used: set[str] = set()
    for tag, attr, value in _callback_attributes(root):
        module, _, sub = value.rpartition(".")
        where = f"<{tag} {attr}={value!r}>"
        candidates = [c for c in subs.get(sub.upper(), []) if not module or c[0].upper() == module.upper()]
        if module and not any(module.upper() == m.upper() for m in sources):
            problems.append(f"{where}: no module {module!r}")
            continue
        if not candidates:
            problems.append(f"{where}: no Sub {sub!r} in the VBA project")
            continue
        if len(candidates) > 1:
            problems.append(
                f"{where}: Sub {sub!r} is defined in several modules {[c[0] for c in candidates]}"
            )
            continue
        owner, visibility, types = candidates[0]
        used.add(f"{owner}.{sub}".upper())
        if visibility == "Private":
            problems.append(f"{where}: Sub {owner}.{sub} is Private; the ribbon cannot call it")
        expected = "ribbon As IRibbonUI" if attr == "onLoad" else "control As IRibbonControl"
        if not types or types[0].upper() != expected.rsplit(" ", 1)[-1].upper():
            problems.append(f"{where}: Sub {owner}.{sub} must take ({expected}, ...) first")
        elif tag == "button" and attr == "onAction" and len(types) != 1:
            problems.append(
                f"{where}: button callback {owner}.{sub} must take exactly (control As IRibbonControl)"
            )
    for name, defs in subs.items():
        for owner, _visibility, types in defs:
            if (
                types
                and types[0].upper() in ("IRIBBONCONTROL", "IRIBBONUI")
                and f"{owner}.{name}".upper() not in used
            ):
                problems.append(f"Sub {owner}.{name.lower()} takes {types[0]} but no ribbon control calls it")
    return problems


# -------------------------------------------------------------------------------------- the package


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise VBACheckError(f"part {name} is {info.file_size} bytes, over the {MAX_PART_BYTES} limit")
    return archive.read(name)


def _relationships(raw: bytes | None) -> list[dict[str, str]]:
    if raw is None:
        return []
    try:  # the package's relationships are parsed in one place, xlfin.xlsx.opc
        return relationship_attributes("relationships", raw)
    except WorkbookError as exc:
        raise VBACheckError(str(exc)) from None


def workbook_code_names(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's code name followed by each worksheet's, in sheet order ('' where absent)."""
    workbook_raw = _read_part(archive, "xl/workbook.xml")
    if workbook_raw is None:
        raise VBACheckError("no xl/workbook.xml")
    workbook = SafeET.fromstring(workbook_raw)
    pr = workbook.find(f"{{{NS_MAIN}}}workbookPr")
    names = [pr.get("codeName", "") if pr is not None else ""]
    rels = {r["Id"]: r["Target"] for r in _relationships(_read_part(archive, "xl/_rels/workbook.xml.rels"))}
    for sheet in workbook.iter(f"{{{NS_MAIN}}}sheet"):
        path = resolve("xl/workbook.xml", rels.get(sheet.get(f"{{{NS_OFFICE_REL}}}id", ""), ""))
        names.append(_sheet_code_name(archive, path, sheet.get("name")))
    return names


_SHEET_PR = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetPr\b[^>]*?\scodeName=\"([^\"]*)\"")


def _sheet_code_name(archive: zipfile.ZipFile, path: str, sheet_name: str | None) -> str:
    """sheetPr is the first child of <worksheet> (ECMA-376 order), so the part's head is enough: parsing a whole
    sheet of 100,000 rows only to read one attribute made every template build and check slow."""
    try:
        with archive.open(path) as part:
            head = part.read(8192)
    except KeyError:
        raise VBACheckError(f"sheet {sheet_name!r}: part {path} is missing") from None
    match = _SHEET_PR.search(head)
    return match.group(1).decode("utf-8") if match else ""


def check_xlsm(data: bytes) -> list[str]:
    """Package-level checks of a macro-enabled workbook plus check_vba_project on its vbaProject.bin."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        return [f"not a zip package: {exc}"]
    problems: list[str] = []
    with archive:
        types_raw = _read_part(archive, "[Content_Types].xml")
        if types_raw is None:
            return ["no [Content_Types].xml"]
        types = SafeET.fromstring(types_raw)
        overrides = {el.get("PartName"): el.get("ContentType") for el in types.iter(f"{{{NS_CT}}}Override")}
        defaults = {
            el.get("Extension", "").lower(): el.get("ContentType") for el in types.iter(f"{{{NS_CT}}}Default")
        }
        if overrides.get("/xl/workbook.xml") != CT_MACRO_WORKBOOK:
            problems.append(
                f"xl/workbook.xml has content type {overrides.get('/xl/workbook.xml')!r}, not {CT_MACRO_WORKBOOK}"
            )
        if overrides.get("/xl/vbaProject.bin", defaults.get("bin")) != CT_VBA_PROJECT:
            problems.append(f"xl/vbaProject.bin lacks content type {CT_VBA_PROJECT}")
        workbook_rels = _relationships(_read_part(archive, "xl/_rels/workbook.xml.rels"))
        if not any(
            r.get("Type") == REL_VBA_PROJECT and r.get("Target", "").endswith("vbaProject.bin")
            for r in workbook_rels
        ):
            problems.append("xl/_rels/workbook.xml.rels has no vbaProject relationship")
        vba = _read_part(archive, "xl/vbaProject.bin")
        if vba is None:
            return problems + ["no xl/vbaProject.bin"]
        customui, ui_problems = _customui_part(archive)
        problems += ui_problems
        try:
            code_names = workbook_code_names(archive)
        except VBACheckError as exc:
            return problems + [str(exc)]
    return problems + check_vba_project(vba, code_names=code_names, customui=customui)


def _customui_part(archive: zipfile.ZipFile) -> tuple[str | None, list[str]]:
    rels = _relationships(_read_part(archive, "_rels/.rels"))
    ui_rels = [r for r in rels if r.get("Type") in (REL_CUSTOMUI_2007, REL_CUSTOMUI_2006)]
    if not ui_rels:
        if any(n.startswith("customUI/") for n in archive.namelist()):
            return None, ["customUI part present but _rels/.rels has no ui/extensibility relationship"]
        return None, []
    problems: list[str] = []
    by_type: dict[str, int] = {}
    for rel in ui_rels:
        by_type[rel["Type"]] = by_type.get(rel["Type"], 0) + 1
    problems += [f"more than one relationship of type {t}" for t, n in by_type.items() if n > 1]
    chosen = next((r for r in ui_rels if r["Type"] == REL_CUSTOMUI_2007), ui_rels[0])
    path = chosen.get("Target", "").lstrip("/")
    raw = _read_part(archive, path)
    if raw is None:
        return None, problems + [f"_rels/.rels points the ribbon at {path}, which is missing"]
    text = raw.decode("utf-8")
    wanted_ns = CUSTOMUI_NS_2009 if chosen["Type"] == REL_CUSTOMUI_2007 else CUSTOMUI_NS_2006
    if f'xmlns="{wanted_ns}"' not in text:
        problems.append(f"{path}: relationship type {chosen['Type']} expects namespace {wanted_ns}")
    return text, problems
