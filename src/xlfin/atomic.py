"""Moved to `xlfin.xlsx.atomic` (the file-format package owns the one atomic writer); kept for old imports."""

from .xlsx.atomic import atomic_write, atomic_write_bytes, keep_backup

__all__ = ["atomic_write", "atomic_write_bytes", "keep_backup"]
