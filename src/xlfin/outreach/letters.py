"""Dunning letters: one per notice, as print-ready HTML (A4), plain text and an unsent e-mail (.eml).

Templates are Jinja2 files, per language, one per level template name (``reminder``, ``firm``, ``final``, ``legal``)
in ``.html.j2`` and ``.txt.j2``, each extending ``base.html.j2`` / ``base.txt.j2``. The e-mail subject is the level
template's ``subject`` block (in the ``.txt.j2``; its ``heading`` block when it has none). A folder named in Config
``letter_template_dir`` overrides any of them by file name: ``<dir>/<lang>/<file>`` first, then ``<dir>/<file>``, then
the shipped file.

Safety (SPEC §8): templates render in a :class:`jinja2.sandbox.SandboxedEnvironment` with HTML autoescape and
``StrictUndefined``; any template problem (syntax, unknown variable, sandbox violation such as
``{{ ''.__class__ }}``) is raised as :class:`LetterTemplateError` naming the template file and line. Customer text
(names, contacts) is data: it is escaped in HTML and stripped of line breaks in e-mail headers. The .eml carries
``X-Unsent: 1`` so mail programs open it as a draft; nothing is ever sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from xlfin.engine.amount_words import chinese_upper_cents, english_words_cents
from xlfin.engine.dunning import DunningRun
from xlfin.engine.money import cents_to_decimal
from xlfin.engine.payment_plans import text_ids
from xlfin.schema import Lang
from xlfin.schema.settings import Settings

__all__ = [
    "LEVEL_TEMPLATES",
    "PAY_WITHIN_DAYS",
    "SHIPPED_TEMPLATE_DIR",
    "LetterFiles",
    "LetterTemplateError",
    "build_email",
    "letter_context",
    "letter_paths",
    "render_letter",
    "render_letters",
    "safe_file_stem",
    "template_environment",
]

SHIPPED_TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "letters"
LEVEL_TEMPLATES = ("reminder", "firm", "final", "legal")  # by ladder position when a level names no template
PAY_WITHIN_DAYS = {"reminder": 14, "firm": 10, "final": 7, "legal": 7}
_DEFAULT_PAY_WITHIN = 7
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
CURRENCY_NAMES_ZH = {
    "CNY": "人民币", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元", "HKD": "港币", "SGD": "新加坡元",
    "AUD": "澳元", "CAD": "加元", "CHF": "瑞士法郎", "KRW": "韩元", "TWD": "新台币", "INR": "印度卢比",
    "NZD": "新西兰元", "SEK": "瑞典克朗",
}


class LetterTemplateError(ValueError):
    """A letter template that cannot be loaded or rendered; the message names the template file and line."""

    def __init__(self, message: str, template: str | None = None, line: int | None = None):
        super().__init__(message)
        self.template = template
        self.line = line


@dataclass(frozen=True)
class LetterFiles:
    html: Path
    txt: Path
    eml: Path


# ---------------------------------------------------------------- environment


def _money(value: Any) -> str:
    """Decimal (or cents int) -> '12,345.60'; the sign is kept."""
    amount = value if isinstance(value, Decimal) else cents_to_decimal(int(value))
    return f"{amount:,.2f}"


def template_environment(settings: Settings, lang: Lang) -> SandboxedEnvironment:
    """The sandboxed environment: user folder (per language, then flat) before the shipped templates."""
    if lang not in ("en", "zh-CN"):
        raise LetterTemplateError(f"letters: unknown language {lang!r}; expected en or zh-CN")
    loaders: list[jinja2.BaseLoader] = []
    user_dir = (settings.letter_template_dir or "").strip()
    if user_dir:
        folder = Path(user_dir).expanduser()
        if not folder.is_dir():
            raise LetterTemplateError(f"letter_template_dir {user_dir!r} is not a folder")
        loaders.append(jinja2.FileSystemLoader([str(folder / lang), str(folder)], encoding="utf-8"))
    # The shipped root holds what both languages share (the stylesheet).
    loaders.append(jinja2.FileSystemLoader([str(SHIPPED_TEMPLATE_DIR / lang), str(SHIPPED_TEMPLATE_DIR)],
                                           encoding="utf-8"))
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True,
                                            default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = _money
    return env


def _template_location(exc: BaseException, fallback: str) -> tuple[str, int | None]:
    """The template file and line an error came from: Jinja rewrites tracebacks so template frames carry both."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or fallback, exc.lineno
    name, line = fallback, None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or filename == "<template>":
            name, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return name, line


def _template_error(exc: BaseException, fallback: str) -> LetterTemplateError:
    name, line = _template_location(exc, fallback)
    short = Path(name).name if name else fallback
    where = f"{short}, line {line}" if line else short
    kind = "refused by the sandbox" if isinstance(exc, SecurityError) else "error"
    return LetterTemplateError(f"letter template {where}: {kind}: {exc}", template=str(name), line=line)


def _load(env: SandboxedEnvironment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise LetterTemplateError(f"letter template {name} not found (looked in letter_template_dir and the "
                                  f"shipped templates): {exc}", template=name) from None
    except jinja2.TemplateSyntaxError as exc:
        raise _template_error(exc, name) from None


def render_letter(env: SandboxedEnvironment, template: str, kind: str, context: Mapping[str, Any]) -> str:
    """Render ``<template>.<kind>.j2`` (kind 'html' or 'txt'), or its subject line for kind 'subject'."""
    if not _TEMPLATE_NAME.match(template):
        raise LetterTemplateError(f"letter template name {template!r}: use letters, digits, - and _ only",
                                  template=template)
    name = f"{template}.{'txt' if kind == 'subject' else kind}.j2"
    tmpl = _load(env, name)
    try:
        if kind != "subject":
            return tmpl.render(context)
        block = tmpl.blocks.get("subject") or tmpl.blocks.get("heading")
        if block is None:
            raise LetterTemplateError(f"letter template {name}: needs a subject or heading block", template=name)
        return " ".join("".join(block(tmpl.new_context(dict(context)))).split())
    except LetterTemplateError:
        raise
    except Exception as exc:
        raise _template_error(exc, name) from exc


# ---------------------------------------------------------------- context


def _long_date(day: dt.date, lang: Lang) -> str:
    if lang == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def _iso(value: Any) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _clean(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip()


def _template_for(run: DunningRun, level: int) -> str:
    ladder = sorted(run.levels, key=lambda lv: lv.level)
    for position, lv in enumerate(ladder):
        if lv.level == level:
            return lv.template.strip() or LEVEL_TEMPLATES[min(position, len(LEVEL_TEMPLATES) - 1)]
    return LEVEL_TEMPLATES[min(max(level, 1), len(LEVEL_TEMPLATES)) - 1]


def letter_context(notice: Mapping[str, Any], items: pd.DataFrame, customer: Mapping[str, Any], settings: Settings,
                   lang: Lang, as_of: dt.date, template: str) -> dict[str, Any]:
    """Everything a letter template may use. Money is Decimal (format with ``|money``), dates are text."""
    currency = next((c for c in items.get("currency", pd.Series(dtype=object)) if _clean(c)), "") \
        or settings.base_currency
    total = int(notice["total_due"])
    if lang == "zh-CN":
        currency_name = CURRENCY_NAMES_ZH.get(currency, currency)
        words = currency_name + chinese_upper_cents(total)
    else:
        currency_name = currency
        words = f"{currency} {english_words_cents(total)}"
    plans = sorted({_clean(p) for p in items.get("plan_id", pd.Series(dtype=object)) if _clean(p)})
    pay_by = as_of + dt.timedelta(days=PAY_WITHIN_DAYS.get(template, _DEFAULT_PAY_WITHIN))
    customer_id = _clean(notice["customer_id"])
    return {
        "lang": lang,
        "template": template,
        "reference": f"{as_of:%Y%m%d}-{customer_id}-{int(notice['level'])}",
        "letter_date": _long_date(as_of, lang),
        "pay_by": _long_date(pay_by, lang),
        "currency": currency,
        "currency_name": currency_name,
        "interest_rate": f"{settings.dunning_interest_pa:g}",
        "company": {
            "name": settings.company_name,
            "address_lines": [line.strip() for line in re.split(r"[\r\n]+", settings.company_address) if line.strip()],
            "bank": settings.company_bank,
            "email": settings.company_email,
            "phone": settings.company_phone,
        },
        "customer": {
            "id": customer_id,
            "name": _clean(notice.get("name")) or _clean(customer.get("name")) or customer_id,
            "contact": _clean(notice.get("contact")) or _clean(customer.get("contact")),
            "email": _clean(notice.get("email")) or _clean(customer.get("email")),
            "phone": _clean(customer.get("phone")),
        },
        "notice": {
            "level": int(notice["level"]),
            "action": _clean(notice.get("action")),
            "invoices": _clean(notice.get("invoices")),
            "max_days_overdue": int(notice["max_days_overdue"]),
            "overdue_amount": cents_to_decimal(int(notice["overdue_amount"])),
            "interest": cents_to_decimal(int(notice["interest"])),
            "fee": cents_to_decimal(int(notice["fee"])),
            "total_due": cents_to_decimal(total),
            "total_due_words": words,
            "broken_plans": plans,
        },
        "items": [
            {
                "invoice_no": _clean(row.invoice_no),
                "invoice_date": _iso(row.invoice_date),
                "due_date": _iso(row.due_date),
                "days_overdue": int(row.days_overdue),
                "outstanding": cents_to_decimal(int(row.outstanding)),
                "interest": cents_to_decimal(int(row.interest)),
            }
            for row in items.itertuples(index=False)
        ],
    }


# ---------------------------------------------------------------- e-mail and files


def _header_text(value: str) -> str:
    """One line of header text: control characters (CR/LF included) become spaces, runs of space collapse."""
    return " ".join("".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in value).split())


def _addresses(raw: str, display_name: str) -> list[Address]:
    found = [part.strip() for part in re.split(r"[,;，；\s]+", raw or "") if part.strip()]
    return [Address(display_name=_header_text(display_name), addr_spec=a) for a in found if _EMAIL.match(a)]


def build_email(subject: str, text: str, html: str, settings: Settings, to_email: str, to_name: str,
                as_of: dt.date) -> EmailMessage:
    """An RFC 5322 message with text and HTML alternatives; From = company_email, To = the customer's address(es).
    A blank or invalid address leaves that header out (the user fills it in before sending)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = _header_text(subject)
    sender = _addresses(settings.company_email, settings.company_name)
    if sender:
        msg["From"] = sender[0]
    recipients = _addresses(to_email, to_name)
    if recipients:
        msg["To"] = recipients
    msg["Date"] = format_datetime(dt.datetime.combine(as_of, dt.time(9, 0)).astimezone())
    msg["X-Unsent"] = "1"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def safe_file_stem(customer_id: str) -> str:
    """A customer id as a file name on any OS: word characters (CJK included), '-' and '.' kept, the rest '_'; a
    short hash of the original is added whenever that changed anything, so two ids never share a file."""
    original = str(customer_id)
    text = unicodedata.normalize("NFKC", original)
    safe = re.sub(r"[^\w\-.]+", "_", text).strip("._")[:60]
    if not safe or safe.split(".")[0].upper() in _WINDOWS_RESERVED or safe != original:
        digest = hashlib.sha1(original.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe or 'customer'}-{digest}"
    return safe


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def render_letters(run: DunningRun, customers: pd.DataFrame | None, settings: Settings, out_dir: Path,
                   lang: Lang | None = None, as_of: dt.date | None = None) -> dict[str, LetterFiles]:
    """Write ``<as_of>_<customer>_L<level>.html/.txt/.eml`` for every notice of the run into ``out_dir``.

    Every letter is rendered before any file is written, so a template error leaves no partial set behind."""
    lang = lang or settings.language
    if lang not in ("en", "zh-CN"):
        raise LetterTemplateError(f"letters: unknown language {lang!r}; expected en or zh-CN")
    as_of = as_of or settings.as_of()
    if run.notices.empty:
        return {}
    env = template_environment(settings, lang)
    by_id: dict[str, Mapping[str, Any]] = {}
    if customers is not None and len(customers) and "customer_id" in customers.columns:
        frame = customers.reset_index(drop=True).assign(customer_id=text_ids(customers["customer_id"]).to_numpy())
        by_id = {row["customer_id"]: row for row in frame.to_dict("records")}
    lines = run.items.groupby("customer_id", sort=False)
    rendered = []
    for notice in run.notices.to_dict("records"):
        cid = str(notice["customer_id"])
        template = _template_for(run, int(notice["level"]))
        items = lines.get_group(cid) if cid in lines.groups else run.items.iloc[0:0]
        context = letter_context(notice, items, by_id.get(cid, {}), settings, lang, as_of, template)
        html = render_letter(env, template, "html", context)
        text = render_letter(env, template, "txt", context)
        subject = render_letter(env, template, "subject", context)
        email = build_email(subject, text, html, settings, context["customer"]["email"],
                            context["customer"]["contact"] or context["customer"]["name"], as_of)
        stem = f"{as_of:%Y-%m-%d}_{safe_file_stem(cid)}_L{int(notice['level'])}"
        rendered.append((cid, stem, html, text, email.as_bytes()))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, LetterFiles] = {}
    for cid, stem, html, text, eml in rendered:
        files = LetterFiles(out_dir / f"{stem}.html", out_dir / f"{stem}.txt", out_dir / f"{stem}.eml")
        _write(files.html, html.encode("utf-8"))
        _write(files.txt, text.encode("utf-8"))
        _write(files.eml, eml)
        written[cid] = files
    return written


def letter_paths(letters: Mapping[str, LetterFiles]) -> dict[str, str]:
    """{customer_id: path of the HTML letter}: what tblDunning's and tblDunningLog's ``letter`` column holds."""
    return {cid: str(files.html) for cid, files in letters.items()}
