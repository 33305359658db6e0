"""Per-customer reports from the posted ledger, fetching only the customers they work on (issue #16 item 2).

Each reads one row per customer, or the detail in SQL; the engine is unchanged.

- Aging (`aging_sheet`): the summary from SQL (`pushdown.aging_summary`, one row per customer); the detail
  counted in SQL, fetched in the engine's order when it fits the sheet, else inserted whole into
  report_aging_detail by INSERT ... SELECT when the workbook is saved, the sheet showing the oldest rows and a note.
- Scorecard: `xlfin.ledger.scorecard_sql.scorecard_from_ledger` (per-customer sums in SQL, the engine's scoring).
- Dunning: `ledger.dunning_sql.dunning_from_ledger` (the overdue open items typed straight from SQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

import numpy as np

from xlfin.engine import aging
from xlfin.schema import AGING_DETAIL
from xlfin.schema.settings import Settings

from xlfin.ledger import pushdown
from xlfin.ledger.overflow import Overflows, SqlOverflow, note_column, shares
from xlfin.ledger.store import Store

# ------------------------------------------------------------------------------------------------ ageing


def _collate(store: Store) -> str:
    """Text order as Python's (code points): PostgreSQL's database collation may be a locale's, DuckDB's is binary."""
    return ' COLLATE "C"' if store.kind == "postgresql" else ""


def aging_summary_from_ledger(store: Store, settings: Settings, as_of: dt.date, items: str | None = None
                              ) -> pd.DataFrame:
    """tblAging as `engine.aging.aging_summary` builds it, from the per-customer SQL (one row per customer)."""
    labels = aging.bucket_labels(settings.aging_edges)
    sql = pushdown.aging_summary_sql(settings, as_of, items)
    got = store.frame(f"SELECT s.*, c.name FROM ({sql}) s LEFT JOIN customers c ON c.customer_id = s.customer_id")
    if not len(got):
        return aging.aging_summary(None, None, settings.aging_edges)
    got = got.assign(customer_id=got["customer_id"].astype(str))
    got = got.iloc[np.argsort(got["customer_id"].to_numpy(dtype=object).astype(str), kind="stable")]
    out = pd.DataFrame({"customer_id": got["customer_id"].to_numpy(dtype=object),
                        "name": got["name"].astype(object).where(got["name"].notna(), None).to_numpy()})
    for i, label in enumerate(labels):
        out[label] = got[f"b{i}"].astype("int64").to_numpy()
    total, overdue = got["total"].astype("int64").to_numpy(), got["overdue"].astype("int64").to_numpy()
    out["total"], out["overdue"] = total, overdue
    with np.errstate(divide="ignore", invalid="ignore"):  # the engine's rule: 0..1, and 0 when nothing is owed net
        out["overdue_pct"] = np.where(total > 0, np.clip(overdue / np.where(total > 0, total, 1), 0.0, 1.0), 0.0)
    return out


@dataclass
class AgingDetail:
    """tblAgingDetail in the database: counted there, fetched only when it fits the sheet, else cut in SQL."""

    store: Store
    settings: Settings
    items: str  # the open-items table (pushdown.Figures)

    def _select(self) -> str:
        """row_no (the engine's order: customer, due date, invoice number) and the sheet's columns."""
        c = _collate(self.store)
        labels = aging.bucket_labels(self.settings.aging_edges)
        bucket = "CASE bucket " + " ".join(f"WHEN {i} THEN '{lab}'" for i, lab in enumerate(labels)) + " END"
        return (f"SELECT ROW_NUMBER() OVER (ORDER BY customer_id{c}, due_date, invoice_no{c}) AS row_no, invoice_no, "
                f"customer_id, due_date, days_overdue, {bucket} AS bucket, outstanding FROM {self.items}")

    def count(self) -> int:
        return int(self.store.rows(f"SELECT COUNT(*) FROM {self.items}")[0][0])

    def frame(self, order: str = "row_no", limit: int | None = None) -> pd.DataFrame:
        """The rows as the engine's aging_detail gives them (its dtypes), in `order`, at most `limit`."""
        top = f" LIMIT {int(limit)}" if limit is not None else ""
        got = self.store.frame(f"SELECT * FROM ({self._select()}) d ORDER BY {order}{top}")
        if not len(got):
            return aging.aging_detail(None, dt.date.today())
        return pd.DataFrame({
            "invoice_no": got["invoice_no"].astype(object).to_numpy(),
            "customer_id": got["customer_id"].astype(object).to_numpy(),
            "due_date": pd.to_datetime(got["due_date"]).astype("datetime64[s]"),
            "days_overdue": got["days_overdue"].astype("float64").to_numpy(),
            "bucket": got["bucket"].astype(object).to_numpy(),
            "outstanding": got["outstanding"].astype("int64").to_numpy(),
        })

    def top(self, n: int) -> pd.DataFrame:
        """overflow.top_rows's order in SQL: most days overdue, then the largest amount by size, then engine order."""
        return self.frame("days_overdue DESC, ABS(outstanding) DESC, row_no", n)

    def cut(self, total: int, shown: int) -> SqlOverflow:
        return SqlOverflow(AGING_DETAIL, self._select(), total, shown)


def aging_sheet(store: Store, settings: Settings, as_of: dt.date, overflows: Overflows, items: str
                ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(tblAging, tblAgingDetail as the sheet shows it, open items in all). The detail is fetched when the sheet
    holds it; else every row is written to report_aging_detail in SQL at commit and the sheet gets a note and the
    oldest rows (overflow.py's rule)."""
    summary = aging_summary_from_ledger(store, settings, as_of, items)
    detail = AgingDetail(store, settings, items)
    total = detail.count()
    keep = shares([len(summary), total], overflows.limit)[1]
    if keep >= total:
        return summary, detail.frame(), total
    shown = max(keep - 1, 0)
    note = overflows.cut_in_sql(detail.cut(total, shown))
    rows = detail.top(shown)
    head = pd.DataFrame({note_column(AGING_DETAIL): [note]})
    return summary, pd.concat([head, rows.astype(object)], ignore_index=True), total


def unapplied_total(store: Store) -> int:
    """Cash posted as unapplied (ledger_posted), in cents."""
    return int(store.rows("SELECT COALESCE(SUM(unapplied), 0) FROM ledger_posted")[0][0])
