"""Seeded generator of labelled, messy payments for the reconciliation benchmark and tests.

Each payment comes with its true allocation (``truth``: payment_id, invoice_no, amount) and a scenario name:
exact references, noisy references (case, prefixes, leading zeros, Chinese wording, dates, amounts, PO numbers,
one-character typos), Applied To lists, no reference with an amount unique for the customer, multi-invoice
payments with and without references (lists, "&", ranges), partial payments, short payments within tolerance,
overpayments, net-of-credit-note remittances, unknown payers found by name, and garbage (no true allocation).

Labels stay knowable from the data: a typo never turns one invoice number into another invoice of the same
customer, and amount-only scenarios use amounts unique among the customer's invoices.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pandas as pd

# tblPayments' input columns that a bank statement fills, in table order (method and notes stay off);
# tests/test_engine_schema_contract.py checks them against xlfin.schema.PAYMENTS.
PAYMENT_COLUMNS = ("payment_id", "payment_date", "customer_id", "payer_name", "amount", "currency", "reference",
                   "applied_to")

_ADJ = [
    "Blue",
    "Red",
    "Green",
    "Silver",
    "Golden",
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Pacific",
    "Atlantic",
    "Royal",
    "Grand",
    "Prime",
    "Apex",
    "Summit",
    "Bright",
    "Clear",
    "Swift",
    "Solid",
    "Iron",
    "Stone",
    "Oak",
    "Pine",
    "Cedar",
    "Maple",
    "River",
    "Lake",
    "Harbor",
    "Bay",
    "Ocean",
    "Delta",
    "Alpine",
    "Polar",
    "Sunny",
    "Crystal",
    "Coral",
    "Amber",
    "Ivory",
]
_NOUN = [
    "Star",
    "Bridge",
    "Tower",
    "Field",
    "Valley",
    "Peak",
    "Point",
    "Gate",
    "Crown",
    "Arrow",
    "Anchor",
    "Beacon",
    "Compass",
    "Falcon",
    "Eagle",
    "Lion",
    "Tiger",
    "Wolf",
    "Fox",
    "Bear",
    "Horizon",
    "Vista",
    "Crest",
    "Ridge",
    "Forge",
    "Mill",
    "Works",
    "Link",
    "Path",
    "Way",
    "Source",
    "Spring",
    "Wave",
    "Wind",
    "Cloud",
    "Light",
    "Stone",
    "Leaf",
    "Root",
]
_TRADE = [
    "Trading",
    "Logistics",
    "Foods",
    "Textiles",
    "Electronics",
    "Machinery",
    "Chemicals",
    "Plastics",
    "Metals",
    "Paper",
    "Furniture",
    "Pharma",
    "Software",
    "Services",
    "Construction",
    "Packaging",
    "Motors",
    "Optics",
    "Energy",
    "Retail",
]
_SUFFIX = ("Co., Ltd.", "Ltd", "Limited", "Inc.", "LLC", "GmbH", "Corp", "Co.", "")
_CITY = [
    "上海",
    "北京",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "天津",
    "重庆",
    "成都",
    "武汉",
    "西安",
    "宁波",
    "青岛",
    "厦门",
    "长沙",
    "郑州",
    "济南",
    "合肥",
    "福州",
]
_BRAND = [
    "华信",
    "恒通",
    "远大",
    "宏达",
    "金源",
    "鑫盛",
    "瑞丰",
    "永安",
    "天成",
    "博远",
    "东方",
    "中联",
    "新华",
    "汇通",
    "德邦",
    "安泰",
    "嘉禾",
    "兴业",
    "明辉",
    "顺达",
    "腾飞",
    "海纳",
    "长城",
    "光明",
    "正泰",
    "富源",
    "锦程",
    "佳美",
    "宝利",
    "盛世",
]
_ZH_TRADE = [
    "贸易",
    "物流",
    "食品",
    "纺织",
    "电子",
    "机械",
    "化工",
    "塑料",
    "金属",
    "纸业",
    "家具",
    "医药",
    "软件",
    "科技",
    "建设",
    "包装",
    "汽车",
    "光学",
    "能源",
    "商贸",
]
_ZH_SUFFIX = ("有限公司", "股份有限公司", "有限责任公司", "公司")

SCENARIOS: dict[str, float] = {
    "exact_ref": 0.27,
    "noisy_ref": 0.16,
    "explicit": 0.05,
    "unique_amount": 0.15,
    "multi_ref": 0.08,
    "multi_noref": 0.05,
    "partial_ref": 0.05,
    "short_tol": 0.05,
    "overpay": 0.03,
    "unknown_name": 0.06,
    "net_credit_note": 0.01,
    "garbage": 0.04,
}


@dataclass(frozen=True)
class SynthData:
    invoices: pd.DataFrame
    payments: pd.DataFrame
    customers: pd.DataFrame
    truth: pd.DataFrame  # payment_id, invoice_no, amount (cents)
    scenario: pd.Series  # payment_id -> scenario name


def _customer_names(rng: random.Random, n: int) -> tuple[list[str], list[bool]]:
    from xlfin.engine.reconcile.payers import normalise_name

    names, is_zh, keys = [], [], set()
    while len(names) < n:
        zh = rng.random() < 0.25
        if zh:
            name = rng.choice(_CITY) + rng.choice(_BRAND) + rng.choice(_ZH_TRADE) + rng.choice(_ZH_SUFFIX)
        else:
            name = (
                f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_TRADE)} {rng.choice(_SUFFIX)}".strip()
            )
        key = normalise_name(name)
        if key in keys:
            if len(keys) > 0.6 * (
                len(_ADJ) * len(_NOUN) * len(_TRADE) + len(_CITY) * len(_BRAND) * len(_ZH_TRADE)
            ):
                name = f"{name} {len(names)}"  # name space nearly used up: number the rest
                key = normalise_name(name)
            else:
                continue
        keys.add(key)
        names.append(name)
        is_zh.append(zh)
    return names, is_zh


def _name_variant(rng: random.Random, name: str, zh: bool) -> str:
    if zh:
        base = name
        for suffix in sorted(_ZH_SUFFIX, key=len, reverse=True):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        return base + rng.choice(("", "公司", "有限公司", "股份有限公司"))
    words = name.replace(",", " ").replace(".", " ").split()
    core = [w for w in words if w.casefold() not in ("co", "ltd", "limited", "inc", "llc", "gmbh", "corp")]
    style = rng.randrange(4)
    if style == 0:
        return " ".join(core).upper() + " " + rng.choice(("CO LTD", "LTD", "LIMITED", "INC", ""))
    if style == 1:
        return " ".join(core).lower() + rng.choice((" co.,ltd.", " ltd.", ""))
    if style == 2:
        return (" ".join(core) + " CO LTD").upper()[:20]  # bank truncation
    return ", ".join(core) + " Limited"


def _ref_style(rng: random.Random, no: str, noisy: bool) -> str:
    digits = no.split("-")[1]
    if not noisy:
        return rng.choice((no, f"Payment {no}", f"{no} payment", no.lower()))
    bare = digits.lstrip("0")
    forms = (
        f"inv{bare}",
        f"INV {digits[:3]} {digits[3:]}",
        f"Invoice No. {bare}",
        f"#{bare}",
        f"发票号{bare} 货款",
        f"INV-0{digits}",
        f"payment for inv-{bare} dd 2026-03-{rng.randint(1, 28):02d} amt {rng.randint(1, 99)},{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        f"PO 45000{rng.randint(10000, 99999)} / INV {bare}",
        f"NO.{digits}",
        f"货款 {bare}",
        f"ref: inv/{bare}",
    )
    return rng.choice(forms)


def _typo(rng: random.Random, digits: str) -> str:
    i = rng.randrange(len(digits))
    kind = rng.randrange(3)
    if kind == 0:  # substitution
        return digits[:i] + rng.choice([d for d in "0123456789" if d != digits[i]]) + digits[i + 1 :]
    if kind == 1 and i < len(digits) - 1 and digits[i] != digits[i + 1]:  # swap of neighbours
        return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
    return digits[:i] + digits[i + 1 :]  # dropped character


def generate(n_payments: int = 50_000, n_invoices: int = 100_000, seed: int = 0) -> SynthData:
    """Labelled synthetic ledger: ``n_invoices`` documents (about 2 % credit notes), ``n_payments`` payments."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    n_customers = max(3, n_invoices // 20)
    names, is_zh = _customer_names(rng, n_customers)
    cust_ids = [f"C{i + 1:05d}" for i in range(n_customers)]
    currency = ["CNY" if z else "USD" for z in is_zh]

    # invoices are numbered in short per-customer billing runs, so ranges of one customer's invoices exist
    inv_cust: list[int] = []
    while len(inv_cust) < n_invoices:
        c = rng.randrange(n_customers)
        inv_cust.extend([c] * rng.choice((1, 1, 1, 2, 2, 3, 4)))
    inv_cust = inv_cust[:n_invoices]
    is_cn = nprng.random(n_invoices) < 0.02
    amounts = (
        np.round(np.exp(nprng.normal(np.log(250_000), 1.2, n_invoices)))
        .astype(np.int64)
        .clip(5_000, 20_000_000)
    )
    amounts = np.where(is_cn, (amounts // 5).clip(1_000, None), amounts)
    start = np.datetime64("2025-01-01")
    inv_dates = start + nprng.integers(0, 640, n_invoices).astype("timedelta64[D]")
    inv_dates.sort()  # numbers follow dates
    terms = nprng.choice([30, 45, 60], n_invoices).astype("timedelta64[D]")
    disputed = (nprng.random(n_invoices) < 0.02) & ~is_cn
    numbers, cn_seq, inv_seq = [], 0, 100_000
    for k in range(n_invoices):
        if is_cn[k]:
            cn_seq += 1
            numbers.append(f"CN-{cn_seq:05d}")
        else:
            inv_seq += 1
            numbers.append(f"INV-{inv_seq:06d}")
    invoices = pd.DataFrame(
        {
            "invoice_no": numbers,
            "doc_type": np.where(is_cn, "Credit Note", "Invoice"),
            "customer_id": [cust_ids[c] for c in inv_cust],
            "invoice_date": inv_dates,
            "due_date": inv_dates + terms,
            "amount": amounts,
            "currency": [currency[c] for c in inv_cust],
            "disputed": disputed,
        }
    )
    customers = pd.DataFrame({"customer_id": cust_ids, "name": names})

    by_cust: dict[int, list[int]] = {}
    for k, c in enumerate(inv_cust):
        by_cust.setdefault(c, []).append(k)
    amount_count: dict[tuple[int, int], int] = {}
    for k, c in enumerate(inv_cust):
        amount_count[(c, int(amounts[k]))] = amount_count.get((c, int(amounts[k])), 0) + 1
    used = np.zeros(n_invoices, bool)
    number_set = {(inv_cust[k], numbers[k].split("-")[1].lstrip("0")) for k in range(n_invoices)}

    def pick(pred=lambda k: True, tries: int = 60) -> int:
        for _ in range(tries):
            k = rng.randrange(n_invoices)
            if not used[k] and not is_cn[k] and pred(k):
                return k
        return -1

    def unique_amount(k: int) -> bool:
        return not disputed[k] and amount_count[(inv_cust[k], int(amounts[k]))] == 1

    def siblings(k: int, count: int, pred) -> list[int]:
        pool = [j for j in by_cust[inv_cust[k]] if j != k and not used[j] and not is_cn[j] and pred(j)]
        rng.shuffle(pool)
        return pool[:count]

    rows: dict[str, list] = {c: [] for c in PAYMENT_COLUMNS}
    truth: dict[str, list] = {"payment_id": [], "invoice_no": [], "amount": []}
    scenario: list[str] = []
    kinds, weights = list(SCENARIOS), list(SCENARIOS.values())
    pay_dates = np.sort(
        np.datetime64("2025-02-01") + nprng.integers(0, 640, n_payments).astype("timedelta64[D]")
    )

    def emit(kind, k_list, alloc, amount, ref="", applied="", blank_customer=False, payer=None, cust=None):
        pid = f"P{len(scenario) + 1:07d}"
        c = inv_cust[k_list[0]] if k_list else cust
        rows["payment_id"].append(pid)
        rows["payment_date"].append(pay_dates[len(scenario)])
        rows["customer_id"].append("" if blank_customer or c is None else cust_ids[c])
        rows["payer_name"].append(payer if payer is not None else (names[c] if c is not None else ""))
        rows["amount"].append(int(amount))
        rows["currency"].append(currency[c] if c is not None else "USD")
        rows["reference"].append(ref)
        rows["applied_to"].append(applied)
        for k, a in zip(k_list, alloc):
            truth["payment_id"].append(pid)
            truth["invoice_no"].append(numbers[k])
            truth["amount"].append(int(a))
            used[k] = True
        scenario.append(kind)

    while len(scenario) < n_payments:
        kind = rng.choices(kinds, weights)[0]
        if kind in ("exact_ref", "noisy_ref"):
            k = pick()
            if k < 0:
                continue
            ref = _ref_style(rng, numbers[k], kind == "noisy_ref")
            if kind == "noisy_ref" and rng.random() < 0.15:
                digits = numbers[k].split("-")[1].lstrip("0")
                typo = _typo(rng, digits)
                if (inv_cust[k], typo.lstrip("0")) in number_set:
                    continue  # would name another real invoice of the payer: not knowable
                ref = f"INV {typo}"
                kind = "typo_ref"
            emit(kind, [k], [amounts[k]], amounts[k], ref=ref)
        elif kind == "explicit":
            k = pick()
            if k < 0:
                continue
            more = siblings(k, rng.randint(0, 2), lambda j: True)
            ks = [k] + more
            sep = rng.choice((", ", ";", " "))
            applied = sep.join(numbers[j] if rng.random() < 0.7 else numbers[j].split("-")[1] for j in ks)
            emit(
                kind,
                ks,
                [amounts[j] for j in ks],
                sum(int(amounts[j]) for j in ks),
                applied=applied,
                ref=rng.choice(("", "payment", "see remittance")),
            )
        elif kind == "unique_amount":
            k = pick(unique_amount)
            if k < 0:
                continue
            emit(
                kind,
                [k],
                [amounts[k]],
                amounts[k],
                ref=rng.choice(("", "PAYMENT", "TRANSFER", "货款", "OCT PAYMENT")),
            )
        elif kind == "multi_ref":
            k = pick()
            if k < 0:
                continue
            style = rng.randrange(4)
            if style == 3:  # a range of consecutive numbers of one customer
                run = [k]
                while (
                    run[-1] + 1 < n_invoices
                    and inv_cust[run[-1] + 1] == inv_cust[k]
                    and not is_cn[run[-1] + 1]
                    and not used[run[-1] + 1]
                    and len(run) < 4
                ):
                    run.append(run[-1] + 1)
                if len(run) < 2:
                    continue
                ks = run
                ref = f"INV {numbers[ks[0]].split('-')[1]}-{numbers[ks[-1]].split('-')[1]}"
            else:
                ks = [k] + siblings(k, rng.randint(1, 3), lambda j: True)
                if len(ks) < 2:
                    continue
                bare = [numbers[j].split("-")[1].lstrip("0") for j in ks]
                ref = ("INV-" + "/".join(bare), " & ".join(bare), "Inv " + ", ".join(bare))[style]
            emit(kind, ks, [amounts[j] for j in ks], sum(int(amounts[j]) for j in ks), ref=ref)
        elif kind == "multi_noref":
            k = pick(lambda j: not disputed[j])
            if k < 0:
                continue
            ks = [k] + siblings(k, rng.randint(1, 2), lambda j: not disputed[j])
            total = sum(int(amounts[j]) for j in ks)
            if len(ks) < 2 or amount_count.get((inv_cust[k], total), 0):
                continue
            emit(kind, ks, [amounts[j] for j in ks], total, ref=rng.choice(("", "PAYMENT", "BATCH")))
        elif kind == "partial_ref":
            k = pick()
            if k < 0:
                continue
            part = int(amounts[k] * rng.choice((0.25, 0.4, 0.5, 0.6)))
            emit(kind, [k], [part], part, ref=f"partial payment {numbers[k]}")
        elif kind == "short_tol":
            k = pick(unique_amount)
            if k < 0:
                continue
            tol = max(100, int(0.005 * int(amounts[k])))
            gap = rng.randint(1, tol)
            with_ref = rng.random() < 0.5
            emit(kind, [k], [amounts[k] - gap], amounts[k] - gap, ref=numbers[k] if with_ref else "")
        elif kind == "overpay":
            k = pick()
            if k < 0:
                continue
            extra = rng.randint(100, 50_000)
            emit(kind, [k], [amounts[k]], int(amounts[k]) + extra, ref=_ref_style(rng, numbers[k], False))
        elif kind == "unknown_name":
            k = pick(unique_amount)
            if k < 0:
                continue
            c = inv_cust[k]
            ref = _ref_style(rng, numbers[k], False) if rng.random() < 0.5 else ""
            emit(
                kind,
                [k],
                [amounts[k]],
                amounts[k],
                ref=ref,
                blank_customer=True,
                payer=_name_variant(rng, names[c], is_zh[c]),
            )
        elif kind == "net_credit_note":
            k = pick()
            if k < 0:
                continue
            cns = [j for j in by_cust[inv_cust[k]] if is_cn[j] and not used[j] and amounts[j] < amounts[k]]
            if not cns:
                continue
            cn = cns[0]
            used[cn] = True
            net = int(amounts[k]) - int(amounts[cn])
            emit(kind, [k], [net], net, ref=f"{numbers[k]} less {numbers[cn]}")
        else:  # garbage: a person's transfer with no usable information
            payer = rng.choice(("J SMITH", "MARIA GARCIA", "张伟", "李娜", "CASH DEPOSIT", ""))
            ref = rng.choice(("TRANSFER", "FT26" + str(rng.randint(10**9, 10**10)), "GIFT", ""))
            emit(
                kind,
                [],
                [],
                rng.randint(1_000, 500_000),
                ref=ref,
                blank_customer=True,
                payer=payer,
                cust=None,
            )

    payments = pd.DataFrame(rows)
    payments["payment_date"] = pd.to_datetime(payments["payment_date"])
    payments["amount"] = payments["amount"].astype(np.int64)
    return SynthData(
        invoices=invoices,
        payments=payments,
        customers=customers,
        truth=pd.DataFrame(truth).astype({"amount": np.int64}),
        scenario=pd.Series(scenario, index=payments["payment_id"], name="scenario"),
    )
