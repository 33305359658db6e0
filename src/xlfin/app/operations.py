"""Operations: what each ribbon button and CLI verb does, on any workbook adapter.

A run reads the input tables once, validates them, computes lazily what the requested actions need (each
result at most once), stages every generated sheet with the adapter, and commits only when every step
succeeded — so a failing run leaves the workbook exactly as it was.

Reports always work from a fresh, deterministic reconciliation of all payments (the same one `reconcile`
writes), so Aging, Scorecard and Dunning never depend on whether the user pressed Reconcile first.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from xlfin import schema
from xlfin.app import access_log
from xlfin.engine.dashboard import DashboardData, build_dashboard
from xlfin.engine import aging, openitems, payment_index, scorecard
from xlfin.engine.paid_lookup import paid_by_row
from xlfin.schema.frames import coerce_table, problems_frame
from xlfin.schema.i18n import code_label, code_labels
from xlfin.schema import Lang
from xlfin.schema.settings import ConfigProblem, DunningLevel, Settings
from xlfin.schema.tables import RawTable, WorkbookError
from xlfin.schema.validate import ValidationReport, validate_workbook

ACTIONS = ("validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard")
REQUIRED_INPUTS = ("customers", "invoices", "payments")
OPTIONAL_INPUTS = ("financials", "payment_plans")

Progress = Callable[[str], None]


@dataclass
class RunSummary:
    """What a run did, for the CLI's table or --json and the ribbon's alert."""

    actions: list[str]
    as_of: dt.date
    language: Lang
    validation: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    output: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "actions": self.actions,
            "as_of": self.as_of.isoformat(),
            "language": self.language,
            "validation": self.validation,
            "results": self.results,
            "output": self.output,
            "seconds": round(self.seconds, 3),
        }


class Run:
    """One pass over a workbook. Results are cached properties: each is computed once, only when needed."""

    def __init__(self, wb, *, as_of: dt.date | None = None, progress: Progress | None = None,
                 verb: str | None = None):
        self.wb = wb
        self._as_of_override = as_of
        self.progress = progress or (lambda _msg: None)
        self.audit: list[dict] = []
        self.verb = verb or ""

    # ------------------------------------------------------------ inputs

    @cached_property
    def config(self) -> tuple[Settings, list[ConfigProblem], tuple[DunningLevel, ...]]:
        return self.wb.read_config()

    @property
    def settings(self) -> Settings:
        return self.config[0]

    @property
    def lang(self) -> Lang:
        return self.settings.language

    @cached_property
    def as_of(self) -> dt.date:
        return self._as_of_override or self.settings.as_of()

    @cached_property
    def raws(self) -> dict[str, RawTable]:
        self.progress("read")
        raws: dict[str, RawTable] = {}
        for key in REQUIRED_INPUTS:
            raws[key] = self.wb.read_table(schema.TABLES[key])
        for key in OPTIONAL_INPUTS:
            if self.wb.has_table(schema.TABLES[key]):
                raws[key] = self.wb.read_table(schema.TABLES[key])
        return raws

    @cached_property
    def validation(self) -> ValidationReport:
        raws = self.raws
        self.progress("validate")
        return validate_workbook(raws, self.settings, self.config[1], self.as_of)

    @cached_property
    def frames(self) -> dict[str, pd.DataFrame]:
        """Typed frames, defaults applied, minus the rows validation left out (unusable or ambiguous; each one is on
        the Validation sheet with its cell, and the summary counts them)."""
        report = self.validation
        out = {key: report.usable(key) for key in report.frames}
        self.left_out = report.left_out_counts()
        self.skipped_rows = sum(self.left_out.values())
        # The ledger as it stood on as_of: documents dated later (a back-dated --as-of run, invoices raised in
        # advance) are not receivables yet, and later receipts had not arrived.
        self.rows_after_as_of = 0
        cutoff = pd.Timestamp(self.as_of)
        for key, column in (("invoices", "invoice_date"), ("payments", "payment_date")):
            if key in out and column in out[key].columns and len(out[key]):
                later = pd.to_datetime(out[key][column]) > cutoff
                self.rows_after_as_of += int(later.sum())
                out[key] = out[key][~later.to_numpy()].reset_index(drop=True)
        for key in OPTIONAL_INPUTS:
            out.setdefault(key, pd.DataFrame(columns=schema.TABLES[key].keys))
        return out

    @cached_property
    def dunning_log(self) -> pd.DataFrame:
        table = schema.DUNNING_LOG
        if not self.wb.has_table(table):
            return pd.DataFrame(columns=table.keys)
        frame, _problems = coerce_table(self.wb.read_table(table), self.settings)
        return frame

    # ------------------------------------------------------------ engine results

    @cached_property
    def reconciliation(self):
        from xlfin.engine.reconcile import reconcile

        self.progress("reconcile")
        s = self.settings
        f = self.frames
        return reconcile(
            f["invoices"], f["payments"], f["customers"],
            tolerance_abs_cents=s.reconcile_tolerance_abs_cents,
            tolerance_pct=s.reconcile_tolerance_pct,
            fifo=s.reconcile_fifo,
        )

    @cached_property
    def normalised_invoices(self) -> pd.DataFrame | None:
        """The usable invoices checked and canonicalised once, for every figure that needs them; None when the book
        has none (the engine's functions take that as "no invoices")."""
        invoices = self.frames["invoices"]
        return openitems.normalise_invoices(invoices) if len(invoices) else None

    @cached_property
    def allocations(self) -> pd.DataFrame:
        return openitems.invoice_payment_dates(self.reconciliation.allocations, self.frames["payments"],
                                               self.normalised_invoices, normalised=True)

    @cached_property
    def open_items(self) -> pd.DataFrame:
        if self.normalised_invoices is None:  # the empty open-items frame keeps the book's own invoice columns
            return openitems.open_items(self.frames["invoices"], self.allocations, self.as_of)
        return openitems.open_items_normalised(self.normalised_invoices,
                                               openitems.normalise_allocations(self.allocations), self.as_of)

    @cached_property
    def experiences(self) -> pd.DataFrame:
        return payment_index.payment_experiences(self.open_items, self.as_of)

    @cached_property
    def aging(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        self.progress("aging")
        edges = self.settings.aging_edges
        detail = aging.aging_detail(self.open_items, self.as_of, edges, basis=self.settings.aging_basis)
        summary = aging.aging_summary(detail, self.frames["customers"], edges)
        return summary, detail

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        self.progress("scorecard")
        f = self.frames
        return scorecard.build_scorecard(f["customers"], f["invoices"], self.open_items, self.experiences,
                                         f["financials"], self.settings, self.as_of)

    @cached_property
    def dunning(self):
        from xlfin.engine.dunning import DunningError, build_dunning

        self.progress("dunning")
        f = self.frames
        try:
            return build_dunning(self.open_items, f["customers"], self.config[2], self.dunning_log, self.settings,
                                 self.as_of, unapplied=self.reconciliation.unapplied, plans=f["payment_plans"],
                                 payments_left_out=self.validation.customers_with_left_out("payments"))
        except DunningError as exc:  # the user's tblDunningLevels / log cannot be used: say so, not "internal error"
            raise WorkbookError(str(exc)) from exc

    @cached_property
    def forecast(self):
        from xlfin.app.forecast_stage import compute_forecast

        self.progress("forecast")
        return compute_forecast(self.open_items, self.frames["invoices"], self.as_of)

    @cached_property
    def dashboard(self) -> DashboardData:
        self.progress("dashboard")
        summary, _ = self.aging
        return build_dashboard(
            as_of=self.as_of, invoices=self.frames["invoices"], payments=self.frames["payments"],
            allocations=self.allocations, open_items=self.open_items, aging_summary=summary,
            bucket_labels=schema.aging_bucket_labels(self.settings.aging_edges), scorecard=self.scorecard,
            unapplied=self.reconciliation.unapplied, cash_forecast=self.forecast.cash.weeks,
            normalised_invoices=self.normalised_invoices,
        )

    # ------------------------------------------------------------ staging sheets

    @cached_property
    def _hashes(self) -> tuple[str, str]:
        return access_log.hashes(self.wb)

    def _record(self, action: str, rows_in: int, rows_out: int, message: str = "", recipients: str = "") -> None:
        # The file's hash is filled in by stage_audit: the file adapter computes it in the background from the
        # open, and asking for it here made the first stage wait for it instead of letting it overlap the run.
        self.audit.append(access_log.audit_row(self.wb, action, rows_in, rows_out, message, verb=self.verb,
                                               recipients=recipients, hashes_of_run=("", "")))

    def stage_validation(self) -> dict:
        report = self.validation
        frame = problems_frame(report.problems)
        self.wb.replace_sheet(schema.VALIDATION.sheet_en, [(schema.VALIDATION, frame)], self.lang)
        if hasattr(self.wb, "mark_problems"):
            self.wb.mark_problems(report.problems)
        rows_in = sum(len(r) for r in self.raws.values())
        self._record("validate", rows_in, len(frame), f"{report.errors} errors, {report.warnings} warnings")
        return {"errors": report.errors, "warnings": report.warnings, "exit_code": report.exit_code()}

    def stage_reconciliation(self) -> dict:
        from xlfin.engine.reconcile import summarize

        from xlfin.engine.reconcile import localise_reason

        rec = self.reconciliation
        unapplied = rec.unapplied.assign(reason=[localise_reason(r, self.lang) for r in rec.unapplied["reason"]])
        writeoffs = rec.writeoffs.rename(columns={"amount": "writeoff_amount"})
        if self.lang != "en":
            allocations = rec.allocations.assign(rule=[code_label("rule", r, self.lang) for r in rec.allocations["rule"]])
            writeoffs = writeoffs.assign(rule=[code_label("rule", r, self.lang) for r in writeoffs["rule"]])
        else:
            allocations = rec.allocations
        self.wb.replace_sheet(schema.ALLOCATIONS.sheet_en,
                              [(schema.ALLOCATIONS, allocations), (schema.UNAPPLIED, unapplied),
                               (schema.WRITEOFFS, writeoffs),
                               # what the Invoices sheet's Paid formula reads, row for row (engine/paid_lookup.py)
                               (schema.INVOICE_PAID, paid_by_row(self.open_items,
                                                                 self.raws["invoices"].frame["invoice_no"]))],
                              self.lang)
        summary = _money_to_units(_jsonable(summarize(rec, self.frames["payments"])))
        self._record("reconcile", len(self.frames["payments"]), len(rec.allocations))
        return summary

    def stage_aging(self) -> dict:
        summary, detail = self.aging
        table = schema.aging_table(self.settings.aging_edges)
        self.wb.replace_sheet(table.sheet_en, [(table, summary), (schema.AGING_DETAIL, detail)], self.lang)
        self._record("aging", len(self.frames["invoices"]), len(detail))
        total = int(summary["total"].sum()) if len(summary) else 0
        overdue = int(summary["overdue"].sum()) if len(summary) else 0
        return {"customers": int(len(summary)), "open_items": int(len(detail)), "total": total / 100,
                "overdue": overdue / 100, "overdue_pct": round(overdue / total, 4) if total else None}

    def stage_scorecard(self) -> dict:
        card = self.scorecard
        shown = card
        if self.lang != "en":
            shown = card.assign(risk_flags=[code_labels("risk", f, self.lang) for f in card["risk_flags"]])
        self.wb.replace_sheet(schema.SCORECARD.sheet_en, [(schema.SCORECARD, shown)], self.lang)
        self._record("scorecard", len(self.frames["customers"]), len(card))
        grades = card["grade"].value_counts().sort_index() if len(card) else pd.Series(dtype=int)
        return {"customers": int(len(card)), "grades": {str(k): int(v) for k, v in grades.items()},
                "over_limit": int(card["over_limit"].fillna(False).astype(bool).sum()) if len(card) else 0}

    def stage_dunning(self, letters_dir: Path | None = None, final_dir: Path | None = None) -> dict:
        """letters_dir: where the letters are rendered; final_dir: where they will be once the workbook is saved
        (what the workbook links to), when they are rendered into a staging folder first."""
        from xlfin.engine.dunning import attach_letters, log_rows

        run = self.dunning
        paths: dict[str, str] = {}
        if letters_dir is not None:
            from xlfin.outreach.letters import letter_paths, render_letters

            from xlfin.outreach.runs import queue_dunning

            letters = render_letters(run, self.frames["customers"], self.settings, Path(letters_dir), self.lang,
                                     self.as_of)
            paths = letter_paths(letters)
            emls = {cid: Path(files.eml) for cid, files in letters.items()}
            if final_dir is not None:
                paths = {cid: str(Path(final_dir) / Path(p).relative_to(letters_dir)) for cid, p in paths.items()}
                emls = {cid: Path(final_dir) / e.relative_to(letters_dir) for cid, e in emls.items()}
            run = attach_letters(run, paths)
            # each letter with an e-mail address waits in the Outbox for `xlfin send` (SPEC §9)
            self.queued_dunning = queue_dunning(self.wb, letters, run.notices, self.as_of, self.settings, self.lang,
                                                final=emls)
            self.wb.append_rows(schema.DUNNING_LOG, log_rows(run, self.as_of, paths), self.lang)
        notices = run.notices
        self.wb.replace_sheet(schema.DUNNING.sheet_en, [(schema.DUNNING, notices)], self.lang)
        self._record("letters" if letters_dir else "dunning", len(self.open_items), len(notices),
                     recipients=access_log.letter_recipients(notices) if letters_dir else "")
        by_level = notices["level"].value_counts().sort_index() if len(notices) else pd.Series(dtype=int)
        excluded = run.excluded["reason"].value_counts().sort_index() if len(run.excluded) else pd.Series(dtype=int)
        return {"notices": int(len(notices)), "by_level": {str(k): int(v) for k, v in by_level.items()},
                "excluded": {str(k): int(v) for k, v in excluded.items()},
                "total_due": int(notices["total_due"].sum()) / 100 if len(notices) else 0.0,
                "letters": len(paths), "letters_dir": str(final_dir or letters_dir) if letters_dir else None,
                "queued": getattr(self, "queued_dunning", 0)}

    def stage_dashboard(self) -> dict:
        from xlfin.xlsx.dashboard import render_dashboard

        data = self.dashboard
        render_dashboard(self.wb, data, self.lang)
        self._record("dashboard", len(self.open_items), len(data.kpis))
        result = {k: (v / 100 if k in {"kpi_total_ar", "kpi_overdue", "kpi_unapplied"} and v is not None else v)
                  for k, v in data.kpis.items()}
        result["top_overdue"] = [[c, int(o) / 100] for c, o in
                                 zip(data.top_overdue["customer"].head(5), data.top_overdue["overdue"].head(5))]
        return result

    def stage_forecast(self) -> dict:
        from xlfin.app.forecast_stage import stage_forecast

        result = stage_forecast(self.wb, self.forecast, self.lang)
        self._record("forecast", len(self.open_items), result["pay_dates"])
        return result

    def stage_audit(self) -> None:
        if self.audit:
            before, after = self._hashes
            for row in self.audit:
                row["hash_before"], row["hash_after"] = before, after
            self.wb.append_rows(schema.AUDIT, pd.DataFrame(self.audit), self.lang)


STAGES: dict[str, Callable[..., dict]] = {
    "validate": Run.stage_validation,
    "reconcile": Run.stage_reconciliation,
    "aging": Run.stage_aging,
    "scorecard": Run.stage_scorecard,
    "dunning": Run.stage_dunning,
    "forecast": Run.stage_forecast,
    "dashboard": Run.stage_dashboard,
}


def execute(wb, actions: Iterable[str], *, as_of: dt.date | None = None, output: Path | None = None,
            letters_dir: Path | None = None, progress: Progress | None = None, verb: str | None = None) -> RunSummary:
    """Run `actions` in dependency order on an open workbook adapter and commit once, at the end."""
    started = time.perf_counter()
    wanted = [a for a in ACTIONS if a in set(actions)]
    unknown = set(actions) - set(ACTIONS)
    if unknown:
        raise ValueError(f"unknown action(s): {', '.join(sorted(unknown))}")
    run = Run(wb, as_of=as_of, progress=progress, verb=verb)
    summary = RunSummary(actions=wanted, as_of=run.as_of, language=run.lang)
    report = run.validation
    summary.validation = {"errors": report.errors, "warnings": report.warnings, "exit_code": report.exit_code()}
    if report.errors and "validate" not in wanted:
        run.stage_validation()  # exit 1 points at the Validation sheet: it must list what this run found
    # Letters are rendered into a hidden staging folder and moved into place only after the workbook is saved:
    # a failed save leaves no letters that the workbook does not log.
    staging = _letters_staging(letters_dir) if letters_dir is not None and "dunning" in wanted else None
    try:
        for action in wanted:
            kwargs = {"letters_dir": staging, "final_dir": letters_dir} if action == "dunning" and staging else {}
            summary.results[action] = STAGES[action](run, **kwargs)
        _ = run.frames
        if run.skipped_rows:
            summary.validation["rows_left_out"] = run.skipped_rows
            summary.validation["rows_left_out_by_table"] = run.left_out
        if run.rows_after_as_of:
            summary.validation["rows_after_as_of"] = run.rows_after_as_of
        run.stage_audit()
        if progress:
            progress("save")
        written = wb.commit(output)
        if staging is not None and letters_dir is not None:
            _move_letters(staging, Path(letters_dir))
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    summary.output = str(written) if written else None
    summary.seconds = time.perf_counter() - started
    return summary


def _letters_staging(letters_dir: Path) -> Path:
    """A hidden folder on the same file system as the letters' folder (its nearest existing ancestor)."""
    anchor = Path(letters_dir).resolve()
    while not anchor.exists():
        anchor = anchor.parent
    if not anchor.is_dir():
        raise WorkbookError(f"{letters_dir}: not a folder")
    return Path(tempfile.mkdtemp(prefix=".xlfin-letters-", dir=anchor))


def _move_letters(staging: Path, letters_dir: Path) -> None:
    letters_dir.mkdir(parents=True, exist_ok=True)
    for item in sorted(staging.iterdir()):
        os.replace(item, letters_dir / item.name)


# The OS user for Audit rows written outside a Run (kept for callers of the old name; see app.access_log).
_user = access_log.os_user


def _money_to_units(summary: dict) -> dict:
    """The reconcile summary counts money in cents; people read currency units."""
    out = {}
    for key, value in summary.items():
        if key.startswith("amount_") or key in {"writeoffs_proposed", "applied_by_rule", "credit_notes_applied"}:
            value = {k: v / 100 for k, v in value.items()} if isinstance(value, dict) else value / 100
        out[key] = value
    return out


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


__all__ = ["ACTIONS", "Run", "RunSummary", "WorkbookError", "execute"]
