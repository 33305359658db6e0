"""The template build gives the same bytes whether or not openpyxl can use lxml (issue 15 item 5).

openpyxl serialises through lxml when it is importable; the build canonicalises every XML part, so the
committed template is reproducible on any machine. `.ci/run` checks the same through `template build --check`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlfin.template import build_template
from xlfin.template.canonical import canonical_xml

BUILD = "import sys; from xlfin.template import build_template; sys.stdout.buffer.write(build_template(sys.argv[1]))"


def _build_in_child(lang: str, tmp_path: Path, *, hide_lxml: bool) -> bytes:
    env = dict(os.environ)
    if hide_lxml:
        shadow = tmp_path / "no_lxml"
        (shadow / "lxml").mkdir(parents=True, exist_ok=True)
        (shadow / "lxml" / "__init__.py").write_text('raise ImportError("hidden for the test")\n')
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shadow), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", BUILD, lang], capture_output=True, env=env, timeout=300, check=True)
    return done.stdout


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_same_bytes_with_and_without_lxml(lang: str, tmp_path: Path) -> None:
    pytest.importorskip("lxml")  # the dev extra installs it; without it this side of the comparison is moot
    import openpyxl

    assert openpyxl.LXML, "openpyxl does not use lxml in this process, so the comparison would prove nothing"
    with_lxml = build_template(lang)
    assert _build_in_child(lang, tmp_path, hide_lxml=True) == with_lxml


def test_canonical_form_ignores_serialisation_details() -> None:
    a = b'<a xmlns="urn:x" xmlns:r="urn:r"><b r:id="1" c="2" /><d></d></a>'
    b = b'<?xml version="1.0"?>\n<a xmlns="urn:x"><b xmlns:r="urn:r" c="2" r:id="1"/><d/></a>'
    assert canonical_xml(a) == canonical_xml(b)
    assert canonical_xml(a).startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<a ')
    assert b"<d/>" in canonical_xml(a)
    # every prefix declared on the root, as Excel writes it (text-level editors of workbook.xml rely on xmlns:r)
    assert b'<a xmlns="urn:x" xmlns:r="urn:r"><b c="2" r:id="1"/>' in canonical_xml(b)
