"""One-off, for the integrator: plug issue #17 (privacy) into the byte-level file adapter of the `fileformat` branch.

    python tools/replug_privacy.py [REPO]

Run it once on the merge of `fileformat` and `privacy`, after taking fileformat's side of src/xlfin/adapters/file.py
(and deleting adapters/fastread.py). It edits that file at the two points fileformat left for it (`load_package`,
`save_package`): encrypted books are decrypted in memory on load (`load_book`) and encrypted again before the atomic
write; the Audit rows' pending hash is stamped into the final package; generated sheets get the password-less
`<sheetProtection/>`. Verified on a scratch merge (fileformat + main + privacy): tests/privacy all pass. Each edit
asserts its anchor, so a second run, or a changed adapter, stops with the anchor it did not find. Delete this file
once it has run.
"""
import sys
from pathlib import Path

root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
p = root / "src/xlfin/adapters/file.py"
s = p.read_text()


def rep(old, new, count=1):
    global s
    assert s.count(old) == count, (old, s.count(old))
    s = s.replace(old, new)


rep('''from pathlib import Path

import numpy as np
''', '''import io
from pathlib import Path

import numpy as np
''')
rep('''from ..xlsx.atomic import atomic_write
''', '''from ..xlsx.atomic import atomic_write
from xlfin.xlsx.crypto import BookBytes, read_book
from xlfin.xlsx.digest import HASH_PENDING, stamp_package, zip_digest
from xlfin.xlsx.password import Secret
from xlfin.xlsx.protection import sheet_protection_xml
''')
rep('''from .safety import MACRO_SUFFIXES, check_input_file, check_output_suffix, check_writable''',
    '''from .safety import MACRO_SUFFIXES, check_input_file, check_output_suffix, check_writable, check_zip''')
rep('''def load_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> Package:
    """The workbook file's bytes as a package (the one place a workbook file is read)."""
    check_input_file(path, limits)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return Package(data, str(path))


def save_package(target: Path, data: bytes, *, mode_from: Path | None = None) -> Path:
    """The final package bytes to `target`, atomically, keeping `target.bak` (the one place a workbook is written)."""
    return atomic_write(target, lambda tmp: tmp.write_bytes(data), mode_from=mode_from)
''', '''def load_book(path: Path, limits: Limits = DEFAULT_LIMITS, password: Secret | None = None) -> BookBytes:
    """The workbook file's package bytes (the one place a workbook file is read): the file itself, or for a book
    encrypted with a password (issue #17) its package decrypted in memory, never on disk. `password`: the one that
    opened it before (a reload after a save asks nobody again)."""
    if check_input_file(path, limits, allow_encrypted=True):
        book = read_book(path, None if password is None else [password])
        check_zip(path, limits, io.BytesIO(book.package))
        return book
    try:
        return BookBytes(Path(path), Path(path).read_bytes())
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def load_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> Package:
    """The workbook file's package, decrypted in memory when the book is encrypted."""
    return Package(load_book(path, limits).package, str(path))


def save_package(target: Path, data: bytes, *, mode_from: Path | None = None, book: BookBytes | None = None) -> Path:
    """The final package bytes to `target`, atomically, keeping `target.bak` (the one place a workbook is written);
    encrypted first with the book's password when `book` was encrypted, so the temporary file, the result and (next
    time) the backup hold only encrypted bytes."""
    sealed = book.seal(data) if book is not None else data
    return atomic_write(target, lambda tmp: tmp.write_bytes(sealed), mode_from=mode_from)


def _stamped(data: bytes, source: str) -> bytes:
    """The Audit rows' pending hash replaced by the hash of what is written (xlsx.digest)."""
    package = Package(data, source)
    return package.to_bytes() if stamp_package(package) else data
''')
rep('''        self._package = load_package(self.path, limits)
        self._opened_stat''', '''        self._book = load_book(self.path, limits)
        self._package = Package(self._book.package, str(self.path))
        self._opened_stat''')
rep('''            self._package = load_package(self.path, self._limits)
            self._reader''', '''            self._book = load_book(self.path, self._limits, self._book.password)
            self._package = Package(self._book.package, str(self.path))
            self._reader''')
rep('''    @property
    def name(self) -> str:
        return self.path.name
''', '''    @property
    def name(self) -> str:
        return self.path.name

    @property
    def encrypted(self) -> bool:
        return self._book.encrypted

    def hash_before(self) -> str:
        """The workbook hash (xlsx.digest) of the file as opened, for the Audit row."""
        return zip_digest(self._book.package)

    def hash_after_pending(self) -> str:
        """The placeholder an Audit row carries; the save replaces it with the hash of what it writes."""
        return HASH_PENDING
''')
rep('''        sheet = GeneratedSheet()
        self._sheets[sheet_en]''', '''        sheet = GeneratedSheet(protection=sheet_protection_xml())  # against accidental edits, no password (#17)
        self._sheets[sheet_en]''')
rep('''        save_package(target, data, mode_from=self.path)''',
    '''        save_package(target, _stamped(data, str(self.path)), mode_from=self.path, book=self._book)''')
rep('''__all__ = ["FileWorkbook", "open_workbook", "load_package", "save_package", "Table"]''',
    '''__all__ = ["FileWorkbook", "open_workbook", "load_book", "load_package", "save_package", "Table"]''')
p.write_text(s)
print("replugged", p)
