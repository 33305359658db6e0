"""Ribbon entry points: each button's VBA callback runs `RunPython "import xlfin.excel.macros as m; m.<entry>()"`.

Every entry takes an optional xlwings Book (tests and scripts pass one; from Excel it is `xw.Book.caller()`),
runs the same operations as the CLI through the live adapter, and reports the outcome in an Excel alert.
A failure never leaves the workbook half-written: sheets are staged and applied only after the run succeeded.
"""

from __future__ import annotations

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


def _letters_dir(book) -> Path:
    """Letters go next to the workbook, in letters/ (file names start with the as-of date)."""
    full = getattr(book, "fullname", "") or ""
    base = Path(full).parent if full and Path(full).parent.exists() else Path.home()
    return base / "letters"


def _alert(book, text: str, title: str = "xlfin", error: bool = False) -> None:
    try:
        book.app.alert(text, title=title, buttons="ok", mode="critical" if error else "info")
    except Exception:  # noqa: BLE001 - no UI (tests, server): the message still reaches the caller's log
        print(f"{title}: {text}")


def _run_action(name: str, book=None):
    from xlfin.excel.live import LiveWorkbook
    from xlfin.app.operations import execute
    from xlfin.ledger.view import ledger_view

    book = _caller(book)
    wb = LiveWorkbook(book)
    lang = "en"
    try:
        lang = wb.language()
        letters = None
        if name == "letters":
            letters = _letters_dir(book)
        with wb.running(status=action_label(name, lang)):
            view = ledger_view(wb, close_on_error=False)  # input tables from the ledger when Config names one
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
