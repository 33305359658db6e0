"""Forecast accuracy benchmark (SPEC §10), on the IBM late-payment sample and on the built-in demo book.

    .venv/bin/python benchmarks/forecast.py [--seed 42] [--skip-demo]

Prints
1. pay-date mean absolute error in days, three rules on the same invoices — paid on the due date, the
   customer-median rule (due date + the customer's median days late), xlfin's model — and the model's gain over the
   customer median, in two set-ups, both learning only from invoices settled by the cut:
   - "open at cut": the book as it stood at each month-end cut (later settlements undone); the invoices open then
     are predicted (what tblPayDates does; nothing open is paid before cut + 1, for every rule);
   - "issued after cut": invoices issued in the 91 days after the cut (the plain time split);
   on the IBM sample (first half 2013 and the later period July–November 2013) and on the demo book (the
   last 12 months before its as-of, 60+ days back so outcomes are known);
   and, when scikit-learn happens to be installed (it is not a dependency), its gradient boosting on the "issued
   after cut" split with the features known at issue, as a check of the choice of the small model;
2. the 13-week cash forecast at past cuts: total expected vs actual receipts from the items open at the cut, and
   how often a week's actual receipts fall inside the weekly low/high band (80 % band);
3. the demand forecast backtest: per active customer, the next 3 months at each cut, xlfin's method vs seasonal naive
   (same month a year earlier) and the plain mean of the 12 months before, as weighted absolute percentage error
   (Σ|error| ÷ Σ actual).
The IBM sample is read from ../shared/data/ar_late_payments.csv (test data, never shipped); its paperless flag has
no column in the book and is not used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from xlfin.engine.aging import day_numbers
from xlfin.engine.forecast_backtest import PayDateScore, book_at, score_new_invoices, score_pay_dates
from xlfin.engine.forecast_cash import cash_forecast
from xlfin.engine.forecast_demand import demand_forecast
from xlfin.engine.forecast_paydates import disputed_flags, fit_pay_model, predict_days_late, settled_history
from xlfin.engine.openitems import is_credit_note, open_items

# the IBM sample is test data, not shipped: tests/support/ibm_sample.py reads it
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.ibm_sample import DATA, book_tables, read_sample  # noqa: E402

IBM = DATA


def ibm_open_items() -> pd.DataFrame:
    return open_items(*book_tables(read_sample()))


def demo_open_items(seed: int) -> tuple[pd.DataFrame, dt.date]:
    """The demo book as `xlfin new --demo` writes it, read back through the file adapter (reconciled)."""
    from xlfin.adapters.file import open_workbook
    from xlfin.app.demo import demo_workbook_bytes
    from xlfin.app.operations import Run

    path = Path(tempfile.mkdtemp()) / "demo.xlsm"
    path.write_bytes(demo_workbook_bytes("en", seed))
    wb = open_workbook(path, read_only=True)
    try:
        run = Run(wb)
        return run.open_items, run.as_of
    finally:
        wb.close()


def month_ends(first: str, last: str) -> list[dt.date]:
    return [d.date() for d in pd.date_range(first, last, freq="ME")]


def show(label: str, score: PayDateScore) -> None:
    print(f"  {label:<42} n={score.items:>5}  due date {score.mae_due_date:6.2f}  customer median "
          f"{score.mae_customer_median:6.2f}  model {score.mae_model:6.2f}  gain {100 * score.gain:5.1f} %")


def pay_dates(items: pd.DataFrame, name: str, periods: list[tuple[str, list[dt.date]]]) -> None:
    print(f"\n1. Pay-date MAE in days — {name}")
    for label, cuts in periods:
        started = time.perf_counter()
        show(f"open at cut, {label}", score_pay_dates(items, cuts))
        show(f"issued after cut, {label}", score_new_invoices(items, cuts))
        if "disputed" in items.columns:
            show(f"open at cut, {label}, no dispute flag", score_pay_dates(items.drop(columns=["disputed"]), cuts))
        print(f"  ({time.perf_counter() - started:.1f} s)")


def _gbm_features(frame: pd.DataFrame, model) -> np.ndarray:
    """What is known about an invoice when it is issued: the customer's learned effect and history size, the
    dispute flag, log amount, due day of month and weekday."""
    keys = frame["customer_id"].astype(str)
    due = pd.to_datetime(frame["due_date"])
    disputed = disputed_flags(frame["disputed"] if "disputed" in frame.columns else None, len(frame))
    return np.column_stack([
        keys.map(model.customer_effect).fillna(0.0).to_numpy(dtype=float),
        keys.map(model.customer_count).fillna(0).to_numpy(dtype=float),
        disputed.astype(float),
        np.log1p(frame["amount"].to_numpy(dtype=float)),
        due.dt.day.to_numpy(dtype=float),
        due.dt.day_of_week.to_numpy(dtype=float),
    ])


def gbm_comparison(items: pd.DataFrame, name: str, cuts: list[dt.date], horizon_days: int = 91) -> None:
    """scikit-learn's gradient boosting (absolute loss) on the same split as "issued after cut", when installed.
    Not a dependency of xlfin: this only checks the choice of the small model (docs/forecast.md)."""
    try:
        from sklearn.ensemble import HistGradientBoostingRegressor
    except ImportError:
        print(f"\n1b. gradient boosting — {name}: scikit-learn not installed, skipped")
        return
    issued = pd.to_datetime(items["invoice_date"])
    settled = pd.to_datetime(items["settled_date"])
    abs_gbm = abs_model = 0.0
    n = 0
    for cut in cuts:
        history = settled_history(items, cut)
        history = history[~history["censored"]]
        model = fit_pay_model(history)
        train = items.set_index("invoice_no").loc[history["invoice_no"]].reset_index()
        target = items[(issued > pd.Timestamp(cut)) & (issued <= pd.Timestamp(cut) + pd.Timedelta(days=horizon_days))
                       & settled.notna()]
        if len(train) < 50 or target.empty:
            continue
        gbm = HistGradientBoostingRegressor(loss="absolute_error", max_iter=200, learning_rate=0.05,
                                            random_state=0)
        gbm.fit(_gbm_features(train, model), history["days_late"].to_numpy())
        actual = (pd.to_datetime(target["settled_date"]) - pd.to_datetime(target["due_date"])).dt.days.to_numpy()
        guess = np.floor(gbm.predict(_gbm_features(target, model)) + 0.5)
        days, _ = predict_days_late(model, target["customer_id"].to_numpy(dtype=object),
                                    disputed_flags(target["disputed"] if "disputed" in target.columns else None,
                                                   len(target)), np.full(len(target), -10**6))
        abs_gbm += np.abs(guess - actual).sum()
        abs_model += np.abs(days - actual).sum()
        n += len(target)
    print(f"\n1b. gradient boosting (scikit-learn, not a dependency) — {name}, issued after cut: n={n}  "
          f"xlfin model MAE {abs_model / n:.2f}  GBM MAE {abs_gbm / n:.2f}")


def cash_backtest(items: pd.DataFrame, name: str, cuts: list[dt.date]) -> None:
    """Forecast at each cut vs the receipts that actually came from the items open at the cut."""
    inside = weeks_seen = 0
    expected_total = actual_total = 0
    for cut in cuts:
        book = book_at(items, cut)
        weeks = cash_forecast(book, cut).weeks
        owing = book[(book["outstanding"] > 0) & ~is_credit_note(book["doc_type"])]
        settled = pd.Series(day_numbers(items.set_index("invoice_no").loc[owing["invoice_no"], "settled_date"]))
        week = (settled.to_numpy() - day_numbers(pd.Series([pd.Timestamp(cut)]))[0] - 1) // 7
        known = settled.to_numpy() != np.iinfo(np.int64).min
        actual = np.bincount(week[known & (week >= 0) & (week < 13)],
                             weights=owing["outstanding"].to_numpy()[known & (week >= 0) & (week < 13)],
                             minlength=13)[:13]
        inside += int(((actual >= weeks["low"]) & (actual <= weeks["high"])).sum())
        weeks_seen += 13
        expected_total += int(weeks["expected_receipts"].sum())
        actual_total += int(actual.sum())
    print(f"\n2. 13-week cash forecast — {name}: {len(cuts)} cuts, expected {expected_total / 100:,.2f} vs actual "
          f"{actual_total / 100:,.2f} ({100 * (expected_total / actual_total - 1):+.1f} %); weeks inside the 80 % band: "
          f"{inside}/{weeks_seen} ({100 * inside / weeks_seen:.0f} %)")


def monthly_actuals(items: pd.DataFrame) -> pd.Series:
    sign = np.where(is_credit_note(items["doc_type"]), -1, 1) if "doc_type" in items.columns else 1
    month = pd.to_datetime(items["invoice_date"]).dt.to_period("M")
    return pd.Series(items["amount"].to_numpy() * sign).groupby([items["customer_id"].astype(str).to_numpy(),
                                                                  month.to_numpy()]).sum()


def demand_backtest(items: pd.DataFrame, name: str, cuts: list[dt.date]) -> None:
    actual_by = monthly_actuals(items)
    err = {"xlfin": 0.0, "seasonal naive": 0.0, "12-month mean": 0.0}
    total = 0.0
    count = inside = 0
    methods: dict[str, int] = {}
    for cut in cuts:
        known = items[pd.to_datetime(items["invoice_date"]) <= pd.Timestamp(cut)]
        fc = demand_forecast(known, cut)
        if fc.empty:
            continue
        months = pd.to_datetime(fc["month"]).dt.to_period("M")
        keys = list(zip(fc["customer_id"].astype(str), months))
        actual = np.array([actual_by.get(k, 0) for k in keys], dtype=float)
        naive = np.array([actual_by.get((c, m - 12), 0) for c, m in keys], dtype=float)
        first = months.groupby(fc["customer_id"].astype(str).to_numpy()).transform("min")
        trailing = np.array([np.mean([actual_by.get((c, f - k), 0) for k in range(1, 13)])
                             for (c, _), f in zip(keys, first)])
        err["xlfin"] += np.abs(fc["forecast_revenue"].to_numpy() - actual).sum()
        err["seasonal naive"] += np.abs(naive - actual).sum()
        err["12-month mean"] += np.abs(trailing - actual).sum()
        total += actual.sum()
        count += len(fc)
        inside += int(((actual >= fc["low"].to_numpy()) & (actual <= fc["high"].to_numpy())).sum())
        for m, k in fc["method"].value_counts().items():
            methods[m] = methods.get(m, 0) + int(k)
    print(f"\n3. Demand forecast, next 3 months — {name}: {count} customer-months over {len(cuts)} cuts; methods {methods}")
    for rule, e in err.items():
        print(f"  {rule:<15} WAPE {100 * e / total:5.1f} %")
    print(f"  customer-months inside xlfin's 80 % band: {inside}/{count} ({100 * inside / count:.0f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42, help="demo book seed")
    parser.add_argument("--skip-demo", action="store_true", help="IBM sample only (the demo book takes ~20 s)")
    args = parser.parse_args()

    if IBM.exists():
        ibm = ibm_open_items()
        pay_dates(ibm, "IBM late-payment sample (2,466 invoices, 100 customers, 2012–2013)", [
            ("Jan–Jun 2013", month_ends("2013-01-01", "2013-06-30")),
            ("later period Jul–Nov 2013", month_ends("2013-07-01", "2013-11-30")),
        ])
        gbm_comparison(ibm, "IBM, later period Jul–Nov 2013", month_ends("2013-07-01", "2013-11-30"))
        cash_backtest(ibm, "IBM", month_ends("2013-01-01", "2013-09-30"))
        demand_backtest(ibm, "IBM", month_ends("2013-01-01", "2013-09-30"))
    else:
        print(f"IBM sample not found at {IBM}: skipped")
    if not args.skip_demo:
        items, as_of = demo_open_items(args.seed)
        last = pd.Timestamp(as_of) - pd.Timedelta(days=92)
        first = pd.Timestamp(as_of) - pd.Timedelta(days=365)
        cuts = month_ends(str(first.date()), str(last.date()))
        pay_dates(items, f"demo book (seed {args.seed}, as of {as_of})", [("last year, 3+ months back", cuts)])
        gbm_comparison(items, "demo", cuts)
        cash_backtest(items, "demo", cuts)
        demand_backtest(items, "demo", cuts)


if __name__ == "__main__":
    main()
