"""ISO 20022 camt.053 (bank-to-customer statement) and camt.054 (debit/credit notification), any version.

Each entry (Ntry) is booked on the account; a batch booking carries several transactions (NtryDtls/TxDtls), and
each of them becomes its own transaction with its own reference. Identity for de-duplication (bank_ref):
the transaction's own AcctSvcrRef, else the entry's AcctSvcrRef (single-transaction entries), else its TxId or
EndToEndId, else the entry's NtryRef (suffixed by the position inside a batch). The same booking reported first in
a camt.054 and again in the day's camt.053 therefore carries the same bank_ref and is imported once.
"""

from __future__ import annotations

import datetime as dt
import re

from .model import BankFileError, BankTransaction, join_text
from .xmltree import Node, parse_xml

_AMOUNT = re.compile(r"^\d{1,18}(\.\d{1,5})?$")  # ISO 20022 ActiveOrHistoricCurrencyAndAmount
_CCY = re.compile(r"^[A-Z]{3}$")


def parse_camt(data: bytes, name: str) -> tuple[str, list[BankTransaction]]:
    """bytes -> ('camt053' | 'camt054', transactions); refuses a malformed file at its element and line."""
    root = parse_xml(data, name)
    body = next((c for c in root.children if c.tag in ("BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn")), None)
    if root.tag != "Document" or body is None:
        raise BankFileError(f"line {root.line}: not a camt.053/camt.054 document (root <{root.tag}>)", name)
    kind = "camt053" if body.tag == "BkToCstmrStmt" else "camt054"
    reports = body.findall("Stmt") if kind == "camt053" else body.findall("Ntfctn")
    out: list[BankTransaction] = []
    for report in reports:
        account_ccy = report.text_of("Acct/Ccy")
        for entry in report.findall("Ntry"):
            out.extend(_entry(entry, account_ccy, name))
    return kind, out


def _where(node: Node) -> str:
    return f"<{node.tag}> line {node.line}"


def _amount(node: Node | None, parent: Node, name: str) -> tuple[int, str]:
    if node is None:
        raise BankFileError(f"{_where(parent)}: <Amt> missing", name)
    text = node.text
    ccy = node.attrs.get("Ccy", "")
    if not _AMOUNT.match(text):
        raise BankFileError(f"{_where(node)}: amount {text!r} is not a decimal amount", name)
    if not _CCY.match(ccy):
        raise BankFileError(f"{_where(node)}: Ccy {ccy!r} is not an ISO 4217 code", name)
    whole, _, frac = text.partition(".")
    if len(frac.rstrip("0")) > 2:
        raise BankFileError(f"{_where(node)}: amount {text} has more than 2 decimals", name)
    return int(whole) * 100 + int((frac + "00")[:2]), ccy


def _date(node: Node | None, parent: Node, what: str, name: str, required: bool = True) -> dt.date | None:
    if node is None:
        if required:
            raise BankFileError(f"{_where(parent)}: <{what}> missing", name)
        return None
    text = node.text_of("Dt") or node.text_of("DtTm")
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise BankFileError(f"{_where(node)}: {what} {text!r} is not a date (YYYY-MM-DD)", name) from None


def _direction(node: Node, name: str) -> bool:
    ind = node.text_of("CdtDbtInd")
    if ind not in ("CRDT", "DBIT"):
        raise BankFileError(f"{_where(node)}: CdtDbtInd {ind!r} must be CRDT or DBIT", name)
    return ind == "CRDT"


def _status(entry: Node) -> str:
    sts = entry.find("Sts")
    if sts is None:
        return "BOOK"
    return (sts.text_of("Cd") or sts.text).upper()


def _entry(entry: Node, account_ccy: str, name: str) -> list[BankTransaction]:
    cents, ccy = _amount(entry.find("Amt"), entry, name)
    credit = _direction(entry, name)
    reversal = entry.text_of("RvslInd").lower() in ("true", "1")
    booked = _date(entry.find("BookgDt"), entry, "BookgDt", name, required=False)
    value = _date(entry.find("ValDt"), entry, "ValDt", name, required=False)
    if booked is None and value is None:
        raise BankFileError(f"{_where(entry)}: neither <BookgDt> nor <ValDt> given", name)
    entry_ref = entry.text_of("AcctSvcrRef")
    ntry_ref = entry.text_of("NtryRef")
    details = [tx for d in entry.findall("NtryDtls") for tx in d.findall("TxDtls")]
    base = dict(booking_date=booked or value, value_date=value, reversal=reversal, status=_status(entry))
    if not details:
        ref = entry_ref or ntry_ref
        if not ref:
            raise BankFileError(f"{_where(entry)}: no AcctSvcrRef or NtryRef to identify the entry", name)
        return [BankTransaction(amount_cents=cents, currency=ccy or account_ccy, credit=credit, bank_ref=ref,
                                reference=entry.text_of("AddtlNtryInf"), where=_where(entry), **base)]
    batch = len(details) > 1
    out = []
    for i, tx in enumerate(details, start=1):
        out.append(_transaction(tx, i, batch, cents, ccy, credit, entry_ref, ntry_ref, entry, base, name))
    return out


def _tx_amount(tx: Node, name: str) -> tuple[int, str] | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        node = tx.find(path)
        if node is not None:
            return _amount(node, tx, name)
    return None


def _transaction(tx: Node, i: int, batch: bool, cents: int, ccy: str, credit: bool, entry_ref: str, ntry_ref: str,
                 entry: Node, base: dict, name: str) -> BankTransaction:
    amount = _tx_amount(tx, name)
    if amount is None:
        if batch:
            raise BankFileError(f"{_where(tx)}: a transaction of a batch booking has no <Amt>", name)
        amount = (cents, ccy)
    if tx.find("CdtDbtInd") is not None:
        credit = _direction(tx, name)
    refs = tx.find("Refs")
    own = refs.text_of("AcctSvcrRef") if refs is not None else ""
    tx_id = refs.text_of("TxId") if refs is not None else ""
    e2e = refs.text_of("EndToEndId") if refs is not None else ""
    e2e = "" if e2e.upper() == "NOTPROVIDED" else e2e
    if own:
        bank_ref = own
    elif not batch and entry_ref:
        bank_ref = entry_ref
    elif tx_id or e2e:
        bank_ref = tx_id or e2e
    elif entry_ref or ntry_ref:
        bank_ref = f"{entry_ref or ntry_ref}/{i}"
    else:
        raise BankFileError(f"{_where(tx)}: no reference (AcctSvcrRef, TxId, EndToEndId, NtryRef) identifies it", name)
    parties = tx.find("RltdPties")
    payer, account = _party(parties, "Dbtr" if credit else "Cdtr")
    return BankTransaction(amount_cents=amount[0], currency=amount[1], credit=credit, bank_ref=bank_ref,
                           payer_name=payer, payer_account=account, reference=join_text(*_remittance(tx), e2e),
                           where=_where(tx), **base)


def _party(parties: Node | None, role: str) -> tuple[str, str]:
    if parties is None:
        return "", ""
    party = parties.find(role)
    name = ""
    if party is not None:
        name = party.text_of("Nm") or party.text_of("Pty/Nm")  # v08+ wraps the party in <Pty>
    acct = parties.find(f"{role}Acct/Id")
    account = ""
    if acct is not None:
        account = acct.text_of("IBAN") or acct.text_of("Othr/Id")
    return name, account


def _remittance(tx: Node) -> list[str]:
    """Unstructured lines, then structured creditor references and referred document numbers, then extra info."""
    parts: list[str] = []
    rmt = tx.find("RmtInf")
    if rmt is not None:
        parts.extend(u.text for u in rmt.findall("Ustrd"))
        for strd in rmt.findall("Strd"):
            parts.extend(n.text for n in strd.iter("Nb"))
            parts.extend(n.text for n in strd.iter("Ref"))
            parts.extend(n.text for n in strd.iter("AddtlRmtInf"))
    parts.append(tx.text_of("AddtlTxInf"))
    return parts
