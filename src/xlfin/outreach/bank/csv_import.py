"""Bank CSV exports: encoding detected from the bytes, columns found by English or Chinese header presets.

Encoding: a BOM decides (UTF-8/UTF-16); else strict UTF-8; else GB18030 (a superset of GBK, what Chinese banks
export) when the decoded text is really Chinese; else charset-normalizer's best guess (e.g. cp1252 from a European
bank). Never the file extension. Chinese exports often start with a few lines of account information: the header is
the first row (within the first 30) that names a date column and an amount column.

Amounts: a credit column (贷方金额/收入金额/Credit/Paid In) or a signed amount column (with an optional direction
column: 贷/借, C/D, CR/DR, 收入/支出). A negative credit, or a direction of 冲正/reversal, is a reversal. Without a
serial-number column the bank_ref is derived from the row's content (date, amount, payer, text and its occurrence),
so the same file imported twice gives the same refs.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from xlfin.engine.dates import DateError, parse_date
from xlfin.engine.vocabulary import comparison_form
from .model import BankFileError, BankTransaction, join_text

# field -> header texts (either language), compared case- and space-insensitively
PRESETS: dict[str, tuple[str, ...]] = {
    "date": ("交易日期", "记账日期", "入账日期", "交易时间", "记账日", "日期", "Date", "Booking Date", "Transaction Date",
             "Posting Date", "Value Date", "Buchungstag"),
    "credit": ("贷方金额", "收入金额", "收入", "贷方发生额", "存入金额", "贷方", "Credit", "Credit Amount", "Paid In",
               "Money In", "Deposit", "Deposits", "Incoming"),
    "debit": ("借方金额", "支出金额", "支出", "借方发生额", "取出金额", "借方", "Debit", "Debit Amount", "Paid Out",
              "Money Out", "Withdrawal", "Withdrawals", "Outgoing"),
    "amount": ("交易金额", "发生额", "金额", "Amount", "Transaction Amount", "Betrag"),
    "direction": ("借贷标志", "借贷方向", "收支方向", "收支", "借贷", "Dr/Cr", "Credit/Debit", "Debit/Credit", "Direction",
                  "CR/DR"),
    "payer_name": ("对方户名", "对方账户名称", "对方名称", "对方单位", "付款人名称", "付款人", "付款方", "Counterparty",
                   "Counterparty Name", "Payer", "Payer Name", "Name", "Remitter", "Beneficiary/Remitter"),
    "payer_account": ("对方账号", "对方账户", "付款人账号", "付款账号", "Counterparty Account", "Payer Account", "IBAN",
                      "Account Number", "Remitter Account"),
    "reference": ("摘要", "附言", "用途", "备注", "交易附言", "汇款附言", "Reference", "Description", "Details",
                  "Remittance", "Remittance Information", "Memo", "Narrative", "Purpose", "Verwendungszweck"),
    "bank_ref": ("交易流水号", "流水号", "银行流水号", "交易参考号", "交易序号", "凭证号", "Transaction ID", "Bank Reference",
                 "Reference No", "Reference Number", "Serial No", "Transaction Reference", "Bank Ref"),
    "currency": ("币种", "货币", "Currency", "Ccy"),
}
_CREDIT_WORDS = {"贷", "贷方", "收入", "收", "来账", "转入", "存入", "入账", "c", "cr", "credit", "in", "+"}
_DEBIT_WORDS = {"借", "借方", "支出", "支", "往账", "转出", "支取", "出账", "d", "dr", "debit", "out", "-"}
_REVERSAL_WORDS = ("冲正", "冲账", "reversal", "reversed", "storno")
HEADER_SCAN = 30
_CURRENCY_NAMES = {"人民币": "CNY", "RMB": "CNY", "美元": "USD", "欧元": "EUR", "港币": "HKD", "港元": "HKD", "日元": "JPY",
                   "英镑": "GBP"}


def decode(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    """bytes -> (text, encoding used)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise BankFileError(f"cannot decode as {encoding}: {exc}", name) from None
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _mostly_chinese(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise BankFileError("cannot detect the text encoding; give --encoding", name)
    return str(best), best.encoding


def _mostly_chinese(text: str) -> bool:
    """GB18030 decodes almost any bytes; a real Chinese export's non-ASCII characters are CJK or full-width."""
    wide = [c for c in text if ord(c) > 127]
    cjk = [c for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"]
    return bool(wide) and len(cjk) >= 0.9 * len(wide)


def parse_csv(data: bytes, name: str, encoding: str | None = None,
              overrides: Mapping[str, str] | None = None) -> tuple[str, list[BankTransaction]]:
    """bytes -> (encoding, transactions). `overrides` maps a field (date, credit, ...) to a header text."""
    text, used = decode(data, encoding, name)
    rows = list(csv.reader(io.StringIO(text, newline=""), _dialect(text)))
    header_at, columns = _header(rows, overrides or {}, name)
    out: list[BankTransaction] = []
    seen: dict[str, int] = {}
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        if not any(c.strip() for c in row):
            continue
        tx = _row(row, columns, i + 1, rows[header_at], name, seen)
        if tx is not None:
            out.append(tx)
    return used, out


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = "\n".join(text.splitlines()[:40])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _header(rows: list[list[str]], overrides: Mapping[str, str], name: str) -> tuple[int, dict[str, list[int]]]:
    wanted = {f: {comparison_form(h) for h in labels} for f, labels in PRESETS.items()}
    for field, header in overrides.items():
        wanted[field] = {comparison_form(header)}
    priority = {f: {comparison_form(h): i for i, h in enumerate(labels)} for f, labels in PRESETS.items()}
    for r, row in enumerate(rows[:HEADER_SCAN]):
        columns: dict[str, list[int]] = {}
        for j, cell in enumerate(row):
            key = _header_key(cell)
            for field, labels in wanted.items():
                if key and key in labels:
                    columns.setdefault(field, []).append(j)
                    break
        if "date" in columns and ({"credit", "amount"} & columns.keys()):
            # one column per field but the remittance text: the best-ranked label wins (交易日期 before 交易时间)
            for field, js in columns.items():
                if field != "reference" and len(js) > 1:
                    js.sort(key=lambda j: priority.get(field, {}).get(_header_key(row[j]), 0))
                    columns[field] = js[:1]
            return r, columns
    raise BankFileError(f"no header row with a date and an amount column in the first {HEADER_SCAN} lines "
                        f"(expected e.g. 交易日期/贷方金额 or Date/Credit; set bank_csv_columns in Config)", name)


def _header_key(cell: str) -> str:
    """Header comparison form without a unit suffix: 收入金额(元) / Amount (CNY) match 收入金额 / Amount."""
    text = re.sub(r"\s*[(（\[]\s*(元|人民币|rmb|cny|usd|eur|¥|\$)\s*[)）\]]\s*$", "", cell.strip().lstrip("\ufeff"),
                  flags=re.IGNORECASE)
    return comparison_form(text)


def _clean(value: str) -> str:
    """A cell as the bank meant it: Excel's ="0123" text guard and tab prefixes removed."""
    t = value.strip()
    m = re.fullmatch(r'="(.*)"', t)
    return (m.group(1) if m else t).strip()


def _cell(row: list[str], columns: dict[str, list[int]], field: str) -> str:
    return " ".join(_clean(row[j]) for j in columns.get(field, []) if j < len(row) and _clean(row[j]))


def _money(text: str, where: str, name: str) -> int | None:
    """'1,234.56' / '¥1,234.56' / '1.234,56' / '(12.00)' -> signed cents; blank -> None."""
    t = re.sub(r"[\s¥$€£]|RMB|CNY|USD|EUR", "", text.strip().strip('"').lstrip("\t"))
    if t in ("", "-", "--"):
        return None
    negative = t.startswith("-") or (t.startswith("(") and t.endswith(")"))
    t = t.strip("()+-")
    if re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{1,2}|\d+,\d{1,2}", t):
        t = t.replace(".", "").replace(",", ".")  # European decimal comma
    else:
        t = t.replace(",", "")
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise BankFileError(f"{where}: amount {text!r} is not a number", name) from None
    if d != d.quantize(Decimal("0.01")):
        raise BankFileError(f"{where}: amount {text!r} has more than 2 decimals", name)
    cents = int(d * 100)
    return -cents if negative else cents


def _row(row: list[str], columns: dict[str, list[int]], line: int, header: list[str], name: str,
         seen: dict[str, int]) -> BankTransaction | None:
    where = f"line {line}"

    def at(field: str) -> str:
        j = columns[field][0]
        return f"{where}, column {header[j].strip()!r}"

    raw_date = _cell(row, columns, "date")
    try:
        booked = parse_date(raw_date.replace(".", "-") if re.fullmatch(r"\d{4}\.\d{1,2}\.\d{1,2}.*", raw_date)
                            else _dmy(raw_date))
    except DateError:
        raise BankFileError(f"{at('date')}: {raw_date!r} is not a date", name) from None
    if booked is None:
        raise BankFileError(f"{at('date')}: date is blank", name)
    credit_cents = _money(_cell(row, columns, "credit"), at("credit"), name) if "credit" in columns else None
    debit_cents = _money(_cell(row, columns, "debit"), at("debit"), name) if "debit" in columns else None
    signed = _money(_cell(row, columns, "amount"), at("amount"), name) if "amount" in columns else None
    direction = _cell(row, columns, "direction").strip().casefold()
    text = join_text(*(_clean(row[j]) for j in columns.get("reference", []) if j < len(row)))
    reversal = any(w in direction or w in text.casefold() for w in _REVERSAL_WORDS)
    if credit_cents:
        credit, cents = credit_cents > 0, abs(credit_cents)
        reversal = reversal or credit_cents < 0
    elif debit_cents:
        credit, cents = False, abs(debit_cents)
    elif signed:
        if direction in _CREDIT_WORDS:
            credit = True
        elif direction in _DEBIT_WORDS:
            credit = False
        else:
            credit = signed > 0
        cents = abs(signed)
    else:
        return None  # a row with no money in it (a sub-total line, a note)
    payer = _cell(row, columns, "payer_name")
    account = _cell(row, columns, "payer_account")
    bank_ref = _cell(row, columns, "bank_ref")
    if not bank_ref:
        key = f"{booked.isoformat()}|{cents}|{credit}|{payer}|{account}|{text}"
        seen[key] = seen.get(key, 0) + 1
        bank_ref = "CSV-" + hashlib.sha1(f"{key}|{seen[key]}".encode()).hexdigest()[:16].upper()
    return BankTransaction(booking_date=booked, amount_cents=cents, currency=_currency(_cell(row, columns, "currency")),
                           credit=credit, reversal=reversal, bank_ref=bank_ref, payer_name=payer,
                           payer_account=account, reference=text, where=where)


def _dmy(text: str) -> str:
    """'05.01.2024' (European) and '20240105' (compact) -> ISO; other forms pass to parse_date."""
    t = text.strip()
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", t)
    if m:
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:\s+.*)?", t)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = re.fullmatch(r"(\d{4}-\d{1,2}-\d{1,2})\s+\d{1,2}:\d{2}(:\d{2})?", t)
    if m:
        return m.group(1)
    return t


def _currency(text: str) -> str:
    t = text.strip()
    return _CURRENCY_NAMES.get(t, _CURRENCY_NAMES.get(t.upper(), t.upper()))
