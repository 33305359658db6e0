"""The generated VBA module (udfs/xlfin_udfs.bas): every formula declared with the right parameters, up to date."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from xlfin.excel import udf_registration, udfs

BAS = Path(__file__).resolve().parents[1] / "udfs" / "xlfin_udfs.bas"
FUNCTION_LINE = re.compile(r"^Function (\w+)\((.*)\)$")


@pytest.fixture(scope="module")
def generated() -> str:
    return udf_registration.generate_udf_module()


def declared(text: str) -> dict[str, list[tuple[str, bool]]]:
    out = {}
    for line in text.split("\r\n"):
        m = FUNCTION_LINE.match(line)
        if m:
            params = [p.strip() for p in m.group(2).split(",") if p.strip()]
            out[m.group(1)] = [(p.removeprefix("Optional "), p.startswith("Optional ")) for p in params]
    return out


def test_committed_bas_is_up_to_date(generated):
    assert BAS.exists(), "run python -m xlfin.excel.udf_registration"
    assert BAS.read_bytes() == generated.encode("ascii"), "stale: run python -m xlfin.excel.udf_registration"


def test_every_formula_is_declared_with_its_parameters(generated):
    functions = declared(generated)
    assert set(functions) == set(udfs.__all__)
    for name, info in udfs.REGISTRY.items():
        assert functions[name] == [(a.name, a.optional) for a in info.visible_args], name
    assert functions["ALTMAN_Z"][-2:] == [("sales", True), ("model", True)]


def test_wrappers_call_the_udf_module_with_the_hidden_caller(generated):
    for name, info in udfs.REGISTRY.items():
        names = ", ".join([a.name if a.visible else udfs.HIDDEN_VBA[a.name] for a in info.args]
                          + ["Application.Caller.Address(True, True, 1, True)"])
        call = f'{name} = XLPy.CallUDF("xlfin_udfs", "{name}", Array({names}), ThisWorkbook, Application.Caller)'
        assert call in generated, name
    assert generated.count('Application.CommandBars("Standard").Controls(1).Enabled') == sum(
        not i.call_in_wizard for i in udfs.REGISTRY.values())
    assert "Application.Volatile" not in generated


def test_module_shape_crlf_ascii_and_macro_options(generated):
    assert generated.startswith('Attribute VB_Name = "xlwings_udfs"\r\n')
    assert "\n" not in generated.replace("\r\n", "")
    assert generated.isascii()
    assert all(len(line) <= 1023 for line in generated.split("\r\n"))
    assert "Sub xlfin_RegisterFunctions()" in generated
    for name, info in udfs.REGISTRY.items():
        assert f"'!{name}\", Description:=\"{info.summary_en.replace(chr(34), chr(34) * 2)}\", Category:=\"xlfin\"" \
            in generated
    assert '"\'\'Z\'\'""' not in generated  # quotes inside VBA strings are doubled
    assert '"""Z\'\'"" (default), ""Z\'"" or ""Z""."' in generated


def test_stubs_do_not_leak(generated):
    assert "pythoncom" not in sys.modules or sys.platform == "win32"
    assert "xlwings.udfs" not in sys.modules or sys.platform == "win32"
    assert not hasattr(udfs.DSO, "__xlfunc__") or sys.platform == "win32"


def test_check_mode(tmp_path, capsys):
    path = tmp_path / "x.bas"
    assert udf_registration.main(["--check", "--output", str(path)]) == 1
    assert udf_registration.main(["--output", str(path)]) == 0
    assert udf_registration.main(["--check", "--output", str(path)]) == 0
