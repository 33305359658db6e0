"""Ribbon entry points: each button's VBA callback runs `RunPython "import xlfin.excel.macros as m; m.<entry>()"`.

Every entry takes an optional xlwings Book (tests and scripts pass one; from Excel it is `xw.Book.caller()`),
runs the same operations as the CLI through the live adapter, and reports the outcome in an Excel alert.
A failure never leaves the workbook half-written: sheets are staged and applied only after the run succeeded.
"""

from __future__ import annotations

import re
from pathlib import Path

from xlfin import __version__
from xlfin.schema.i18n import action_label, t

_ACTIONS = {
    "validate": ["validate"],
    "reconcile": ["reconcile"],
    "aging": ["aging"],
    "scorecard": ["scorecard"],
    "dunning": ["dunning"],
    "letters": ["dunning"],
    "dashboard": ["dashboard"],
    "forecast": ["forecast"],
    "regenerate": ["validate", "reconcile", "aging", "scorecard", "dunning", "forecast", "dashboard"],
}


def _caller(book=None):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _book_folder(book) -> Path:
    """The saved workbook's folder (Excel's working directory is not the user's); home for an unsaved book."""
    full = getattr(book, "fullname", "") or ""
    return Path(full).parent if full and Path(full).parent.exists() else Path.home()


def _letters_dir(book) -> Path:
    """Letters go next to the workbook, in letters/ (file names start with the as-of date)."""
    return _book_folder(book) / "letters"


def _alert(book, text: str, title: str = "xlfin", error: bool = False) -> None:
    try:
        book.app.alert(text, title=title, buttons="ok", mode="critical" if error else "info")
    except Exception:  # noqa: BLE001 - no UI (tests, server): the message still reaches the caller's log
        print(f"{title}: {text}")


def _run_action(name: str, book=None):
    from xlfin.excel.live import LiveWorkbook
    from xlfin.app.operations import execute

    book = _caller(book)
    wb = LiveWorkbook(book)
    lang = "en"
    try:
        lang = wb.language()
        letters = None
        if name == "letters":
            letters = _letters_dir(book)
        with wb.running(status=action_label(name, lang)):
            source = _ledger_source(book, wb.read_config()[0].ledger_source)
            view = wb if source is None else _open_ledger(wb, source, lang)  # input tables from the ledger
            try:
                summary = execute(view, _ACTIONS[name], letters_dir=letters, verb=name)
            finally:
                if view is not wb:
                    view.store.close()
    except Exception as exc:  # noqa: BLE001 - report every failure to the user; nothing was written
        _alert(book, t("failed", lang, action=action_label(name, lang), message=str(exc)), error=True)
        return None
    finally:
        wb.close()  # report sheets unprotected for writing are protected again, also after a failure
    lines = [t("done", lang, action=action_label(name, lang)),
             t("validation_summary", lang, errors=summary.validation.get("errors", 0),
               warnings=summary.validation.get("warnings", 0))]
    if summary.validation.get("rows_left_out"):
        lines.append(t("skipped_rows", lang, count=summary.validation["rows_left_out"]))
    _alert(book, "\n".join(lines))
    return summary


def validate(book=None):
    return _run_action("validate", book)


def reconcile(book=None):
    return _run_action("reconcile", book)


def aging(book=None):
    return _run_action("aging", book)


def scorecard(book=None):
    return _run_action("scorecard", book)


def dunning(book=None):
    return _run_action("dunning", book)


def letters(book=None):
    return _run_action("letters", book)


def dashboard(book=None):
    return _run_action("dashboard", book)


def forecast(book=None):
    return _run_action("forecast", book)


def regenerate_all(book=None):
    return _run_action("regenerate", book)


def about(book=None):
    book = _caller(book)
    from xlfin.excel.live import LiveWorkbook

    lang = LiveWorkbook(book).language()
    import xlwings

    _alert(book, t("about", lang, version=__version__, xlwings=xlwings.__version__))


def settings(book=None):
    """Show where the settings live and bring the Config sheet forward."""
    from xlfin.excel.live import LiveWorkbook
    from xlfin.schema import CONFIG

    book = _caller(book)
    lang = LiveWorkbook(book).language()
    try:
        book.sheets[CONFIG.sheet(lang)].activate()
    except Exception:  # noqa: BLE001 - a workbook without a Config sheet still gets the hint
        pass
    _alert(book, t("settings_hint", lang))


# ---------------------------------------------------------------- reaching the customer (SPEC §9)


def _bar(message: str) -> str:
    """'send 5/120' -> 'send ▕██░░░░░░░░▏ 5/120' for the status bar of long imports and sends."""
    head, _, count = message.rpartition(" ")
    done, _, total = count.partition("/")
    if not (done.isdigit() and total.isdigit() and int(total)):
        return message
    filled = round(10 * int(done) / int(total))
    return f"{head} ▕{'█' * filled}{'░' * (10 - filled)}▏ {count}"


def _ask_bank_files(book) -> list[Path]:
    """Excel's own file dialog (several files at once); an empty list when the user cancels."""
    picked = book.app.api.GetOpenFilename("Bank files (*.xml;*.sta;*.940;*.txt;*.csv),*.xml;*.sta;*.940;*.txt;*.csv",
                                          1, "xlfin", None, True)
    if not picked:
        return []
    return [Path(p) for p in (picked if isinstance(picked, (list, tuple)) else [picked])]


def _outreach(name: str, book, work):
    """Run one outreach entry through the live adapter: status-bar progress, one alert, nothing written on error."""
    from xlfin.excel.live import LiveWorkbook
    from xlfin.schema.i18n import t as text

    book = _caller(book)
    wb = LiveWorkbook(book)
    lang = "en"
    try:
        lang = wb.language()
        with wb.running(status=action_label(name, lang)):
            lines = work(wb, lambda message: wb.progress(_bar(message)))
    except Exception as exc:  # noqa: BLE001 - report every failure to the user; nothing was written
        _alert(book, text("failed", lang, action=action_label(name, lang), message=str(exc)), error=True)
        return None
    _alert(book, "\n".join([text("done", lang, action=action_label(name, lang)), *lines]))
    return lines


def import_bank(book=None, files=None):
    """Import Bank File: pick camt.053/054, MT940 or CSV files; new incoming credits are appended to Payments."""
    from xlfin.outreach.import_bank import import_bank as run_import

    chosen = [Path(f) for f in files] if files is not None else _ask_bank_files(_caller(book))
    if not chosen:
        return None

    def work(wb, progress):
        s = run_import(wb, chosen, progress=progress).as_dict()
        return [f"+{s['appended']} / {s['already_imported']} = / {len(s['reversals'])} ↺"]

    return _outreach("import_bank", book, work)


def statements(book=None, confirmation: bool = False):
    """Statements: PDF + HTML per customer in statements/ next to the workbook, queued in the Outbox."""
    from xlfin.outreach.runs import statements as run_statements

    def work(wb, progress):
        folder = _letters_dir(_caller(book)).with_name("confirmations" if confirmation else "statements")
        s = run_statements(wb, folder, confirmation=confirmation, progress=progress).as_dict()
        return [f"{len(s['documents'])} → {s['out_dir']}", f"✉ {s['queued']}",
                *([f"✗ {', '.join(s['no_email'])}"] if s["no_email"] else [])]

    return _outreach("statements", book, work)


def send(book=None):
    """Send: deliver what the Outbox has queued through SMTP (password from the environment or the OS keyring)."""
    from xlfin.outreach.runs import send as run_send

    def work(wb, progress):
        s = run_send(wb, progress=progress).as_dict()
        return [f"✓ {s['sent']}  ✗ {len(s['failed'])}  … {s['left_queued']}",
                *([s["connection_error"]] if s["connection_error"] else [])]

    return _outreach("send", book, work)


# ---------------------------------------------------------------- the ledger in a database (issue #16)
# The Ledger group runs the `xlfin ledger` verbs on the database Config's ledger_source names, through the same app
# functions as the CLI (app.ledger_verbs, app.ledger_report, app.ledger_export). Without a ledger the buttons stay
# enabled and say how to set one (a getEnabled callback would need the ribbon invalidated whenever Config changes).


def _ledger_source(book, text: str) -> str | None:
    """Config's ledger_source for a run from Excel; None for the workbook itself. A relative DuckDB path is taken
    from the workbook's folder, as a user reading `duckdb:ledger.duckdb` next to their book expects."""
    from xlfin.ledger.store import parse_source

    source = parse_source(text)
    if source is None:
        return None
    if source.kind == "duckdb" and not Path(source.target).is_absolute():
        return f"duckdb:{_book_folder(book) / source.target}"
    return str(source)


def _open_store(source: str, lang: str):
    """The ledger's connection; a ledger without tables says which button fills it (not the CLI's `ledger init`)."""
    from xlfin.ledger.ddl import require_tables
    from xlfin.ledger.store import LedgerError, connect

    store = connect(source)
    try:
        require_tables(store)
    except LedgerError as exc:
        store.close()
        raise LedgerError(t("ledger_load_first", lang, source=store.source,
                            load=action_label("ledger_load", lang))) from exc
    except BaseException:
        store.close()
        raise
    return store


def _open_ledger(wb, source: str, lang: str):
    """A LedgerBook over the live workbook: input tables from the ledger, everything else the workbook's."""
    from xlfin.ledger.view import LedgerBook

    store = _open_store(source, lang)
    try:
        return LedgerBook(wb, store)
    except BaseException:
        store.close()
        raise


def _no_ledger(book, name: str, lang: str, problems) -> None:
    """Config names no ledger: bring Config forward and say how to set one (and why a value was refused)."""
    from xlfin.schema import CONFIG

    sheet = CONFIG.sheet(lang)
    try:
        book.sheets[sheet].activate()
    except Exception:  # noqa: BLE001 - a workbook without a Config sheet still gets the hint
        pass
    lines = [t("ledger_config_problem", lang, message=p.message) for p in problems if p.key == "ledger_source"]
    _alert(book, "\n".join([*lines, t("ledger_none", lang, action=action_label(name, lang), sheet=sheet)]))


def _ledger_run(name: str, book, work, ask=None):
    """One Ledger button: Config's source, Excel's state off for the run, one alert; an error is the alert.

    `ask(book, lang)` runs first, before Excel is made busy (a file dialog); None from it means the user cancelled.
    `work(wb, source, lang, answer)` returns (result, lines for the alert)."""
    from xlfin.excel.live import LiveWorkbook

    book = _caller(book)
    wb = LiveWorkbook(book)
    lang = "en"
    try:
        lang = wb.language()
        settings, problems, _ = wb.read_config()
        source = _ledger_source(book, settings.ledger_source)
        if source is None:
            _no_ledger(book, name, lang, problems)
            return None
        answer = ask(book, lang) if ask is not None else True
        if answer is None:
            return None
        with wb.running(status=action_label(name, lang)):
            result, lines = work(wb, source, lang, answer)
    except Exception as exc:  # noqa: BLE001 - report every failure to the user; nothing was written
        _alert(book, t("failed", lang, action=action_label(name, lang), message=str(exc)), error=True)
        return None
    finally:
        wb.close()
    _alert(book, "\n".join([t("done", lang, action=action_label(name, lang)), *lines]))
    return result


def _per_table(counts: dict[str, int], lang: str) -> str:
    from xlfin import schema

    return t("cli_list_sep", lang).join(f"{schema.TABLES[k].sheet(lang)} {n:,}" for k, n in counts.items())


def ledger_load(book=None):
    """Load into Ledger: this workbook's input tables upserted into the ledger by key (`xlfin ledger load`)."""
    from xlfin import schema
    from xlfin.app.ledger_verbs import load_book

    def work(wb, source, lang, _answer):
        loaded = load_book(wb, source)
        result = loaded.result
        lines = [t("ledger_where", lang, source=loaded.source),
                 t("ledger_loaded", lang, rows=f"{sum(result.rows.values()):,}", tables=_per_table(result.rows, lang))]
        if loaded.rows_not_loaded:
            lines.append(t("ledger_not_loaded", lang, count=f"{loaded.rows_not_loaded:,}",
                           validate=action_label("validate", lang), sheet=schema.VALIDATION.sheet(lang)))
        return loaded, lines

    return _ledger_run("ledger_load", book, work)


def ledger_reconcile(book=None):
    """Post Cash: cash application posted to the ledger, one locked transaction (`xlfin ledger reconcile`)."""
    from xlfin.app.ledger_verbs import post_cash
    from xlfin.app.report import money

    def work(wb, source, lang, _answer):
        ledger = _open_ledger(wb, source, lang)
        try:
            posted = post_cash(ledger)
        finally:
            ledger.store.close()
        currency = wb.read_config()[0].base_currency
        return posted, [t("ledger_where", lang, source=ledger.store.source),
                        t("ledger_posted", lang, payments=f"{posted.payments_considered:,}",
                          allocations=f"{posted.allocations:,}", amount=money(posted.amount / 100, currency),
                          already=f"{posted.already_posted:,}")]

    return _ledger_run("ledger_reconcile", book, work)


def _never_posted(ledger) -> bool:
    """Payments up to as-of but no posting run: every invoice would look unpaid (execute_report refuses too)."""
    from xlfin.app.ledger_report import LedgerReportRun

    runs = int(ledger.store.rows("SELECT COUNT(*) FROM ledger_runs")[0][0])
    return runs == 0 and len(LedgerReportRun(ledger).frames["payments"]) > 0


def ledger_report(book=None):
    """Reports from Ledger: Aging, Scorecard, Dunning, Forecast and Dashboard written from the posted ledger
    (`xlfin ledger report`), staged and applied to this workbook once, as every other button."""
    from xlfin.app.ledger_report import execute_report
    from xlfin.app.report import summary_lines
    from xlfin.schema.tables import WorkbookError

    def work(wb, source, lang, _answer):
        ledger = _open_ledger(wb, source, lang)
        try:
            if _never_posted(ledger):
                raise WorkbookError(t("ledger_post_first", lang, post=action_label("ledger_reconcile", lang),
                                      report=action_label("ledger_report", lang)))
            summary = execute_report(ledger, progress=wb.progress)
        finally:
            ledger.store.close()
        currency = wb.read_config()[0].base_currency
        lines = summary_lines(summary.as_dict(), currency, title=action_label("ledger_report", lang))
        # the CLI's summary lines, their column padding (for a terminal's fixed-width font) made "label: value"
        lines = [re.sub(r"\s{2,}", ": ", line.strip()) for line in lines]
        return summary, [t("ledger_where", lang, source=ledger.store.source), *lines]

    return _ledger_run("ledger_report", book, work)


def _ask_export_path(book, lang: str) -> Path | None:
    """Excel's Save As dialog for the new workbook (a name next to this one proposed); None when cancelled."""
    initial = _book_folder(book) / f"{Path(getattr(book, 'name', '') or 'xlfin').stem}-ledger.xlsm"
    picked = book.app.api.GetSaveAsFilename(str(initial), "Excel Macro-Enabled Workbook (*.xlsm),*.xlsm", 1,
                                            t("ledger_export_title", lang))
    return Path(picked) if picked else None


def ledger_export(book=None, path=None):
    """Export Ledger: the ledger's input tables written into a new workbook from the template, in this workbook's
    language (`xlfin ledger export`). A file that exists is replaced only when the user says yes."""
    from xlfin.app.ledger_export import export_workbook
    from xlfin.schema.tables import WorkbookError

    def ask(book, lang):
        target = Path(path) if path is not None else _ask_export_path(book, lang)
        if target is None:
            return None
        if target.suffix.lower() != ".xlsm":
            target = target.with_suffix(".xlsm")  # the template is macro-enabled: Excel refuses it as .xlsx
        if target.exists():
            if _same_file(target, getattr(book, "fullname", "")):
                raise WorkbookError(t("ledger_export_is_open", lang, path=target))
            answer = book.app.alert(t("ledger_export_replace", lang, path=target), title="xlfin", buttons="yes_no",
                                    mode="info")
            if answer != "yes":
                return None
        return target

    def work(wb, source, lang, target):
        with _open_store(source, lang) as store:
            rows = export_workbook(store, target, lang)
        return target, [t("ledger_where", lang, source=store.source),
                        t("ledger_exported", lang, rows=f"{sum(rows.values()):,}", path=target),
                        _per_table(rows, lang)]

    return _ledger_run("ledger_export", book, work, ask)


def _same_file(a: Path, b: str) -> bool:
    try:
        return bool(b) and a.resolve() == Path(b).resolve()
    except OSError:
        return False
