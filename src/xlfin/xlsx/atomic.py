"""Atomic file writes with one backup: a temporary file beside the target, fsync, `.bak` of the old file, rename.

Every file xlfin writes (workbooks, the template) goes through here, so a crash or a full disk mid-write never
leaves a half-written workbook where the user's file was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows); the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def keep_backup(target: Path) -> None:
    """PATH.bak becomes the file about to be replaced (one backup; an older one is replaced)."""
    bak = target.with_name(target.name + ".bak")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".bak.tmp")
    os.close(fd)
    os.unlink(tmp)
    try:
        os.link(target, tmp)  # free and instant; the original inode stays intact until the final rename
    except OSError:
        shutil.copy2(target, tmp)
    os.replace(tmp, bak)


def atomic_write(target: Path, write: Callable[[Path], None], *, mode_from: Path | None = None,
                 backup: bool = True) -> Path:
    """Call `write(tmp_path)`, then make the result `target` atomically (keeping `target.bak` when asked)."""
    target = Path(target)
    folder = target.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        reference = target if target.exists() else mode_from
        os.chmod(tmp, (reference.stat().st_mode & 0o777) if reference and reference.exists() else 0o644)
        if backup and target.exists():
            keep_backup(target)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def atomic_write_bytes(target: Path, data: bytes, *, backup: bool = True) -> Path:
    return atomic_write(target, lambda tmp: tmp.write_bytes(data), backup=backup)
