"""Outreach benchmark: bank import, statements and sending on the demo workbook.

    .venv/bin/python benchmarks/outreach.py [--entries 10000] [--lang en|zh-CN]

Prints:
- parsing a camt.053 with N entries (pure), and importing it into the demo workbook, then importing it again (0 rows);
- statements for every customer of the demo workbook (PDF + HTML + queued .eml): total seconds and per document;
- sending the queued statements to a local SMTP server (aiosmtpd, accepting everything): messages per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "outreach"))
from outreach_samples import camt053, camt_entry, camt_tx  # noqa: E402

from xlfin.adapters.file import open_workbook  # noqa: E402
from xlfin.app.demo import demo_workbook_bytes  # noqa: E402
from xlfin.outreach.bank import parse_bank_file  # noqa: E402
from xlfin.outreach.import_bank import import_bank  # noqa: E402
from xlfin.outreach.runs import send, statements  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--lang", default="en", choices=("en", "zh-CN"))
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="xlfin-outreach-bench-"))
    book = folder / "book.xlsm"
    book.write_bytes(demo_workbook_bytes(args.lang))
    entries = [camt_entry(f"{i % 997 + 1}.{i % 100:02d}", ref=f"R{i:06d}", date="2026-11-19",
                          txs=camt_tx(payer=f"Payer {i % 50}", ustrd=f"INV-{i:06d}")) for i in range(args.entries)]
    data = camt053(entries, ccy="USD")
    started = time.perf_counter()
    parsed = parse_bank_file(data, "big.xml")
    print(f"parse camt.053, {len(parsed.transactions):,} entries ({len(data) / 2**20:.1f} MiB): "
          f"{time.perf_counter() - started:.2f} s")
    (folder / "big.xml").write_bytes(data)
    for label in ("import", "import again"):
        started = time.perf_counter()
        with open_workbook(book) as wb:
            s = import_bank(wb, [folder / "big.xml"])
        print(f"{label}: {s.appended:,} appended, {s.duplicates:,} already there: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with open_workbook(book) as wb:
        s = statements(wb, folder / "statements")
    seconds = time.perf_counter() - started
    n = len(s.documents)
    print(f"statements: {n} customers, {s.queued} queued: {seconds:.1f} s ({seconds / max(n, 1):.2f} s per customer)")
    from smtp_servers import Mailbox, Server

    mailbox = Mailbox()
    with Server(mailbox) as server:
        with open_workbook(book) as wb:  # the demo book has no SMTP settings: this run's Config gets them
            settings = wb.read_config()[0].model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": server.port,
                                                              "smtp_security": "none",
                                                              "sender_email": "ar@example.com"})
            wb._config_cache = (settings, *wb.read_config()[1:])
            started = time.perf_counter()
            r = send(wb)
            seconds = time.perf_counter() - started
    print(f"send: {r.sent} messages to a local SMTP server: {seconds:.1f} s ({r.sent / seconds:.0f} per second)")


if __name__ == "__main__":
    main()
