"""Committed build products (the UDF VBA module, the function reference): write them, or check they are current.

One routine for every generator, so `--check` means the same thing everywhere: exit 1 and name the stale files.
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(files: dict[Path, bytes], *, check: bool, command: str) -> int:
    """Write `files` (path -> exact bytes), or with `check` compare them; returns the exit code."""
    if check:
        stale = [path for path, data in files.items() if not path.is_file() or path.read_bytes() != data]
        if stale:
            print(f"stale: {', '.join(map(str, stale))}: run {command}", file=sys.stderr)
            return 1
        for path in files:
            print(f"{path} is up to date")
        return 0
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")
    return 0
