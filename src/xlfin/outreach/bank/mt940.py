"""SWIFT MT940 customer statements, our own reader.

Why not the `mt-940` package: it glues the payer's IBAN to the name unless told otherwise, silently drops a `:61:`
amount written with a dot instead of refusing the file, and knows only the German `?20..?63` subfields. Banks in
China and across Europe also write `:86:` as slash-keyed fields (`/EREF/.../REMI/.../ORDP//NAME/...`) or as plain
text, and a statement must be refused at its line, never half-read. The format is small enough to read exactly.

Tags read: :20: :25: :28C: :60F:/:60M: (currency) :61: (one transaction) :86: (its details) :62F:. A file may hold
several statements, with or without the SWIFT block wrapper ({1:...}{4: ... -}).
"""

from __future__ import annotations

import datetime as dt
import re

from .model import BankFileError, BankTransaction, join_text

_TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
# :61: value date, optional entry date MMDD, mark, optional funds code, amount, type, customer ref, //bank ref
_61 = re.compile(r"^(?P<date>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?"
                 r"(?P<amount>[0-9][0-9,.]*)(?P<type>[NSF][A-Z0-9]{3})(?P<custref>.*?)(?://(?P<bankref>.*))?$")
_BALANCE = re.compile(r"^[CD]\d{6}(?P<ccy>[A-Z]{3})[0-9,]+$")
_COMPANY = re.compile(r"(公司|集团|商行|厂|中心|Ltd\.?|GmbH|Inc\.?|LLC|S\.?A\.?|B\.?V\.?|AG|Oy|AB)$", re.IGNORECASE)
_GERMAN = re.compile(r"\?(\d{2})")
_SLASH_KEYS = ("CNTP", "EREF", "KREF", "MREF", "CRED", "DEBT", "REMI", "ORDP", "BENM", "NAME", "IBAN", "BIC", "ACCW",
               "PURP", "SVWZ", "ABWA", "ABWE", "CTC", "TXT", "BREF", "ULTD", "ULTB", "INFO", "RTRN", "ISDT", "CSID",
               "CDTRREFTP", "CDTRREF", "CD", "TP", "CDTR", "DBTR", "ADDR", "ID")


def parse_mt940(data: bytes, name: str) -> list[BankTransaction]:
    """bytes -> transactions; anything malformed raises BankFileError naming the line."""
    text = _decode(data, name)
    fields = _fields(text, name)
    out: list[BankTransaction] = []
    currency = ""
    account = statement = ""
    pending: dict | None = None
    index = 0
    for tag, value, line in fields:
        if tag in ("60F", "60M"):
            m = _BALANCE.match(value.replace("\n", ""))
            if not m:
                raise BankFileError(f"line {line}: :{tag}: opening balance {value!r} is malformed", name)
            currency = m.group("ccy")
        elif tag == "25":
            account = value.strip()
        elif tag == "28C":
            statement = value.strip()
        elif tag == "20":
            currency = ""
            index = 0
        elif tag == "61":
            if pending:
                out.append(_transaction(pending, name))
            if not currency:
                raise BankFileError(f"line {line}: :61: before an opening balance (:60F:) gives the currency", name)
            index += 1
            pending = {"value": value, "line": line, "currency": currency, "info": "",
                       "fallback": f"{account}/{statement}/{index}"}
        elif tag == "86":
            if pending is not None and not pending["info"]:
                pending["info"] = value
        elif tag in ("62F", "62M", "64", "65"):
            if pending:
                out.append(_transaction(pending, name))
                pending = None
    if pending:
        out.append(_transaction(pending, name))
    if not fields or not any(tag == "20" for tag, _, _ in fields):
        raise BankFileError("no :20: statement found; not an MT940 file", name)
    return out


def _decode(data: bytes, name: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):  # SWIFT is ASCII; Chinese banks write :86: in GBK
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise BankFileError("cannot decode the file as UTF-8 or GB18030", name)


def _fields(text: str, name: str) -> list[tuple[str, str, int]]:
    """Lines -> (tag, value with continuation lines, first line number); SWIFT block wrappers skipped."""
    out: list[tuple[str, str, int]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped == "-" or stripped.startswith(("{1:", "{5:", "-}", "}")):
            continue  # SWIFT header, trailer ({5:{CHK:...}}) and end-of-text lines
        if stripped.startswith("{4:"):
            stripped = stripped[3:]
            if not stripped:
                continue
        m = _TAG.match(stripped)
        if m:
            out.append((m.group(1), m.group(2), n))
        elif out:
            tag, value, first = out[-1]
            out[-1] = (tag, value + "\n" + line, first)
        else:
            raise BankFileError(f"line {n}: expected a field such as :20:, got {stripped[:30]!r}", name)
    return out


def _transaction(p: dict, name: str) -> BankTransaction:
    first, _, supplementary = p["value"].partition("\n")
    m = _61.match(first.strip())
    where = f"line {p['line']}"
    if not m:
        raise BankFileError(f"{where}: :61: {first.strip()!r} is malformed", name)
    amount = m.group("amount")
    if "." in amount or amount.count(",") != 1 or not re.fullmatch(r"\d+,\d{0,2}", amount):
        raise BankFileError(f"{where}: :61: amount {amount!r} must be digits with one decimal comma "
                            "(e.g. 1234,50)", name)
    whole, frac = amount.split(",")
    cents = int(whole) * 100 + int((frac + "00")[:2])
    value_date = _yymmdd(m.group("date"), where, name)
    booking = value_date
    if m.group("entry"):
        booking = _entry_date(value_date, m.group("entry"), where, name)
    mark = m.group("mark")
    custref = m.group("custref").strip()
    bankref = (m.group("bankref") or "").strip()
    info = _details(p["info"])
    refs = [] if custref.upper() in ("", "NONREF") else [custref]
    bank_ref = bankref or (custref if custref.upper() not in ("", "NONREF") else "") or p["fallback"]
    return BankTransaction(
        booking_date=booking, value_date=value_date, amount_cents=cents, currency=p["currency"],
        credit=mark in ("C", "RD", "EC"), reversal=mark in ("RC", "RD"), bank_ref=bank_ref,
        payer_name=info["name"], payer_account=info["account"],
        reference=join_text(info["remittance"], info["eref"], *refs,
                            "" if supplementary.strip().startswith("/") else supplementary.strip()), where=where)


def _yymmdd(text: str, where: str, name: str) -> dt.date:
    try:
        return dt.date(2000 + int(text[:2]) if int(text[:2]) < 80 else 1900 + int(text[:2]), int(text[2:4]),
                       int(text[4:6]))
    except ValueError:
        raise BankFileError(f"{where}: :61: date {text!r} is not a valid YYMMDD date", name) from None


def _entry_date(value_date: dt.date, mmdd: str, where: str, name: str) -> dt.date:
    """The entry date has no year: the one nearest the value date (a booking on 31 Dec valued 2 Jan)."""
    best = None
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            d = dt.date(year, int(mmdd[:2]), int(mmdd[2:]))
        except ValueError:
            continue
        if best is None or abs((d - value_date).days) < abs((best - value_date).days):
            best = d
    if best is None:
        raise BankFileError(f"{where}: :61: entry date {mmdd!r} is not a valid MMDD date", name)
    return best


def _details(info: str) -> dict[str, str]:
    """:86: -> payer name, account, remittance text and end-to-end reference, whichever style the bank used."""
    flat = info.replace("\r", "").replace("\n", "")
    if _GERMAN.search(flat) and re.match(r"^\d{3}\?", flat):
        return _german(flat)
    if re.search(r"/(%s)/" % "|".join(_SLASH_KEYS), flat):
        return _slashed(flat)
    text = " ".join(info.split())
    first = text.split(" ", 1)[0]
    # Chinese banks often write "<payer> <purpose>": a leading company name is the payer
    name = first if len(text) > len(first) and _COMPANY.search(first) else ""
    return {"name": name, "account": "", "remittance": text, "eref": ""}


def _german(flat: str) -> dict[str, str]:
    """DATEV/German banks: 3-digit business code, then ?20-?29 and ?60-?63 purpose, ?31 account, ?32/?33 name."""
    sub: dict[str, str] = {}
    pieces = _GERMAN.split(flat)[1:]
    for key, value in zip(pieces[0::2], pieces[1::2]):
        sub[key] = sub.get(key, "") + value
    purpose = "".join(sub.get(f"{k}", "") for k in [*(str(i) for i in range(20, 30)), "60", "61", "62", "63"])
    eref = ""
    m = re.search(r"EREF\+(\S+?)(?=(?:KREF|MREF|CRED|SVWZ|ABWA|ABWE)\+|$)", purpose)
    if m:
        eref = m.group(1)
    svwz = re.search(r"SVWZ\+(.*?)(?=(?:ABWA|ABWE)\+|$)", purpose)
    remittance = svwz.group(1) if svwz else purpose
    return {"name": (sub.get("32", "") + sub.get("33", "")).strip(), "account": sub.get("31", "").strip(),
            "remittance": remittance.strip(), "eref": "" if eref == "NOTPROVIDED" else eref}


def _slashed(flat: str) -> dict[str, str]:
    """SEPA-style /KEY/value fields; /ORDP//NAME/x/ID/y nests the ordering party."""
    keys = "|".join(_SLASH_KEYS)
    parts = re.split(r"/(%s)/" % keys, "/" + flat.lstrip("/") if not flat.startswith("/") else flat)
    sub: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2]):
        value = value.strip().strip("/").strip()
        if value and key not in sub:
            sub[key] = value
    cntp = [p for p in sub.get("CNTP", "").split("/")] + ["", "", ""]  # ING: /CNTP/account/BIC/name/place/
    name = sub.get("NAME", "") or sub.get("ORDP", "") or sub.get("DEBT", "") or cntp[2]
    account = sub.get("IBAN", "") or sub.get("ACCW", "") or sub.get("ID", "") or cntp[0]
    remittance = sub.get("REMI", "") or sub.get("SVWZ", "") or sub.get("TXT", "") or sub.get("PURP", "")
    remittance = re.sub(r"^(USTD|STRD)/+(?:[A-Z]*/+)?", "", remittance)  # ING style /REMI/USTD//text/
    eref = sub.get("EREF", "")
    return {"name": name, "account": account, "remittance": remittance, "eref": "" if eref == "NOTPROVIDED" else eref}
