"""The run summary as a person reads it (SPEC §7 "human output"): a few lines in the workbook's language, money with
thousands separators, two decimals and the currency, shares as percentages, DSO in days, the file written and what to
open next. Never a raw dict or a float with 14 decimals; `--json` keeps the machine form.

Input is the dict of :meth:`xlfin.app.operations.RunSummary.as_dict` (money already in currency units); output is plain
text lines, so the CLI, `xlfin demo` and tests share one rendering.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from xlfin import schema
from xlfin.engine.dunning import EXCLUSION_REASONS
from xlfin.schema import Lang
from xlfin.schema.i18n import action_label, t

_CENT = Decimal("0.01")


def money(value: float | int | None, currency: str = "") -> str:
    """1234567.5 -> 'USD 1,234,567.50'; None -> '-'. Rounded half-up to the cent (the summary already holds cents/100)."""
    if value is None:
        return "-"
    amount = Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    text = f"{amount:,.2f}"
    return f"{currency} {text}" if currency else text


def percent(share: float | None, *, already_percent: bool = False) -> str:
    """0.4003 -> '40.0%' (92.35 with already_percent -> '92.3%'); None -> '-'."""
    if share is None:
        return "-"
    value = Decimal(str(share if already_percent else share * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}%"


def days(value: float | None, lang: Lang) -> str:
    if value is None:
        return "-"
    return t("cli_days", lang, n=Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def count(n: int | None) -> str:
    return "-" if n is None else f"{int(n):,}"


def summary_lines(result: dict, currency: str, *, title: str | None = None, workbook: str | None = None) -> list[str]:
    """The short human summary of one run (verb or regenerate), in the language the run found in the workbook."""
    lang: Lang = result.get("language") or "en"
    res = result.get("results", {})
    head = title or " + ".join(action_label(a, lang) for a in result.get("actions", []))
    lines = [t("cli_title", lang, what=head, as_of=result.get("as_of"))
             + (f" — {workbook}" if workbook else "")]
    rows: list[tuple[str, str]] = [(t("cli_validation", lang), _validation(result.get("validation", {}), lang))]
    if "reconcile" in res:
        rows += _reconcile(res["reconcile"], currency, lang)
    if "aging" in res:
        rows += _aging(res["aging"], currency, lang)
    if "dashboard" in res:
        rows += _dashboard(res["dashboard"], currency, lang)
    if "scorecard" in res:
        rows += _scorecard(res["scorecard"], lang)
    if "dunning" in res:
        rows += _dunning(res["dunning"], currency, lang)
    width = max(_width(label) for label, _ in rows)
    lines += [f"  {label}{' ' * (width - _width(label))}  {text}" for label, text in rows]
    if result.get("output"):
        lines.append(t("cli_written", lang, path=result["output"], seconds=f"{result.get('seconds', 0):.1f}"))
    lines.append(next_hint(result, lang))
    return lines


def _width(text: str) -> int:
    """Columns a label takes in a terminal: CJK characters are two wide."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _validation(v: dict, lang: Lang) -> str:
    text = t("validation_summary", lang, errors=count(v.get("errors", 0)), warnings=count(v.get("warnings", 0)))
    if v.get("rows_left_out"):
        text += "; " + t("cli_rows_left_out", lang, count=count(v["rows_left_out"]))
    if v.get("rows_after_as_of"):
        text += "; " + t("cli_rows_after_as_of", lang, count=count(v["rows_after_as_of"]))
    if v.get("payments_not_posted"):  # xlfin ledger report: the sheets count posted cash only
        text += "; " + t("cli_payments_not_posted", lang, count=count(v["payments_not_posted"]))
    return text


def _reconcile(r: dict, currency: str, lang: Lang) -> list[tuple[str, str]]:
    exceptions = sum((r.get("exceptions_by_reason") or {}).values())
    text = t("cli_cash", lang, payments=count(r.get("payments")),
             pct=percent(r.get("auto_applied_pct"), already_percent=True),
             unapplied=money(r.get("amount_unapplied"), currency))
    if exceptions:
        text += "; " + t("cli_exceptions", lang, count=count(exceptions))
    rows = [(t("cli_cash_label", lang), text)]
    if r.get("writeoffs_proposed"):
        rows.append(("", t("cli_writeoffs", lang, amount=money(r["writeoffs_proposed"], currency))))
    return rows


def _aging(a: dict, currency: str, lang: Lang) -> list[tuple[str, str]]:
    return [(t("kpi_total_ar", lang), t("cli_open_items", lang, total=money(a.get("total"), currency),
                                         items=count(a.get("open_items")), customers=count(a.get("customers")))),
            (t("kpi_overdue", lang), f"{money(a.get('overdue'), currency)} ({percent(a.get('overdue_pct'))})")]


def _dashboard(d: dict, currency: str, lang: Lang) -> list[tuple[str, str]]:
    rows = [("DSO / CEI", f"{days(d.get('kpi_dso'), lang)} / {percent(d.get('kpi_cei'), already_percent=True)}")]
    if d.get("kpi_unapplied"):
        rows.append((t("kpi_unapplied", lang), money(d["kpi_unapplied"], currency)))
    worst = d.get("top_overdue") or []
    if worst:
        rows.append((t("cli_most_overdue", lang), t("cli_list_sep", lang).join(f"{name} {money(amount, currency)}"
                                                                                for name, amount in worst[:3])))
    return rows


def _scorecard(s: dict, lang: Lang) -> list[tuple[str, str]]:
    grades = ", ".join(f"{g} {count(n)}" for g, n in (s.get("grades") or {}).items()) or "-"
    return [(t("cli_scorecard", lang), t("cli_grades", lang, customers=count(s.get("customers")), grades=grades,
                                          over=count(s.get("over_limit"))))]


def _dunning(d: dict, currency: str, lang: Lang) -> list[tuple[str, str]]:
    levels = ", ".join(t("cli_level", lang, level=k, count=count(v)) for k, v in (d.get("by_level") or {}).items())
    text = t("cli_notices", lang, count=count(d.get("notices")), total=money(d.get("total_due"), currency))
    if levels:
        text += f" ({levels})"
    rows = [(t("cli_dunning", lang), text)]
    excluded = d.get("excluded") or {}
    if excluded:
        top = sorted(excluded.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        names = t("cli_list_sep", lang).join(f"{_exclusion(code, lang)} {count(n)}" for code, n in top)
        rows.append(("", t("cli_not_dunned", lang, count=count(sum(excluded.values())), reasons=names)))
    if d.get("letters_dir"):
        rows.append(("", t("cli_letters", lang, count=count(d.get("letters")), folder=d["letters_dir"])))
    return rows


def _exclusion(code: str, lang: Lang) -> str:
    labels = EXCLUSION_REASONS.get(code)
    return labels[1 if lang == "zh-CN" else 0] if labels else code


def next_hint(result: dict, lang: Lang) -> str:
    """What to open next: the problems first, then the sheet the run was for."""
    v = result.get("validation", {})
    if v.get("errors") or v.get("rows_left_out"):
        return t("cli_next_fix", lang, sheet=schema.VALIDATION.sheet(lang))
    sheets = {"dunning": schema.DUNNING.sheet(lang), "dashboard": schema.DASHBOARD_SHEET[lang],
              "aging": schema.AGING_DETAIL.sheet(lang), "scorecard": schema.SCORECARD.sheet(lang),
              "reconcile": schema.ALLOCATIONS.sheet(lang), "validate": schema.VALIDATION.sheet(lang)}
    actions = result.get("actions", [])
    order = ["dashboard", "dunning"] if "dashboard" in actions and "dunning" in actions else list(reversed(actions))
    picked = [sheets[a] for a in order if a in sheets][:2]
    if len(picked) == 2:
        return t("cli_next_open2", lang, first=picked[0], second=picked[1])
    return t("cli_next_open", lang, sheet=picked[0]) if picked else ""
