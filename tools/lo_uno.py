#!/usr/bin/env python3
"""Drive headless LibreOffice through UNO for checks that need more than `soffice --convert-to`.

Runs under the system Python that carries LibreOffice's `uno` module (Debian: python3-uno), not the project's
venv; the tests and benchmarks call it as a subprocess and read one JSON object from stdout.

    lo_uno.py basic BOOK.xlsm... [--allow=ALLOWED.json]
                                       compile every VBA module of each BOOK in LibreOffice Basic (VBA mode)
    lo_uno.py recalc BOOK.xlsx SHEET RANGE [--repeat N]
                                       time a full recalculation (calculateAll: wall and soffice's CPU
                                       seconds) and return RANGE's values

basic: LibreOffice imports an Excel VBA project as a Basic library whose modules start with
`Option VBASupport 1` (VBA compatibility mode). Basic compiles a module the first time one of its routines
runs, so each module gets an empty probe Sub appended and the probe is run through the document's script
provider: a syntax error in the module then fails the call with LibreOffice's own message (line and text).
Class and document modules are object modules, whose routines a script URL cannot reach; their bodies are
compiled as a standard module of the same text in a scratch library instead.
"""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import uno  # noqa: F401  (LibreOffice's Python bridge; provides the com.sun.star modules)
from com.sun.star.beans import PropertyValue

PROBE = "XlfinCompileProbe"
# Load the VBA project as executable Basic (not commented out), and never recalculate on load, so that
# `recalc` can time calculateAll() alone.
REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Load" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Executable" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def _prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


class Office:
    """A headless soffice with a throwaway profile, listening on a pipe; `desktop` is its frame loader."""

    def __init__(self, soffice: str) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="xlfin_lo_"))
        (self.profile / "user").mkdir()
        (self.profile / "user" / "registrymodifications.xcu").write_text(REGISTRY, encoding="utf-8")
        self.pipe = f"xlfin_{uuid.uuid4().hex}"
        self.proc = subprocess.Popen(
            [soffice, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", "--invisible",
             "--norestore", "--nologo", "--nodefault", f"--accept=pipe,name={self.pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 120
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:  # not listening yet
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.3)
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def load(self, path: Path):
        args = (_prop("Hidden", True), _prop("MacroExecutionMode", 4))  # ALWAYS_EXECUTE_NO_WARN
        return self.desktop.loadComponentFromURL(path.resolve().as_uri(), "_blank", 0, args)

    def close(self) -> None:
        try:
            if getattr(self, "desktop", None) is not None:
                self.desktop.terminate()
        except Exception:  # the bridge drops when soffice exits
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


# Conditional compilation as 64-bit Windows Excel evaluates it (VBA7 and Win64 are true there).
VBA_CONSTANTS = {"VBA7": True, "VBA6": True, "WIN64": True, "WIN32": True, "WIN16": False, "MAC": False}
_DIRECTIVE = re.compile(r"^\s*#(If|ElseIf|Else|End If|Const)\b(.*?)(?:\s+Then)?\s*(?:'.*)?$", re.IGNORECASE)
_BLOCK_START = re.compile(r"^\s*(?:(?:Public|Private|Friend)\s+)?(?:Static\s+)?(?:Sub|Function|Property\s+(?:Get|Let|Set))\s",
                          re.IGNORECASE)
_BLOCK_END = re.compile(r"^\s*End\s+(?:Sub|Function|Property)\b", re.IGNORECASE)


def _eval_condition(expr: str, constants: dict[str, object]) -> bool:
    """A #If condition: names, string and number literals, = <> < > <= >=, And Or Not."""
    tokens = re.findall(r'"[^"]*"|\d+(?:\.\d+)?|<>|<=|>=|[=<>()]|[A-Za-z_]\w*', expr)
    out = []
    for tok in tokens:
        low = tok.lower()
        if low in ("and", "or", "not"):
            out.append(f" {low} ")
        elif tok == "=":
            out.append("==")
        elif tok == "<>":
            out.append("!=")
        elif tok[0].isalpha() or tok[0] == "_":
            out.append(repr(constants.get(tok.upper(), 0)))  # undefined names are Empty (0) in VBA
        else:
            out.append(tok)
    return bool(eval("".join(out), {"__builtins__": {}}))  # noqa: S307 - our own token list, literals only


def resolve_conditionals(lines: list[str]) -> list[str]:
    """The module as Excel compiles it: `#` directives and inactive branches become blank lines (numbers kept)."""
    constants = dict(VBA_CONSTANTS)
    stack: list[list[bool]] = []  # per open #If: [this branch active, some branch already taken]
    out = []
    for line in lines:
        match = _DIRECTIVE.match(line)
        active = all(frame[0] for frame in stack)
        if not match:
            out.append(line if active else "")
            continue
        word, rest = match.group(1).lower(), match.group(2).strip()
        if word == "const" and active:
            name, _, value = rest.partition("=")
            constants[name.strip().upper()] = eval(value.strip().replace('""', '\\"'), {"__builtins__": {}})  # noqa: S307
        elif word == "if":
            taken = _eval_condition(rest, constants)
            stack.append([taken, taken])
        elif word == "elseif":
            taken = not stack[-1][1] and _eval_condition(rest, constants)
            stack[-1] = [taken, stack[-1][1] or taken]
        elif word == "else":
            stack[-1] = [not stack[-1][1], True]
        elif word == "end if":
            stack.pop()
        out.append("")
    return out


class Compiler:
    """Compiles Basic text in a fresh scratch library of a loaded document: True when it compiles."""

    def __init__(self, doc) -> None:
        self.doc = doc
        self.count = 0

    def __call__(self, lines: list[str]) -> bool:
        self.count += 1
        library, module = f"XlfinScratch{self.count}", f"Probe{self.count}"
        libraries = self.doc.BasicLibraries
        libraries.createLibrary(library)
        text = "\n".join(lines) + f"\nFunction {PROBE}()\n{PROBE} = 42\nEnd Function\n"
        libraries.getByName(library).insertByName(module, text)
        url = f"vnd.sun.star.script:{library}.{module}.{PROBE}?language=Basic&location=document"
        try:
            # A module that does not compile runs nothing: the call then returns no value (no exception).
            result = self.doc.getScriptProvider().getScript(url).invoke((), (), ())[0]
        except Exception:  # e.g. the script cannot be found: also "does not compile"
            result = None
        finally:
            libraries.removeLibrary(library)
        return result == 42


def _blocks(lines: list[str]) -> tuple[list[int], list[list[int]]]:
    """Indices of the declarations section and of each procedure (Sub/Function/Property ... End)."""
    declarations: list[int] = []
    blocks: list[list[int]] = []
    current: list[int] | None = None
    for i, line in enumerate(lines):
        if current is None and _BLOCK_START.match(line):
            current = [i]
        elif current is not None:
            current.append(i)
            if _BLOCK_END.match(line):
                blocks.append(current)
                current = None
        else:
            declarations.append(i)
    if current is not None:
        blocks.append(current)
    return declarations, blocks


def _culprits(lines: list[str], unit: list[int], context: list[int], compiles) -> list[int]:
    """A small set of lines of `unit` whose removal lets unit (+ context) compile, found greedily: binary-search
    the shortest prefix of candidate lines whose removal helps, keep its last line, repeat."""
    keep = set(context) | set(unit)
    candidates = [i for i in unit if lines[i].strip()]

    def without(dropped: set[int]) -> list[str]:
        return [line if i in keep and i not in dropped else "" for i, line in enumerate(lines)]

    found: list[int] = []
    while not compiles(without(set(found))):
        rest = [i for i in candidates if i not in found]
        if not rest or not compiles(without(set(found) | set(rest))):
            return found or unit[:1]  # no line removal helps: point at the unit's first line
        low, high = 1, len(rest)
        while low < high:  # shortest prefix of `rest` whose removal (with `found`) compiles
            mid = (low + high) // 2
            if compiles(without(set(found) | set(rest[:mid]))):
                high = mid
            else:
                low = mid + 1
        found.append(rest[low - 1])
    return sorted(found)


def locate_errors(lines: list[str], compiles) -> list[int]:
    """Indices of the lines that keep the module from compiling: the declarations section first, then each
    procedure compiled on its own with the declarations."""
    declarations, blocks = _blocks(lines)
    if not compiles([line if i in set(declarations) else "" for i, line in enumerate(lines)]):
        return _culprits(lines, declarations, [], compiles)
    bad: list[int] = []
    for block in blocks:
        inner = block[1:-1] or block
        bad += _culprits(lines, inner, declarations + [block[0], block[-1]], compiles)
    return bad


def basic_check(office: Office, book: Path, allowed: dict[str, list[str]]) -> dict:
    """Every VBA module of the book, as LibreOffice imported it, compiled in LibreOffice Basic.

    allowed: module name (or "*") -> exact (stripped) lines that only Excel understands; they are commented
    out before compiling. Result: {library, modules: {name: {type, vba_support, errors: [[line, text]],
    allowed: [texts used]}}}; line numbers count the module text LibreOffice holds (its two header lines first).
    """
    doc = office.load(book)
    try:
        libraries = doc.BasicLibraries
        names = [n for n in libraries.getElementNames() if n != "Standard"]
        if not names:
            return {"library": None, "modules": {}}
        library = names[0]
        libraries.loadLibrary(library)
        lib = libraries.getByName(library)
        compiles = Compiler(doc)
        modules: dict[str, dict] = {}
        for name in lib.getElementNames():
            source = lib.getByName(name)
            try:
                kind = {1: "normal", 2: "class", 3: "form", 4: "document"}.get(lib.getModuleInfo(name).ModuleType,
                                                                               "unknown")
            except Exception:  # not a VBA module
                kind = "basic"
            lines = source.split("\n")
            vba_support = any(line.strip() == "Option VBASupport 1" for line in lines)
            # Object-module bodies are compiled as standard-module text (a script URL cannot reach a class).
            lines = ["" if line.strip() == "Option ClassModule" else line for line in lines]
            lines = resolve_conditionals(lines)
            allow = set(allowed.get(name, [])) | set(allowed.get("*", []))
            used = sorted({line.strip() for line in lines if line.strip() in allow})
            lines = [f"' excel-only: {line.strip()}" if line.strip() in allow else line for line in lines]
            errors = [] if compiles(lines) else [[i + 1, lines[i]] for i in locate_errors(lines, compiles)]
            modules[name] = {"type": kind, "vba_support": vba_support, "errors": errors, "allowed": used}
        return {"library": library, "modules": modules, "compiles": compiles.count}
    finally:
        doc.close(True)


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by process `root` and its descendants (soffice.bin runs under the
    soffice launcher). On a machine shared with other work it is the figure that load does not inflate; 0 where
    /proc is missing."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(times.get(pid, 0.0) for pid in tree)


def recalc(office: Office, book: Path, sheet: str, cell_range: str, repeat: int) -> dict:
    """Wall and CPU seconds of each full recalculation (calculateAll) and the range's values after the last one."""
    doc = office.load(book)
    if doc is None:
        raise RuntimeError(f"LibreOffice could not open {book}")
    try:
        seconds, cpu = [], []
        for _ in range(repeat):
            used, start = cpu_seconds(office.proc.pid), time.perf_counter()
            doc.calculateAll()
            seconds.append(time.perf_counter() - start)
            cpu.append(cpu_seconds(office.proc.pid) - used)
        data = doc.Sheets.getByName(sheet).getCellRangeByName(cell_range).getDataArray()
        return {"seconds": seconds, "cpu_seconds": cpu, "values": [list(row) for row in data]}
    finally:
        doc.close(True)


def main(argv: list[str]) -> int:
    soffice = os.environ.get("SOFFICE") or shutil.which("soffice") or "soffice"
    if not argv or argv[0] not in ("basic", "recalc"):
        print(__doc__, file=sys.stderr)
        return 2
    office = Office(soffice)
    try:
        if argv[0] == "basic":
            books = [a for a in argv[1:] if not a.startswith("--allow=")]
            allow = [a.split("=", 1)[1] for a in argv[1:] if a.startswith("--allow=")]
            allowed = json.loads(Path(allow[0]).read_text(encoding="utf-8")) if allow else {}
            result = {book: basic_check(office, Path(book), allowed) for book in books}
        else:
            repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 1
            result = recalc(office, Path(argv[1]), argv[2], argv[3], repeat)
    finally:
        office.close()
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
