"""Print pip requirements that pin every runtime dependency to the lowest version pyproject.toml allows.

`.ci/run` installs these into a second venv and runs the tests there, so the declared lower bounds are tested
bounds, not guesses. A dependency without a lower bound is printed unchanged.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

LOWER = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(?:==|>=|~=)\s*([^,;\s]+)")


def oldest_pins(pyproject: Path) -> list[str]:
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = []
    for dep in deps:
        m = LOWER.match(dep)
        pins.append(f"{m.group(1)}=={m.group(2)}" if m else dep)
    return pins


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    print("\n".join(oldest_pins(root / "pyproject.toml")))
