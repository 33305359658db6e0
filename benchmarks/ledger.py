"""Ledger scale benchmark (issue #16): N invoices and M payments in DuckDB (or PostgreSQL), ageing, the Scorecard's
per-customer figures and the dunning candidates computed in SQL where the data lives; then the Forecast
(xlfin.ledger.forecast_sql) and the Dashboard (xlfin.ledger.dashboard_sql) from the same ledger.

    python benchmarks/ledger.py --invoices 10000000 --payments 8000000            # DuckDB file in /tmp
    python benchmarks/ledger.py --invoices 1000000 --payments 800000 --pg postgresql://postgres@127.0.0.1:5432/db
    python benchmarks/ledger.py --reconcile --invoices 1000000 --payments 800000     # chunked posting, peak memory
    python benchmarks/ledger.py --report --invoices 1000000 [--in-memory]           # `xlfin ledger report`

The ledger is generated with SQL (generate_series) into the product's own tables (`xlfin.ledger.ddl.init`): one
customer per 100 invoices, two years of invoice dates, 1 % credit notes, 1 % disputed, a third with a blank due date
(terms apply); each payment settles one invoice (every tenth only in part), posted in ledger_allocations as
`xlfin ledger reconcile` would. Generation runs in a child process, so the peak RSS printed is the query process
alone (DuckDB runs in-process: its memory is in that figure; PostgreSQL's server memory is not).

`--reconcile` generates the same ledger with nothing posted (every twentieth payment without a customer, naming
its invoice in the reference: the identification pass) and runs `xlfin.ledger.allocate.post_reconciliation` twice
on copies of it, each in its own process: in customer chunks (`--chunk-rows`, default 200,000) and as one chunk
(the whole ledger at once). It prints time and peak RSS of each and checks that both posted the same rows.

`--report` generates the posted ledger (as above, plus its ledger_posted / ledger_runs rows) and runs
`xlfin ledger report` (`xlfin.app.ledger_report.execute_report`) into a template book in a child process: seconds
per stage and peak RSS, once for the per-customer sheets the ledger code bounds by the chunk (Aging, Scorecard,
Dunning) and once for all five sheets (Forecast and Dashboard through ledger/forecast_sql.py and dashboard_sql.py).
`--in-memory` adds the same five sheets by the in-memory ledger run (`operations.execute` on the LedgerBook: every
input row read, the engine's reconciliation in memory) for comparison; at 1 M invoices that takes minutes and GBs.
`--baseline OLD_SRC` runs the first report again on another copy of the code (a `src` folder, e.g. from
`git archive`), right after, on the same ledger: old and new stage seconds in one run, as the timings are noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

AS_OF = dt.date(2026, 11, 20)


def _quotient(numerator: str, divisor: int) -> str:
    """Integer division the same in both databases: DuckDB's `/` divides as floats (and CAST rounds to nearest),
    PostgreSQL's truncates; subtracting the remainder first leaves an exact quotient for either."""
    return f"CAST((({numerator}) - ({numerator}) % {divisor}) / {divisor} AS BIGINT)"


def generate_sql(n_inv: int, n_pay: int) -> list[str]:
    n_cus = max(n_inv // 100, 1)
    a = f"DATE '{AS_OF.isoformat()}'"
    return [
        f"""INSERT INTO customers (customer_id, name, payment_terms_days, credit_limit, dunning_hold, _seq)
            SELECT 'C' || lpad(CAST(g AS TEXT), 7, '0'), 'Customer ' || g,
                   CASE WHEN g % 3 = 0 THEN NULL ELSE 30 + (g % 4) * 15 END, 1000000 + (g % 50) * 100000,
                   g % 211 = 0, g
            FROM generate_series(CAST(0 AS BIGINT), CAST({n_cus - 1} AS BIGINT)) AS t(g)""",
        f"""INSERT INTO invoices (invoice_no, doc_type, customer_id, invoice_date, due_date, amount, disputed, _seq)
            SELECT 'INV' || CAST(g AS TEXT), CASE WHEN g % 100 = 7 THEN 'Credit Note' ELSE 'Invoice' END,
                   'C' || lpad(CAST((g * 7919) % {n_cus} AS TEXT), 7, '0'),
                   {a} - CAST((g * 104729) % 730 AS INTEGER),
                   CASE WHEN g % 3 = 0 THEN NULL ELSE {a} - CAST((g * 104729) % 730 AS INTEGER) + 30 END,
                   10000 + (g * 15485863) % 2000000, g % 100 = 11, g
            FROM generate_series(CAST(0 AS BIGINT), CAST({n_inv - 1} AS BIGINT)) AS t(g)""",
        f"""INSERT INTO payments (payment_id, payment_date, customer_id, amount, _seq)
            SELECT 'PMT' || CAST(p AS TEXT), {a} - CAST((j * 104729) % 365 AS INTEGER),
                   'C' || lpad(CAST((j * 7919) % {n_cus} AS TEXT), 7, '0'),
                   CASE WHEN p % 10 = 0 THEN CAST(FLOOR((10000 + (j * 15485863) % 2000000) / 2.0) AS BIGINT)
                        ELSE 10000 + (j * 15485863) % 2000000 END, p
            FROM (SELECT p, {_quotient(f'p * {n_inv}', n_pay)} AS j FROM generate_series(CAST(0 AS BIGINT), CAST({n_pay - 1} AS BIGINT)) AS t(p)) s""",
        f"""INSERT INTO ledger_allocations (payment_id, invoice_no, customer_id, amount, rule, confidence, run_id)
            SELECT 'PMT' || CAST(p AS TEXT), 'INV' || CAST(j AS TEXT),
                   'C' || lpad(CAST((j * 7919) % {n_cus} AS TEXT), 7, '0'),
                   CASE WHEN p % 10 = 0 THEN CAST(FLOOR((10000 + (j * 15485863) % 2000000) / 2.0) AS BIGINT)
                        ELSE 10000 + (j * 15485863) % 2000000 END, 'fifo', 'low', 'bench'
            FROM (SELECT p, {_quotient(f'p * {n_inv}', n_pay)} AS j FROM generate_series(CAST(0 AS BIGINT), CAST({n_pay - 1} AS BIGINT)) AS t(p)) s
            WHERE j % 100 <> 7""",
    ]


def generate_unposted_sql(n_inv: int, n_pay: int) -> list[str]:
    """The same customers and invoices (with their lookup key), payments not yet posted; 5 % without a customer."""
    n_cus = max(n_inv // 100, 1)
    a = f"DATE '{AS_OF.isoformat()}'"
    customers, invoices, _payments, _allocations = generate_sql(n_inv, n_pay)
    return [
        customers,
        invoices.replace("amount, disputed, _seq)", "amount, disputed, _seq, _key)")
                .replace("g % 100 = 11, g\n", "g % 100 = 11, g, CAST(g AS TEXT)\n"),
        f"""INSERT INTO payments (payment_id, payment_date, customer_id, amount, reference, _seq)
            SELECT 'PMT' || CAST(p AS TEXT), {a} - CAST((j * 104729) % 365 AS INTEGER),
                   CASE WHEN p % 20 = 3 THEN NULL ELSE 'C' || lpad(CAST((j * 7919) % {n_cus} AS TEXT), 7, '0') END,
                   CASE WHEN p % 10 = 0 THEN CAST(FLOOR((10000 + (j * 15485863) % 2000000) / 2.0) AS BIGINT)
                        ELSE 10000 + (j * 15485863) % 2000000 END,
                   CASE WHEN p % 20 = 3 THEN 'INV' || CAST(j AS TEXT) END, p
            FROM (SELECT p, {_quotient(f'p * {n_inv}', n_pay)} AS j FROM generate_series(CAST(0 AS BIGINT), CAST({n_pay - 1} AS BIGINT)) AS t(p)) s""",
    ]


def posted_rows(n_inv: int, n_pay: int) -> int:
    """Allocations the generator posts: payment p settles invoice p × n_inv // n_pay unless that is a credit note
    (a ledger generated before the division was the same in both databases has another count: made again)."""
    import numpy as np

    j = np.arange(n_pay, dtype=np.int64) * n_inv // n_pay
    return int((j % 100 != 7).sum())


def generate(source: str, n_inv: int, n_pay: int, unposted: bool = False) -> None:
    from xlfin.ledger.ddl import init
    from xlfin.ledger.store import connect

    with connect(source) as store:
        init(store)
        if store.rows("SELECT count(*) FROM invoices")[0][0] == n_inv and (
                unposted or store.rows("SELECT count(*) FROM ledger_allocations")[0][0] == posted_rows(n_inv, n_pay)):
            return
        for table in ("ledger_allocations", "payments", "invoices", "customers"):
            store.execute(f"DELETE FROM {table}")
        for sql in (generate_unposted_sql if unposted else generate_sql)(n_inv, n_pay):
            started = time.perf_counter()
            store.execute(sql)
            print(f"  generated {sql.split()[2]:<20} {time.perf_counter() - started:7.1f} s", flush=True)
        if store.kind == "postgresql":
            store.execute("ANALYZE")


def measure(source: str, threads: int | None, memory: str | None, forecast: bool = True) -> None:
    from xlfin.ledger import pushdown
    from xlfin.ledger.store import connect
    from xlfin.schema.settings import Settings

    settings = Settings(as_of_date=AS_OF)
    with connect(source) as store:
        if store.kind == "duckdb":
            if threads:
                store.execute(f"SET threads = {int(threads)}")
            if memory:
                store.execute(f"SET memory_limit = '{memory}'")
        counts = {t: store.rows(f"SELECT count(*) FROM {t}")[0][0]
                  for t in ("customers", "invoices", "payments", "ledger_allocations")}
        print("rows:", counts)
        total = 0.0
        started = time.perf_counter()
        figures = pushdown.Figures(store, settings, AS_OF)
        total += time.perf_counter() - started
        print(f"{'open items (materialised once)':<32} {total:7.2f} s", flush=True)
        for name, fn in (("ageing (summary per customer)", figures.aging_summary),
                         ("scorecard figures per customer", figures.customer_figures),
                         ("dunning candidates", figures.dunning_candidates)):
            started = time.perf_counter()
            frame = fn()
            seconds = time.perf_counter() - started
            total += seconds
            print(f"{name:<32} {seconds:7.2f} s   {len(frame):>9,} rows", flush=True)
        print(f"{'total (issue: <= 60 s, <= 8 GB)':<32} {total:7.2f} s")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        print(f"peak RSS of the query process so far: {rss:.2f} GB", flush=True)
        if forecast:
            measure_reports(store, settings, figures)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"peak RSS of the query process: {rss:.2f} GB")


def measure_reports(store, settings, figures) -> None:
    """The Forecast (xlfin.ledger.forecast_sql) and the Dashboard (xlfin.ledger.dashboard_sql) from the ledger."""
    import numpy as np
    import pandas as pd

    from xlfin.engine.aging import bucket_labels
    from xlfin.ledger.dashboard_sql import dashboard_from_ledger
    from xlfin.ledger.forecast_sql import forecast_from_ledger

    started = time.perf_counter()
    fc = forecast_from_ledger(store, settings, AS_OF)
    seconds = time.perf_counter() - started
    print(f"{'forecast (pay model, chunks, demand)':<32} {seconds:7.2f} s   {len(fc.pay_dates):>9,} pay dates, "
          f"{fc.model.n_history:,} settled in the history, {len(fc.demand):,} demand rows", flush=True)
    # The per-customer frames the caller already has, shaped as the engine's: the ageing summary with its bucket
    # labels and the Scorecard's over-limit flag and ABC class (all C here: the class is not timed).
    labels = bucket_labels(settings.aging_edges)
    summary = figures.aging_summary().rename(columns={f"b{i}": label for i, label in enumerate(labels)})
    summary["name"] = summary["customer_id"]
    card = figures.customer_figures()
    limits = store.frame("SELECT customer_id, credit_limit FROM customers ORDER BY customer_id")
    card = card.merge(limits, on="customer_id", how="left")
    card["over_limit"] = (card["outstanding"].astype(np.float64) > card["credit_limit"].astype(np.float64)).to_numpy()
    card["abc_class"] = "C"
    started = time.perf_counter()
    dash = dashboard_from_ledger(store, settings, AS_OF, aging_summary=summary, scorecard=pd.DataFrame(card),
                                 unapplied_total=0, bucket_labels=labels, cash_forecast=fc.cash.weeks)
    seconds = time.perf_counter() - started
    print(f"{'dashboard (totals, CEI, 24 months)':<32} {seconds:7.2f} s   total AR {dash.kpis['kpi_total_ar'] / 100:,.2f}, "
          f"CEI {dash.kpis['kpi_cei']:.1f}", flush=True)


def post_once(source: str, chunk_rows: int) -> None:
    """Child process: one posting run; prints seconds, rows posted and peak RSS."""
    from xlfin.ledger.allocate import post_reconciliation
    from xlfin.ledger.store import connect
    from xlfin.schema.settings import Settings

    started = time.perf_counter()
    with connect(source) as store:
        result = post_reconciliation(store, Settings(as_of_date=AS_OF), AS_OF, chunk_rows=chunk_rows)
        digest = store.rows("SELECT COUNT(*), SUM(amount), SUM(LENGTH(payment_id) * 7 + LENGTH(invoice_no)) "
                            "FROM ledger_allocations")[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"RESULT {time.perf_counter() - started:.1f} {rss:.2f} {result.payments_considered} {result.allocations} "
          f"{digest[0]}/{digest[1]}/{digest[2]}", flush=True)


def compare_posting(args: argparse.Namespace, n_pay: int) -> None:
    import shutil
    import tempfile

    base = args.db or Path(f"/tmp/xlfin_ledger_unposted_{args.invoices}.duckdb")
    print(f"ledger duckdb:{base}: {args.invoices:,} invoices, {n_pay:,} payments, nothing posted")
    if not base.exists():
        subprocess.run([sys.executable, __file__, "--generate-only", "--unposted", "--invoices", str(args.invoices),
                        "--payments", str(n_pay), "--db", str(base)], check=True)
    results = {}
    for label, rows in (("chunked", args.chunk_rows or 200_000), ("one chunk (whole ledger)", 10**15)):
        with tempfile.TemporaryDirectory(dir=base.parent) as tmp:
            copy = Path(tmp) / "ledger.duckdb"
            shutil.copyfile(base, copy)
            out = subprocess.run([sys.executable, __file__, "--post-once", str(rows), "--db", str(copy)],
                                 check=True, capture_output=True, text=True).stdout
        seconds, rss, payments, allocations, digest = next(
            line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
        results[label] = digest
        print(f"{label:<26} chunk_rows={rows:<16,} {float(seconds):8.1f} s  peak RSS {float(rss):6.2f} GB  "
              f"{int(payments):,} payments, {int(allocations):,} allocations", flush=True)
    print("same rows posted:", len(set(results.values())) == 1)


POSTED_SQL = [
    """INSERT INTO ledger_posted (payment_id, run_id, allocated, unapplied, reason, customer_id)
       SELECT p.payment_id, 'bench', COALESCE(a.amount, 0), p.amount - COALESCE(a.amount, 0),
              CASE WHEN a.amount IS NULL THEN 'no_match' END, p.customer_id
       FROM payments p LEFT JOIN (SELECT payment_id, SUM(amount) AS amount FROM ledger_allocations
                                  GROUP BY payment_id) a ON a.payment_id = p.payment_id""",
    """INSERT INTO ledger_runs (run_id, started, payments, allocations)
       SELECT 'bench', CURRENT_TIMESTAMP, (SELECT COUNT(*) FROM payments), (SELECT COUNT(*) FROM ledger_allocations)""",
]


def view_book(path: Path, source: str) -> Path:
    """A template book whose Config points at the ledger (its input sheets stay empty: the ledger is the data)."""
    from xlfin.app.demo import set_config
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook

    wb = build_workbook("en")
    set_config(wb, {"as_of_date": AS_OF, "ledger_source": source}, "en")
    path.write_bytes(package_workbook(wb, "en"))
    return path


def report_once(source: str, actions: str, chunk_rows: int | None, in_memory: bool) -> None:
    """Child process: one report run into a fresh view book; prints stage seconds and peak RSS."""
    import tempfile

    from xlfin.adapters.file import open_workbook
    from xlfin.app.ledger_report import execute_report
    from xlfin.app.operations import execute
    from xlfin.ledger.view import ledger_view

    def cpu() -> float:  # this process's CPU seconds (DuckDB's threads included): less at the mercy of the load
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    marks: list[tuple[str, float]] = [("start", time.perf_counter())]
    cpus: list[float] = [cpu()]

    def progress(stage: str) -> None:
        marks.append((stage, time.perf_counter()))
        cpus.append(cpu())

    with tempfile.TemporaryDirectory() as tmp:
        book = ledger_view(open_workbook(view_book(Path(tmp) / "view.xlsm", source)))
        try:
            wanted = actions.split(",")
            if in_memory:
                summary = execute(book, wanted, progress=progress)
            else:
                summary = execute_report(book, progress=progress, chunk_rows=chunk_rows, actions=wanted)
        finally:
            book.close()
    marks.append(("end", time.perf_counter()))
    cpus.append(cpu())
    stages = " ".join(f"{name}={end - begin:.1f}/{c1 - c0:.1f}cpu"
                      for (name, begin), (_, end), c0, c1 in zip(marks, marks[1:], cpus, cpus[1:]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    aging = summary.results.get("aging", {})
    print(f"RESULT {marks[-1][1] - marks[0][1]:.1f} {rss:.2f} {aging.get('open_items')} {aging.get('total')} "
          f"{stages}", flush=True)


def compare_report(args: argparse.Namespace, n_pay: int) -> None:
    db = args.db or Path(f"/tmp/xlfin_ledger_report_{args.invoices}.duckdb")
    source = f"duckdb:{db}"
    print(f"ledger {source}: {args.invoices:,} invoices, {n_pay:,} payments, posted")
    if not db.exists():
        subprocess.run([sys.executable, __file__, "--generate-only", "--invoices", str(args.invoices),
                        "--payments", str(n_pay), "--db", str(db)], check=True)
        from xlfin.ledger.store import connect

        with connect(source) as store:
            for sql in POSTED_SQL:
                store.execute(sql)
    runs = [(f"ledger report: {args.sheets}", args.sheets, "")]
    if not args.bounded_only:
        runs.append(("ledger report: all five sheets", "aging,scorecard,dunning,forecast,dashboard", ""))
    if args.in_memory:
        runs.append(("in-memory ledger run: five sheets", "aging,scorecard,dunning,forecast,dashboard", "memory"))
    if args.baseline:
        runs.insert(1, (f"baseline {args.baseline}: {args.sheets}", args.sheets, "baseline"))
    for label, actions, mode in runs:
        cmd = [sys.executable, __file__, "--report-once", actions, "--db", str(db)]
        cmd += ["--chunk-rows", str(args.chunk_rows)] if args.chunk_rows else []
        cmd += ["--in-memory"] if mode == "memory" else []
        env = dict(os.environ, PYTHONPATH=str(args.baseline)) if mode == "baseline" else None
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        seconds, rss, items, total, *stages = next(
            line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
        print(f"{label:<38} {float(seconds):8.1f} s  peak RSS {float(rss):6.2f} GB  open items {items}, "
              f"total {total}", flush=True)
        print(f"    stages (s wall/CPU): {' '.join(stages)}", flush=True)
    if args.in_memory:
        print("(the in-memory run reconciles afresh; the generated ledger's allocations are synthetic, so its open items "
              "differ: compare time and memory only)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--payments", type=int, default=None, help="default: 80 %% of --invoices")
    ap.add_argument("--db", type=Path, default=None, help="DuckDB file (default /tmp/xlfin_ledger_<N>.duckdb)")
    ap.add_argument("--pg", default=None, help="PostgreSQL URL instead of DuckDB (no password: PGPASSWORD)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--memory", default=None, help="DuckDB memory_limit, e.g. 6GB")
    ap.add_argument("--no-reports", action="store_true", help="skip the Forecast and Dashboard timings")
    ap.add_argument("--reconcile", action="store_true", help="time chunked posting against one chunk (DuckDB)")
    ap.add_argument("--chunk-rows", type=int, default=None,
                    help="rows per customer chunk (--reconcile: default 200,000; --report: as `xlfin ledger report`)")
    ap.add_argument("--report", action="store_true", help="time `xlfin ledger report` on a posted ledger (DuckDB)")
    ap.add_argument("--in-memory", action="store_true", help="with --report: also the in-memory ledger run")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="with --report: the first run again with this src folder first on sys.path (old code)")
    ap.add_argument("--bounded-only", action="store_true",
                    help="with --report: only the --sheets run (Forecast and Dashboard read every row here)")
    ap.add_argument("--sheets", default="aging,scorecard,dunning", help="with --report: the first run's sheets")
    ap.add_argument("--report-once", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--unposted", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--post-once", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n_pay = args.payments if args.payments is not None else args.invoices * 8 // 10
    if args.post_once is not None:
        post_once(f"duckdb:{args.db}", args.post_once)
        return
    if args.reconcile:
        compare_posting(args, n_pay)
        return
    if args.report_once is not None:
        report_once(f"duckdb:{args.db}", args.report_once, args.chunk_rows, args.in_memory)
        return
    if args.report:
        compare_report(args, n_pay)
        return
    source = args.pg or f"duckdb:{args.db or Path(f'/tmp/xlfin_ledger_{args.invoices}.duckdb')}"
    if args.generate_only:
        generate(source, args.invoices, n_pay, args.unposted)
        return
    print(f"ledger {source}: {args.invoices:,} invoices, {n_pay:,} payments")
    started = time.perf_counter()
    child = [sys.executable, __file__, "--generate-only", "--invoices", str(args.invoices), "--payments", str(n_pay)]
    child += ["--pg", args.pg] if args.pg else ["--db", source.split(":", 1)[1]]
    subprocess.run(child, check=True)
    print(f"generation (child process)        {time.perf_counter() - started:7.1f} s")
    measure(source, args.threads, args.memory, not args.no_reports)


if __name__ == "__main__":
    main()
