"""`xlfin ledger report`: the per-customer sheets written from a posted ledger without loading it (issue #16).

A `Run` whose results come from the ledger instead of the input rows: the staging (sheets, labels, the summary,
the Audit rows) is the workbook run's own (`Run.stage_*`), so the sheets are laid out exactly as `regenerate`
lays them out. What is read, and how memory stays bounded by one customer chunk plus one row per customer:

- Aging: the summary from SQL (one row per customer); the detail counted in SQL, fetched when it fits the sheet,
  else inserted whole into report_aging_detail by INSERT ... SELECT at commit, the sheet showing the oldest rows
  and a note (ledger.reports.aging_sheet);
- Scorecard: per-customer sums in SQL, scored by the engine (ledger.scorecard_sql.scorecard_from_ledger);
- Dunning: the overdue open items typed straight from SQL, build_dunning on them (ledger.dunning_sql);
- Forecast and Dashboard: ledger.forecast_sql / ledger.dashboard_sql.

The input tables are never read whole: the Audit rows' counts come from SQL (`frames` holds ranges of the row
counts, which is all the stages take of them).
"""

from __future__ import annotations

import datetime as dt
import time
from functools import cached_property

import pandas as pd

from xlfin import schema
from xlfin.app.operations import Progress, Run, RunSummary
from xlfin.engine.dashboard import DashboardData
from xlfin.engine.dunning import DunningError
from xlfin.ledger.pushdown import sql_date
from xlfin.schema.tables import WorkbookError

REPORT_ACTIONS = ("aging", "scorecard", "dunning", "forecast", "dashboard")


class LedgerReportRun(Run):
    """One report run over the posted ledger of a LedgerBook (`ledger.view.ledger_view`)."""

    def __init__(self, book, *, as_of: dt.date | None = None, progress: Progress | None = None,
                 chunk_rows: int | None = None):
        super().__init__(book, as_of=as_of, progress=progress, verb="ledger report")
        self.store = book.store
        self.chunk_rows = chunk_rows

    def _count(self, sql: str) -> int:
        return int(self.store.rows(sql)[0][0])

    @cached_property
    def frames(self) -> dict[str, range]:  # type: ignore[override]
        """Row counts only (the stages count rows for the Audit sheet): the rows stay in the ledger."""
        a = sql_date(self.as_of)
        return {"customers": range(self._count("SELECT COUNT(*) FROM customers")),
                "invoices": range(self._count(f"SELECT COUNT(*) FROM invoices WHERE invoice_date <= {a}")),
                "payments": range(self._count(f"SELECT COUNT(*) FROM payments WHERE payment_date <= {a}"))}

    @cached_property
    def figures(self):
        from xlfin.ledger.pushdown import Figures

        return Figures(self.store, self.settings, self.as_of)

    @cached_property
    def open_items(self) -> range:  # type: ignore[override]
        return range(self._count(f"SELECT COUNT(*) FROM {self.figures.TABLE}"))

    @cached_property
    def aging(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        from xlfin.ledger.reports import aging_sheet

        self.progress("aging")
        summary, detail, self.open_item_count = aging_sheet(self.store, self.settings, self.as_of,
                                                            self.wb.overflows, self.figures.TABLE)
        return summary, detail

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        from xlfin.ledger.scorecard_sql import scorecard_from_ledger

        self.progress("scorecard")
        return scorecard_from_ledger(self.store, self.settings, self.as_of, self.figures.TABLE)

    @cached_property
    def dunning(self):
        from xlfin.ledger.dunning_sql import CHUNK_ROWS, dunning_from_ledger

        self.progress("dunning")
        try:  # the open items the Aging sheet was made from (pushdown.Figures), read again for dunning only
            return dunning_from_ledger(self.store, self.settings, self.as_of, self.config[2], self.dunning_log,
                                       self.figures.TABLE, self.chunk_rows or CHUNK_ROWS)
        except DunningError as exc:  # the user's tblDunningLevels / log cannot be used: say so
            raise WorkbookError(str(exc)) from exc

    @cached_property
    def forecast(self):
        from xlfin.ledger.forecast_sql import forecast_from_ledger

        self.progress("forecast")
        if self.chunk_rows:  # --chunk-rows bounds the pay-date chunks too
            return forecast_from_ledger(self.store, self.settings, self.as_of, chunk_rows=self.chunk_rows)
        return forecast_from_ledger(self.store, self.settings, self.as_of)

    @cached_property
    def dashboard(self) -> DashboardData:
        from xlfin.ledger.dashboard_sql import dashboard_from_ledger
        from xlfin.ledger.reports import unapplied_total

        self.progress("dashboard")
        summary, _ = self.aging
        return dashboard_from_ledger(self.store, self.settings, self.as_of, aging_summary=summary,
                                     scorecard=self.scorecard, unapplied_total=unapplied_total(self.store),
                                     bucket_labels=schema.aging_bucket_labels(self.settings.aging_edges),
                                     cash_forecast=self.forecast.cash.weeks)

    def stage_aging(self) -> dict:
        result = super().stage_aging()
        result["open_items"] = self.open_item_count  # the sheet may show the top rows only
        return result

    def ledger_state(self) -> dict:
        """What the summary says about the ledger itself: rows the last load left out, payments not posted."""
        a = sql_date(self.as_of)
        return {"rows_left_out": self._count("SELECT COUNT(*) FROM ledger_rejects"),
                "posting_runs": self._count("SELECT COUNT(*) FROM ledger_runs"),
                "payments_not_posted": self._count(
                    f"SELECT COUNT(*) FROM payments p WHERE p.payment_date <= {a} AND NOT EXISTS "
                    "(SELECT 1 FROM ledger_posted l WHERE l.payment_id = p.payment_id)")}


def execute_report(book, *, as_of: dt.date | None = None, output=None, progress: Progress | None = None,
                   chunk_rows: int | None = None, actions=REPORT_ACTIONS) -> RunSummary:
    """Write the per-customer sheets into `book` (a LedgerBook) from its posted ledger and commit once."""
    started = time.perf_counter()
    run = LedgerReportRun(book, as_of=as_of, progress=progress, chunk_rows=chunk_rows)
    state = run.ledger_state()
    if state["posting_runs"] == 0 and run.frames["payments"]:
        raise WorkbookError("the ledger has no posted cash application: run `xlfin ledger reconcile BOOK` first")
    wanted = [a for a in REPORT_ACTIONS if a in set(actions)]
    summary = RunSummary(actions=wanted, as_of=run.as_of, language=run.lang)
    # validation happened when the rows were loaded: what it left out is in ledger_rejects (exit 1, as `load`)
    summary.validation = {"errors": 0, "warnings": 0, "exit_code": 1 if state["rows_left_out"] else 0}
    if state["rows_left_out"]:
        summary.validation["rows_left_out"] = state["rows_left_out"]
    if state["payments_not_posted"]:
        summary.validation["payments_not_posted"] = state["payments_not_posted"]
    for action in wanted:
        summary.results[action] = getattr(run, f"stage_{action}")()
    run.stage_audit()
    run.progress("save")
    written = book.commit(output)
    summary.output = str(written) if written else None
    summary.seconds = time.perf_counter() - started
    return summary
