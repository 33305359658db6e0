"""The VBA module that xlwings' "Import Functions" would create for xlfin's formulas, generated without Excel.

xlwings' classic decorators and ``generate_vba_wrapper`` live in ``xlwings.udfs``, which imports pywin32 at the top.
Off Windows three stub modules (``pythoncom``, ``pywintypes``, ``win32com``/``win32com.client``) are put into
``sys.modules`` just long enough to import it; the generator only reads ``xl_workbook.Name``. The result is the
``xlwings_udfs`` module text (CRLF, as VBA exports it) for the workbook whose ``UDF Modules`` is ``xlfin_udfs``,
followed by ``xlfin_RegisterFunctions``: the ``Application.MacroOptions`` calls that "Import Functions" makes
(description, category ``xlfin``, argument help), for a ``Workbook_Open`` to run because a file built off Windows
never went through "Import Functions". Call it guarded, e.g. ``On Error Resume Next: Application.Run
"xlfin_RegisterFunctions"``, so a later "Import Functions" (which replaces this module) cannot break the workbook.

    python -m xlfin.excel.udf_registration            # rewrites udfs/xlfin_udfs.bas
    python -m xlfin.excel.udf_registration --check    # exit 1 when the committed file is stale
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from xlfin.excel import udfs
from xlfin.excel.build_products import write_or_check

__all__ = [
    "BAS_PATH",
    "UDF_MODULE",
    "VBA_MODULE_NAME",
    "classic_xlwings_udfs",
    "decorated_functions",
    "generate_udf_module",
    "main",
    "write_udf_module",
]

UDF_MODULE = "xlfin_udfs"  # the UDF Modules setting of the workbook (udfs/__init__.py, installed as the package xlfin_udfs)
VBA_MODULE_NAME = "xlwings_udfs"  # the component name xlwings' Import Functions uses
WORKBOOK_NAME = "workbook_template.xlsm"  # .xlsm → the wrappers pass ThisWorkbook (an .xlam would pass ActiveWorkbook)
COMMAND = "python -m xlfin.excel.udf_registration"
BAS_PATH = Path(__file__).resolve().parents[3] / "udfs" / "xlfin_udfs.bas"
_STUBBED = ("pythoncom", "pywintypes", "win32com", "win32com.client")
_MAX_LINE = 1000  # VBA allows 1023 characters per physical line


@contextlib.contextmanager
def classic_xlwings_udfs() -> Iterator[types.ModuleType]:
    """``xlwings.udfs`` (the classic, COM-based UDF machinery), importable on any OS for the duration.

    On Windows the real module is used. Elsewhere pywin32 is stubbed while it is imported and everything is put
    back afterwards, so no other code sees the stubs or a half-usable ``xlwings.udfs``.
    """
    import xlwings

    if sys.platform == "win32":
        import xlwings.udfs as real

        yield real
        return
    saved = {name: sys.modules.get(name) for name in (*_STUBBED, "xlwings.udfs")}
    had_attr = hasattr(xlwings, "udfs")
    old_attr = getattr(xlwings, "udfs", None)
    try:
        pythoncom = types.ModuleType("pythoncom")
        pythoncom.CoInitialize = lambda: None
        pythoncom.IID_IDispatch = None
        pythoncom.CoMarshalInterThreadInterfaceInStream = lambda *a: None
        pywintypes = types.ModuleType("pywintypes")
        pywintypes.com_error = type("com_error", (Exception,), {})
        win32com = types.ModuleType("win32com")
        client = types.ModuleType("win32com.client")
        client.Dispatch = lambda *a, **k: None
        win32com.client = client
        sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com,
                            "win32com.client": client})
        sys.modules.pop("xlwings.udfs", None)
        import importlib

        module = importlib.import_module("xlwings.udfs")
        yield module
        module.com_executor.shutdown(wait=False)
    finally:
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod
        if had_attr:
            xlwings.udfs = old_attr
        elif hasattr(xlwings, "udfs"):
            delattr(xlwings, "udfs")


def _proxy(entry: Callable) -> Callable:
    """A fresh function object with the entry's name, signature and docstring, for the classic decorators to mark
    (they set ``__xlfunc__`` on the object they are given; the module's own functions stay untouched)."""

    @functools.wraps(entry)
    def proxy(*args: Any, **kwargs: Any) -> Any:
        return entry(*args, **kwargs)

    proxy.__dict__.pop("__xlfunc__", None)
    proxy.__signature__ = entry.__signature__
    proxy.__annotations__ = {}
    return proxy


def decorated_functions(xludfs: types.ModuleType) -> dict[str, Callable]:
    """Every registered formula decorated by the classic xlwings decorators (carrying ``__xlfunc__`` exactly as
    on Windows), by name."""
    out = {}
    for name, info in udfs.REGISTRY.items():
        out[name] = udfs.apply_xlwings_decorators(_proxy(info.function), info, xludfs.xlfunc, xludfs.xlarg)
    return out


def _vba_string(text: str) -> str:
    if not text.isascii():
        raise ValueError(f"VBA source must stay ASCII (the VBA project code page), got {text!r}")
    return '"' + text.replace('"', '""') + '"'


def _register_sub() -> list[str]:
    """Sub xlfin_RegisterFunctions: the MacroOptions calls of xlwings' import_udfs, written out."""
    lines = [
        "' Function descriptions, category and argument help, as xlwings' Import Functions sets them.",
        "' Run from Workbook_Open (guarded: On Error Resume Next, Application.Run \"xlfin_RegisterFunctions\").",
        "Sub xlfin_RegisterFunctions()",
        "    On Error Resume Next",
    ]
    for name, info in udfs.REGISTRY.items():
        docs = [_vba_string(a.en[:255]) for a in info.visible_args]
        head = (f"    Application.MacroOptions Macro:=\"'\" & ThisWorkbook.Name & \"'!{name}\", "
                f"Description:={_vba_string(info.summary_en[:255])}, Category:={_vba_string(udfs.CATEGORY)}")
        if not docs:
            lines.append(head)
            continue
        lines.append(head + ", _")
        lines.append("        ArgumentDescriptions:=Array( _")
        for i, doc in enumerate(docs):
            lines.append(f"            {doc}{', _' if i < len(docs) - 1 else ')'}")
    lines += ["End Sub", ""]
    for line in lines:
        if len(line) > _MAX_LINE:
            raise ValueError(f"VBA line longer than {_MAX_LINE} characters: {line[:60]}...")
    return lines


def generate_udf_module(module_name: str = UDF_MODULE, workbook_name: str = WORKBOOK_NAME) -> str:
    """The VBA text (CRLF line ends) of the ``xlwings_udfs`` module for ``UDF Modules = module_name``."""
    with classic_xlwings_udfs() as xludfs:
        module = types.ModuleType(module_name)
        for name, fn in decorated_functions(xludfs).items():
            setattr(module, name, fn)
        buffer = io.StringIO()
        buffer.write(f'Attribute VB_Name = "{VBA_MODULE_NAME}"\n')
        buffer.write("'Autogenerated code by xlwings - changes will be lost with next import!\n")
        buffer.write("'Generated for xlfin by `python -m xlfin.excel.udf_registration`; edit src/xlfin/excel/udfs/ instead.\n")
        buffer.write("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel\n""")
        xludfs.generate_vba_wrapper(module_name, module, buffer, types.SimpleNamespace(Name=workbook_name))
    text = buffer.getvalue() + "\n".join(_register_sub())
    text = text.replace("\r\n", "\n")
    if not text.isascii():
        raise ValueError("the generated VBA module must be ASCII")
    return text.replace("\n", "\r\n")


def write_udf_module(path: Path = BAS_PATH) -> Path:
    write_or_check({path: generate_udf_module().encode("ascii")}, check=False, command=COMMAND)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=BAS_PATH, help="where to write the .bas (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from what is generated")
    args = parser.parse_args(argv)
    return write_or_check({args.output: generate_udf_module().encode("ascii")}, check=args.check, command=COMMAND)


if __name__ == "__main__":
    raise SystemExit(main())
