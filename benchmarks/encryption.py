"""Cost of encrypted books (issue #17): decrypting and encrypting a workbook package in memory, and a whole
`xlfin regenerate` on the same demo book plain and encrypted.

    .venv/bin/python benchmarks/encryption.py --invoices 20000

Prints the package size, decrypt and encrypt times (agile: AES-256, SHA-512, 100 000 password rounds, HMAC check
on read), the time of one workbook hash for the Audit sheet (xlsx.digest: every part inflated and hashed), and the
wall time of `regenerate` on the plain and the encrypted copy (each run once, in this process).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from regenerate import fill  # the seeded large-book filler of benchmarks/regenerate.py (same folder)

from xlfin.app.operations import ACTIONS, execute
from xlfin.xlsx import crypto
from xlfin.xlsx.digest import zip_digest

PASSWORD = "benchmark-password"


def regenerate(path: Path) -> float:
    from xlfin.adapters.file import open_workbook

    start = time.perf_counter()
    wb = open_workbook(path)
    try:
        execute(wb, ACTIONS, verb="regenerate")
    finally:
        wb.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain.xlsm"
        fill(plain, customers=max(20, args.invoices // 20), invoices=args.invoices, payments=args.invoices * 4 // 5,
             seed=1, lang="en")
        package = plain.read_bytes()
        start = time.perf_counter()
        sealed = crypto.encrypt(package, PASSWORD)
        t_encrypt = time.perf_counter() - start
        start = time.perf_counter()
        assert crypto.decrypt(sealed, PASSWORD) == package
        t_decrypt = time.perf_counter() - start
        start = time.perf_counter()
        zip_digest(package)
        t_digest = time.perf_counter() - start
        locked = Path(folder) / "locked.xlsm"
        locked.write_bytes(sealed)
        os.environ["XLFIN_BOOK_PASSWORD"] = PASSWORD
        t_plain = regenerate(plain)
        t_locked = regenerate(locked)
        assert crypto.is_encrypted(locked.read_bytes())
    print(f"invoices: {args.invoices}, package: {len(package) / 1e6:.1f} MB")
    print(f"encrypt: {t_encrypt:.2f} s, decrypt (with HMAC check): {t_decrypt:.2f} s, workbook hash: {t_digest:.2f} s")
    print(f"regenerate plain: {t_plain:.1f} s, encrypted: {t_locked:.1f} s "
          f"(+{t_locked - t_plain:.1f} s, {100 * (t_locked - t_plain) / t_plain:+.0f} %)")


if __name__ == "__main__":
    main()
