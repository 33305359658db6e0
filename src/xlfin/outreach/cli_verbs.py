"""The outreach verbs of the command line (SPEC §7): import-bank, statements, send. Registered on xlfin.cli.app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from xlfin.cli.main import AsOfOpt, JsonOpt, OutputOpt, _as_of, _date_option, _fail, _guard, _progress, app, out

from .texts import tr


def _print(result: dict, as_json: bool, lines: list[str]) -> None:
    """The verb's summary lines, then where the book was written (when it was), or the whole result as JSON."""
    if result.get("output"):
        lines = [*lines, tr("cli_written", result["language"], path=result["output"])]
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    for line in lines:
        out.print(line, markup=False)


def _money(amounts: dict[str, float]) -> str:
    return ", ".join(f"{ccy} {v:,.2f}" for ccy, v in amounts.items()) or "0.00"


def _on_book(path: Path, work, *, read_only: bool, as_json: bool):
    """Open the book, run `work(wb, progress)` with a progress bar on a terminal, and always close both."""
    from ..adapters.file import open_workbook

    status, progress = _progress(not as_json)
    try:
        wb = open_workbook(path, read_only=read_only)
        try:
            return work(wb, progress)
        finally:
            wb.close()
    finally:
        if status:
            status.stop()


@app.command("import-bank")
@_guard
def import_bank_cmd(
    path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
    files: List[Path] = typer.Argument(..., help="Bank files: camt.053/camt.054 XML, MT940, CSV."),
    fmt: str = typer.Option("auto", "--format", help="auto|camt053|camt054|mt940|csv"),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="CSV text encoding (default: detected)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be appended; write nothing."),
    output: Optional[Path] = OutputOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Append new incoming bank transactions to Payments (a second import of the same file adds nothing)."""
    from .bank import FORMATS
    from .import_bank import import_bank

    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    for f in files:
        if not f.is_file():
            _fail(f"{f}: no such file")
    summary = _on_book(path, lambda wb, progress: import_bank(
        wb, files, fmt=fmt, encoding=encoding, dry_run=dry_run, output=output, progress=progress),
        read_only=dry_run, as_json=as_json)
    r = summary.as_dict()
    lang = r["language"]
    lines = [tr("cli_file", lang, file=f["file"], format=f["format"] + (f", {f['encoding']}" if f["encoding"] else ""),
                transactions=f["transactions"], new=f["new_payments"]) for f in r["files"]]
    lines.append(tr("cli_would_append" if dry_run else "cli_appended", lang, count=r["appended"],
                    amount=_money(r["amount"]), already=r["already_imported"], skipped=r["not_payments"]))
    lines += [tr("cli_reversal", lang, file=x["file"], where=x["where"], ref=x["bank_ref"], currency=x["currency"],
                 amount=f"{x['amount']:,.2f}") for x in r["reversals"]]
    _print(r, as_json, lines)


@app.command("statements")
@_guard
def statements_cmd(
    path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for the PDF/HTML/.eml files "
                                                              "(default: statements/ beside the workbook)."),
    customer: Optional[List[str]] = typer.Option(None, "--customer", help="Only this customer (repeatable)."),
    confirmation: bool = typer.Option(False, "--confirmation", help="Balance confirmation letters (询证函)."),
    start: Optional[str] = typer.Option(None, "--from", help="Statement period start (default: 1st of the "
                                                            "as-of month)."),
    no_queue: bool = typer.Option(False, "--no-queue", help="Write the documents only; queue no e-mail."),
    output: Optional[Path] = OutputOpt,
    as_json: bool = JsonOpt,
    as_of: Optional[str] = AsOfOpt,
) -> None:
    """Statements of account / balance confirmations per customer, as PDF and HTML, queued in the Outbox."""
    from .runs import statements

    target = out_dir or path.resolve().parent / ("confirmations" if confirmation else "statements")
    summary = _on_book(path, lambda wb, progress: statements(
        wb, target, customers=list(customer or []), confirmation=confirmation, start=_date_option(start, "--from"),
        as_of=_as_of(as_of), output=output, queue=not no_queue, progress=progress),
        read_only=False, as_json=as_json)
    r = summary.as_dict()
    lang = r["language"]
    lines = [tr("cli_documents", lang, count=len(r["documents"]), kind=tr(f"kind_{summary.kind}", lang),
                folder=r["out_dir"], queued=r["queued"])]
    if r["no_email"]:
        lines.append(tr("cli_no_email", lang, ids=", ".join(r["no_email"])))
    _print(r, as_json, lines)


@app.command("send")
@_guard
def send_cmd(
    path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
    kind: Optional[str] = typer.Option(None, "--kind", help="dunning|statement|confirmation (default: all)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write the messages as .eml files only."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Send at most N messages."),
    dry_run_dir: Optional[Path] = typer.Option(None, "--eml-dir", help="Folder for --dry-run .eml files."),
    output: Optional[Path] = OutputOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Send what the Outbox has queued through SMTP, never a message twice; exit 1 when some are left."""
    from .outbox import KINDS
    from .runs import send

    if kind is not None and kind not in KINDS:
        _fail(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    summary = _on_book(path, lambda wb, progress: send(
        wb, kind=kind, dry_run=dry_run, limit=limit, dry_run_dir=dry_run_dir, output=output, progress=progress),
        read_only=dry_run, as_json=as_json)
    r = summary.as_dict()
    lang = r["language"]
    if dry_run:
        lines = [tr("cli_dry_run", lang, count=len(r["dry_run_files"]))]
        lines += [f"  {f}" for f in r["dry_run_files"]]
    else:
        lines = [tr("cli_sent", lang, sent=r["sent"], failed=len(r["failed"]), left=r["left_queued"],
                    already=r["already_sent"])]
        lines += [tr("cli_failed", lang, id=mid, error=why) for mid, why in r["failed"].items()]
        if r["connection_error"]:
            lines.append(tr("cli_unreachable", lang, error=r["connection_error"]))
    _print(r, as_json, lines)
    raise typer.Exit(summary.exit_code)
