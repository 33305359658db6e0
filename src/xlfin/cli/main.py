"""The `xlfin` command line: the ribbon's operations on .xlsx/.xlsm files, for servers, batch jobs and CI.

Exit codes: 0 success; 1 done, but validation found errors (every verb that reads the book) or a stale template (`template build --check`);
2 unusable input (unreadable file, missing table, wrong header, read-only target) — one line on stderr, no file
changed; 3 an internal error (a bug: please report it with --debug output).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from xlfin import __version__
from xlfin.engine.dates import DateError, parse_date
from xlfin.schema.tables import WorkbookError

# pretty_exceptions_show_locals=False: a --debug traceback must never print a book's password (issue #17)
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_show_locals=False,
                  help="xlfin: customer finance in Excel workbooks (ageing, credit, cash application, dunning).")
template_app = typer.Typer(no_args_is_help=True, help="Build or check workbook_template.xlsm.")
app.add_typer(template_app, name="template")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
DEBUG = {"on": False}

OutputOpt = typer.Option(None, "-o", "--output", help="Write a new file instead of changing PATH in place.")
JsonOpt = typer.Option(False, "--json", help="Print a machine-readable summary.")
AsOfOpt = typer.Option(None, "--as-of", help="Override Config as_of_date (YYYY-MM-DD).")


def _fail(message: str, code: int = 2) -> None:
    err.print(f"xlfin: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


def _date_option(value: str | None, option: str) -> dt.date | None:
    """A date typed on the command line; one clear line and exit 2 when it does not parse."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except DateError as exc:
        _fail(f"{option}: {exc}")
    return None


def _as_of(value: str | None) -> dt.date | None:
    return _date_option(value, "--as-of")


def _guard(fn):
    """Turn expected failures into one clear line and exit 2; unexpected ones into exit 3 (traceback with --debug)."""

    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except WorkbookError as exc:
            _fail(str(exc), 2)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}", 2)
        except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
            if DEBUG["on"]:
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", 3)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


# Stages in the order a run reaches them (operations.Run reports each); the bar only moves forward.
STAGES = ("read", "validate", "reconcile", "aging", "scorecard", "dunning", "dashboard", "save")


def _progress(enabled: bool):
    """A progress bar on stderr that follows the run's stages. Only on a terminal: pipes, files, CI logs and
    --json consumers get no control characters (decision recorded in docs/first-hour.md)."""
    if not enabled or not err.is_terminal:
        return None, None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from xlfin.schema.i18n import action_label, t

    bar = Progress(TextColumn("xlfin: {task.description:<22}"), BarColumn(), TimeElapsedColumn(), console=err,
                   transient=True)
    task = bar.add_task(t("cli_stage_read"), total=len(STAGES))
    bar.start()

    def advance(stage: str) -> None:
        done = STAGES.index(stage) if stage in STAGES else 0
        label = t(f"cli_stage_{stage}") if stage in ("read", "save") else action_label(stage)
        bar.update(task, completed=max(done, bar.tasks[0].completed), description=label)

    return bar, advance


def _run(path: Path, actions: list[str], output: Path | None, as_of: str | None, as_json: bool,
         letters: Path | None = None, title: str | None = None, verb: str | None = None) -> dict:
    """Run `actions`, print the summary (human or --json) and exit 1 when validation found errors (SPEC §7)."""
    from xlfin.adapters.file import open_workbook
    from xlfin.app.operations import ACTIONS, execute

    # the command as typed, for the Audit sheet: one action is its own verb, all of them is `regenerate`
    verb = verb or ("regenerate" if set(actions) == set(ACTIONS) else "+".join(actions))

    from xlfin.ledger.view import ledger_view

    status, progress = _progress(not as_json)
    try:
        wb = ledger_view(open_workbook(path))  # input tables from the ledger when Config ledger_source names one
        try:
            summary = execute(wb, actions, as_of=_as_of(as_of), output=output, letters_dir=letters, progress=progress,
                              verb=verb)
            currency = wb.read_config()[0].base_currency
        finally:
            wb.close()
    finally:
        if status:
            status.stop()
    result = summary.as_dict()
    emit_summary(result, currency, title, as_json=as_json)
    return result


def emit_summary(result: dict, currency: str, title: str | None, *, as_json: bool) -> None:
    """A run's summary as JSON, or as the short lines in the workbook's language."""
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        _print_summary(result, currency, title)


def _print_summary(result: dict, currency: str, action: str | None = None) -> None:
    from xlfin.schema.i18n import action_label
    from xlfin.app.report import summary_lines

    title = action_label(action, result.get("language") or "en") if action else None
    for line in summary_lines(result, currency, title=title):
        out.print(line, markup=False, soft_wrap=True)


@app.callback(invoke_without_command=True)
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on internal errors."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    DEBUG["on"] = debug
    if version:
        print(f"xlfin {__version__}")
        raise typer.Exit(0)


@app.command()
@_guard
def new(
    path: Path = typer.Argument(..., help="The workbook to create (.xlsm)."),
    lang: str = typer.Option("en", "--lang", help="en or zh-CN"),
    demo: bool = typer.Option(False, "--demo", help="Fill it with the built-in demo data and regenerate."),
    seed: int = typer.Option(42, "--seed", help="Seed of the demo data."),
    force: bool = typer.Option(False, "--force", help="Overwrite PATH if it exists."),
) -> None:
    """A new workbook from the template (with demo data)."""
    from xlfin.app.demo import create_workbook

    if lang not in ("en", "zh-CN"):
        _fail(f"--lang must be en or zh-CN, not {lang!r}")
    if path.exists() and not force:
        _fail(f"{path} exists; use --force to overwrite it")
    from xlfin.schema.i18n import t
    from xlfin.app.report import money

    summary = create_workbook(path, lang=lang, demo=demo, seed=seed)
    out.print(t("cli_created", lang, path=path), markup=False, soft_wrap=True)
    if summary:  # the demo data's receivables, as the Aging sheet shows them
        currency = "CNY" if lang == "zh-CN" else "USD"
        out.print(f"  {t('kpi_total_ar', lang)} {money(summary.get('total'), currency)}, "
                  f"{t('kpi_overdue', lang)} {money(summary.get('overdue'), currency)}", markup=False)


@app.command()
@_guard
def validate(
    path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
    write: bool = typer.Option(False, "--write", help="Also write the Validation sheet."),
    as_json: bool = JsonOpt,
    output: Optional[Path] = OutputOpt,
    as_of: Optional[str] = AsOfOpt,
) -> None:
    """Check every table; exit 0 clean, 1 errors found, 2 unusable input."""
    from xlfin.adapters.file import open_workbook
    from xlfin.schema.frames import problems_frame
    from xlfin.app.operations import Run

    if write:
        result = _run(path, ["validate"], output, as_of, as_json)
        raise typer.Exit(result["validation"]["exit_code"])
    from xlfin.ledger.view import ledger_view

    wb = ledger_view(open_workbook(path, read_only=True))
    try:
        run = Run(wb, as_of=_as_of(as_of))
        report = run.validation
        lang = run.lang
    finally:
        wb.close()
    frame = problems_frame(report.problems)
    if as_json:
        print(json.dumps({"errors": report.errors, "warnings": report.warnings, "exit_code": report.exit_code(),
                          "problems": frame.to_dict(orient="records")}, ensure_ascii=False, indent=2, default=str))
    else:
        _print_problems(frame, lang, report.errors, report.warnings)
    raise typer.Exit(report.exit_code())


PROBLEMS_SHOWN = 30  # a terminal screenful; the Validation sheet (--write) holds them all


def _print_problems(frame, lang: str, errors: int, warnings: int) -> None:
    from xlfin import schema
    from xlfin.schema.i18n import t

    if len(frame):
        label = {c.key: c.label(lang) for c in schema.VALIDATION.columns}
        severity = {c.value: c.label(lang) for c in schema.SEVERITY}
        table = RichTable(label["severity"], label["cell"], label["code"], label["message"])
        for r in frame.head(PROBLEMS_SHOWN).itertuples():
            table.add_row(severity.get(r.severity, r.severity), r.cell, r.code, r.message)
        out.print(table)
        if len(frame) > PROBLEMS_SHOWN:
            out.print(t("cli_problems_more", lang, count=len(frame) - PROBLEMS_SHOWN), markup=False)
    out.print(t("validation_summary", lang, errors=errors, warnings=warnings), markup=False)


def _verb(action: str, doc: str):
    def command(
        path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
        output: Optional[Path] = OutputOpt,
        as_json: bool = JsonOpt,
        as_of: Optional[str] = AsOfOpt,
    ) -> None:
        result = _run(path, [action], output, as_of, as_json)
        raise typer.Exit(result["validation"]["exit_code"])

    command.__doc__ = doc
    command.__name__ = action
    app.command(name=action)(_guard(command))


_verb("reconcile", "Apply payments to invoices (tblAllocations, tblUnapplied).")
_verb("aging", "Regenerate the Aging sheet (summary and open items).")
_verb("scorecard", "Regenerate the Scorecard sheet (scores, grades, limits, flags).")
_verb("dashboard", "Regenerate the Dashboard sheet (KPIs and charts).")
_verb("forecast", "Regenerate the Forecast sheet (predicted pay dates, 13-week cash forecast, demand forecast).")


@app.command()
@_guard
def dunning(
    path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
    letters: Optional[Path] = typer.Option(None, "--letters", help="Also write letters (.html, .txt, .eml) here."),
    output: Optional[Path] = OutputOpt,
    as_json: bool = JsonOpt,
    as_of: Optional[str] = AsOfOpt,
) -> None:
    """Dunning list (+ letters as .html, .txt and .eml)."""
    result = _run(path, ["dunning"], output, as_of, as_json, letters=letters)
    raise typer.Exit(result["validation"]["exit_code"])


@app.command()
@_guard
def regenerate(
    path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
    output: Optional[Path] = OutputOpt,
    as_json: bool = JsonOpt,
    as_of: Optional[str] = AsOfOpt,
) -> None:
    """Everything, in dependency order."""
    from xlfin.app.operations import ACTIONS

    result = _run(path, list(ACTIONS), output, as_of, as_json, title="regenerate")
    raise typer.Exit(result["validation"]["exit_code"])


@app.command()
@_guard
def demo(
    directory: Path = typer.Argument(Path("xlfin-demo"), help="Folder for the demo workbook and letters."),
    lang: str = typer.Option("en", "--lang", help="en or zh-CN"),
    seed: int = typer.Option(42, "--seed"),
    as_json: bool = JsonOpt,
) -> None:
    """The main job on built-in demo data: a filled workbook, every report, letters, and a summary."""
    from xlfin.app.demo import run_demo

    if lang not in ("en", "zh-CN"):
        _fail(f"--lang must be en or zh-CN, not {lang!r}")
    result = run_demo(directory, lang=lang, seed=seed, console=None if as_json else out)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))


@app.command()
@_guard
def audit(
    path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm)."),
    last: int = typer.Option(10, "--last", min=1, help="How many runs to show."),
    as_json: bool = JsonOpt,
) -> None:
    """The last runs from the Audit sheet (who, where, what, hashes, recipients); nothing is written."""
    from xlfin.cli.audit import audit_report, print_audit

    report = audit_report(path, last)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        print_audit(report, out)


@app.command()
@_guard
def encrypt(path: Path = typer.Argument(..., help="Workbook (.xlsx/.xlsm) to encrypt in place.")) -> None:
    """Encrypt a book with a password (as Excel's Encrypt with Password) from XLFIN_BOOK_PASSWORD, the keyring or
    a prompt; every verb then keeps it encrypted."""
    from xlfin.adapters.safety import check_input_file, check_writable
    from xlfin.xlsx.crypto import encrypt_file

    check_input_file(path, allow_encrypted=True)
    check_writable(path)
    secret = encrypt_file(path)
    out.print(f"encrypted {path} (password from {secret.source})", markup=False)
    backup = path.with_name(path.name + ".bak")
    if backup.exists():
        err.print(f"xlfin: {backup} is an earlier backup and may hold customer data unencrypted; delete it",
                  markup=False, soft_wrap=True)


@template_app.command("build")
@_guard
def template_build(
    lang: str = typer.Option("en", "--lang", help="en (the committed template) or zh-CN"),
    check: bool = typer.Option(False, "--check", help="Exit 1 if the committed template differs from a fresh build."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Where to write (default: the repository's "
                                                                       "workbook_template.xlsm, or _zh-CN variant)."),
) -> None:
    """(Re)build workbook_template.xlsm; --check: fail if stale."""
    from xlfin.template import check_template, write_template

    if lang not in ("en", "zh-CN"):
        _fail(f"--lang must be en or zh-CN, not {lang!r}")
    target = output or _default_template_path(lang)
    if check:
        problems = check_template(target, lang=lang)
        for p in problems:
            err.print(f"xlfin: {target}: {p}", markup=False)
        if problems:
            raise typer.Exit(1)
        out.print(f"{target}: up to date")
        return
    write_template(target, lang=lang)
    out.print(f"built {target}")


def _default_template_path(lang: str) -> Path:
    name = "workbook_template.xlsm" if lang == "en" else f"workbook_template_{lang}.xlsm"
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        if (base / "pyproject.toml").exists() and (base / "src" / "xlfin").exists():
            return base / name
    return Path.cwd() / name


from xlfin.outreach import cli_verbs as _outreach_verbs  # noqa: E402,F401 - registers import-bank, statements, send
import xlfin.cli.ledger  # noqa: E402,F401 - registers `xlfin ledger ...` on app


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("xlfin: interrupted; no file was changed")
        sys.exit(130)


if __name__ == "__main__":
    main()
