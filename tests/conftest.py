"""Shared test helpers: headless LibreOffice as an independent reader of what xlfin writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# Always recalculate on load, so a test sees LibreOffice's own results, never the cached values in the file.
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOffice:
    """`soffice --headless --convert-to` with a throwaway user profile (one per instance, removed by close())."""

    def __init__(self, executable: str, *, recalc: bool = False, timeout: float = 240) -> None:
        self.executable = executable
        self.timeout = timeout
        self.profile = Path(f"/tmp/lo_{uuid.uuid4().hex}")
        (self.profile / "user").mkdir(parents=True)
        if recalc:
            (self.profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")

    def convert(self, files: list[Path], fmt: str, outdir: Path, *, one_output_each: bool = True) -> list[Path]:
        """Convert `files` to `fmt` in `outdir`; fails the test (with LibreOffice's output) if a file is missing.

        one_output_each=False for filters that write several files per input (CSV of every sheet)."""
        start = time.perf_counter()
        result = subprocess.run(
            [self.executable, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)],
            check=False, capture_output=True, text=True, timeout=self.timeout,
        )
        print(f"soffice --convert-to {fmt} ({len(files)} file(s)): {time.perf_counter() - start:.1f} s")
        if not one_output_each:
            assert result.returncode == 0, f"LibreOffice failed: {result.stdout} {result.stderr}"
            return []
        outputs = [outdir / f"{Path(f).stem}.{fmt.split(':')[0]}" for f in files]
        missing = [p.name for p in outputs if not p.is_file()]
        assert not missing, f"LibreOffice produced no {missing}: {result.stdout} {result.stderr}"
        return outputs

    def close(self) -> None:
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of soffice; skips when LibreOffice is absent, unless XLFIN_REQUIRE_LIBREOFFICE=1 (CI), where it fails."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        if os.environ.get("XLFIN_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("XLFIN_REQUIRE_LIBREOFFICE=1 but soffice is not on PATH")
        pytest.skip("LibreOffice (soffice) is not installed")
    return path


@pytest.fixture(scope="module")
def make_libreoffice(soffice: str):
    """make_libreoffice(recalc=False, timeout=240) -> LibreOffice; every instance's profile is removed afterwards."""
    made: list[LibreOffice] = []

    def make(*, recalc: bool = False, timeout: float = 240) -> LibreOffice:
        made.append(LibreOffice(soffice, recalc=recalc, timeout=timeout))
        return made[-1]

    yield make
    for office in made:
        office.close()


@pytest.fixture(autouse=True)
def _no_book_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a developer's XLFIN_BOOK_PASSWORD or OS keyring, or waits at a password prompt (issue #17);
    tests that need a password set it themselves."""
    from xlfin.xlsx import password

    monkeypatch.delenv(password.ENV_VAR, raising=False)
    monkeypatch.setattr(password, "from_keyring", lambda _path: None)
    monkeypatch.setattr(password, "can_prompt", lambda: False)


@pytest.fixture
def engine():
    """The in-memory xlwings engine (tests/adapters/fake_xlwings_engine.py), installed for one test."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "adapters"))
    import fake_xlwings_engine as fake

    eng, previous = fake.install()
    yield eng
    fake.uninstall(eng, previous)
