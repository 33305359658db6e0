"""Realistic demo data for a customer-finance workbook, deterministic for a seed.

`generate_demo` returns RAW-looking tables keyed by table key, columns named by column key, values as a clerk would
type them: dates, amounts with 2 decimals, closed-list labels in the workbook's language (Yes/No, 是/否, ...).
Nothing here computes what the engine computes; the data only has to look and behave like a real ledger:

- customers: company names in the language (Northwind Trading Ltd / 上海华信贸易有限公司), industries, regions,
  terms 30/45/60/90, credit limits, a few On Hold / Closed, dunning hold on a few;
- invoices: two years up to as_of with weekday, month and growth seasonality; Pareto-like customer sizes; ~3 %
  credit notes against earlier invoices; a few disputed; costs for most;
- payments: prompt and late payers by customer (a latent risk drives both payment delay and the financials), partial
  and over-payments, short payments (bank charges), payments of several invoices, advances on account; messy
  remittance text ("INV-10023", "inv 10023", "Payment for invoices 10023, 10024", typos, blanks, "货款 发票号10023"),
  payer names that differ from the customer name by case or company suffix, ~10 % blank customer IDs and an explicit
  Applied To on ~20 %;
- financial statements for ~80 % of customers (two year ends each, TA = TL + equity exactly, some distressed);
- a few payment plans, Config rows, the default dunning levels and an empty Dunning Log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from xlfin.schema import DUNNING_LOG, TABLES, Lang
from xlfin.schema.settings import DEFAULT_DUNNING_LEVELS, config_rows

__all__ = ["DEMO_AS_OF", "generate_demo"]

DEMO_AS_OF = dt.date(2026, 11, 20)

# ---------------------------------------------------------------- vocabularies

# (en industry, zh industry, en name words, zh name word)
_INDUSTRIES = [
    ("Manufacturing", "制造业", ("Industries", "Machinery", "Manufacturing"), "机械"),
    ("Wholesale", "批发", ("Trading", "Supply", "Distribution"), "贸易"),
    ("Construction", "建筑业", ("Construction", "Builders", "Engineering"), "建设"),
    ("Logistics", "物流运输", ("Logistics", "Freight", "Transport"), "物流"),
    ("Technology", "信息技术", ("Systems", "Technologies", "Software"), "科技"),
    ("Food & Beverage", "食品饮料", ("Foods", "Provisions", "Beverages"), "食品"),
    ("Healthcare", "医药健康", ("Medical", "Health", "Pharma"), "医药"),
    ("Energy", "能源", ("Energy", "Power", "Fuels"), "能源"),
    ("Retail", "零售", ("Retail", "Stores", "Outfitters"), "商贸"),
    ("Textiles", "纺织服装", ("Textiles", "Apparel", "Fabrics"), "纺织"),
    ("Chemicals", "化工", ("Chemicals", "Materials", "Polymers"), "化工"),
    ("Electronics", "电子", ("Electronics", "Components", "Devices"), "电子"),
]
_EN_STEMS = [
    "Northwind", "Contoso", "Fabrikam", "Blue Ridge", "Silverline", "Harbor", "Redwood", "Summit", "Granite",
    "Lakeside", "Evergreen", "Ironbridge", "Bluewater", "Crestview", "Oakmont", "Westfield", "Pinnacle", "Riverstone",
    "Maple Leaf", "Atlas", "Beacon", "Cedar", "Falcon", "Horizon", "Keystone", "Liberty", "Meridian", "Orion",
    "Pioneer", "Sterling", "Trident", "Vanguard", "Windmill", "Apex", "Brightwater", "Coastal", "Eastgate", "Highland",
    "Juniper", "Kingsway", "Lighthouse", "Monarch", "Northstar", "Oakridge", "Prairie", "Quarry", "Rockford",
    "Seaview", "Tidewater", "Union", "Valley", "Wolfe", "Yorkshire", "Zenith", "Aurora", "Bristol", "Canyon",
]
_EN_SUFFIXES = [("Ltd", 0.3), ("Inc.", 0.25), ("LLC", 0.15), ("Co.", 0.1), ("Corp.", 0.1), ("PLC", 0.05),
                ("Limited", 0.05)]
_EN_SUFFIX_VARIANT = {"Ltd": "Limited", "Limited": "Ltd", "Inc.": "Incorporated", "LLC": "L.L.C.", "Co.": "Company",
                      "Corp.": "Corporation", "PLC": "Plc"}
_EN_REGIONS = ["North", "South", "East", "West", "Central"]
_EN_FIRST = ["James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emma", "Daniel", "Olivia", "Thomas",
             "Grace", "Peter", "Hannah", "Paul", "Laura", "Mark", "Sophie", "Andrew", "Chloe"]
_EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright", "Clarke",
            "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Cooper", "King"]

# (city, region, area code, pinyin)
_ZH_CITIES = [
    ("上海", "华东", "021", "sh"), ("北京", "华北", "010", "bj"), ("深圳", "华南", "0755", "sz"),
    ("广州", "华南", "020", "gz"), ("杭州", "华东", "0571", "hz"), ("苏州", "华东", "0512", "su"),
    ("南京", "华东", "025", "nj"), ("成都", "西南", "028", "cd"), ("武汉", "华中", "027", "wh"),
    ("天津", "华北", "022", "tj"), ("重庆", "西南", "023", "cq"), ("宁波", "华东", "0574", "nb"),
    ("青岛", "华北", "0532", "qd"), ("西安", "西北", "029", "xa"), ("长沙", "华中", "0731", "cs"),
    ("沈阳", "东北", "024", "sy"), ("厦门", "华南", "0592", "xm"), ("合肥", "华东", "0551", "hf"),
]
_ZH_BRANDS = [
    ("华信", "huaxin"), ("恒通", "hengtong"), ("瑞丰", "ruifeng"), ("宏达", "hongda"), ("鑫源", "xinyuan"),
    ("永泰", "yongtai"), ("金桥", "jinqiao"), ("东方", "dongfang"), ("长城", "changcheng"), ("新华", "xinhua"),
    ("海天", "haitian"), ("中联", "zhonglian"), ("宝丰", "baofeng"), ("天成", "tiancheng"), ("汇通", "huitong"),
    ("嘉禾", "jiahe"), ("锦程", "jincheng"), ("远航", "yuanhang"), ("正泰", "zhengtai"), ("盛世", "shengshi"),
    ("安达", "anda"), ("博远", "boyuan"), ("润泽", "runze"), ("通达", "tongda"), ("华美", "huamei"),
    ("德信", "dexin"), ("同创", "tongchuang"), ("万隆", "wanlong"), ("启明", "qiming"), ("凯旋", "kaixuan"),
    ("荣昌", "rongchang"), ("兴业", "xingye"), ("广源", "guangyuan"), ("明辉", "minghui"), ("信诚", "xincheng"),
]
_ZH_SUFFIXES = [("有限公司", 0.75), ("股份有限公司", 0.2), ("集团有限公司", 0.05)]
_ZH_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "林", "何"]
_ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷", "强", "丽", "涛", "明", "超", "霞",
             "建华", "晓东", "海燕", "志强", "文静", "国栋"]

_MONTH_SEASON = {
    "en": (0.85, 0.9, 1.05, 1.0, 1.0, 1.05, 0.9, 0.85, 1.05, 1.1, 1.15, 1.2),
    "zh-CN": (1.1, 0.6, 1.0, 1.0, 1.05, 1.1, 0.95, 0.95, 1.05, 1.0, 1.1, 1.3),  # Spring Festival dip, year-end rush
}
_TYPICAL_AMOUNT = {"en": 3000.0, "zh-CN": 20000.0}
_PROJECTS = {
    "en": ["Warehouse fit-out", "Q{q} supply contract", "Spare parts", "Annual maintenance", "Store roll-out",
           "Line upgrade", "Framework agreement"],
    "zh-CN": ["仓储改造项目", "第{q}季度供货", "备品备件", "年度维保", "门店拓展", "产线升级", "框架协议"],
}


def _label(table: str, key: str, value: str, lang: Lang) -> str:
    for choice in TABLES[table].column(key).choices:
        if choice.value == value:
            return choice.label(lang)
    raise KeyError(value)


def _pick(rng: np.random.Generator, weighted: list[tuple[str, float]], n: int) -> list[str]:
    items = [w[0] for w in weighted]
    p = np.array([w[1] for w in weighted], dtype=float)
    return [items[i] for i in rng.choice(len(items), size=n, p=p / p.sum())]


def _money(cents: np.ndarray) -> np.ndarray:
    """int cents -> float amounts with 2 decimals (the nearest double to the exact decimal)."""
    return np.asarray(cents, dtype=np.int64) / 100.0


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(days, dtype="datetime64[D]").astype("datetime64[ns]"))


# ---------------------------------------------------------------- customers


def _company_names(rng: np.random.Generator, industry: np.ndarray, lang: Lang) -> tuple[list[str], list[str],
                                                                                          list[str], list[int], list[str]]:
    """(names, name without legal suffix, suffix, city index, ASCII tag for e-mail domains) — unique names."""
    n = len(industry)
    names: list[str] = []
    cores: list[str] = []
    suffixes: list[str] = []
    cities: list[int] = []
    tags: list[str] = []
    seen: set[str] = set()
    for i in range(n):
        for attempt in range(50):
            city = int(rng.integers(len(_ZH_CITIES)))
            if lang == "zh-CN":
                brand, tag = _ZH_BRANDS[int(rng.integers(len(_ZH_BRANDS)))]
                core = f"{_ZH_CITIES[city][0]}{brand}{_INDUSTRIES[industry[i]][3]}"
                suffix = _pick(rng, _ZH_SUFFIXES, 1)[0]
            else:
                stem = _EN_STEMS[int(rng.integers(len(_EN_STEMS)))]
                words = _INDUSTRIES[industry[i]][2]
                core = f"{stem} {words[int(rng.integers(len(words)))]}"
                suffix = _pick(rng, _EN_SUFFIXES, 1)[0]
                tag = "".join(ch for ch in core.lower() if ch.isalnum())
            if attempt >= 40:
                core = f"{core} {attempt - 38}" if lang == "en" else f"{core}{attempt - 38}"
            name = f"{core}{suffix}" if lang == "zh-CN" else f"{core} {suffix}"
            if core not in seen:
                break
        seen.add(core)
        names.append(name)
        cores.append(core)
        suffixes.append(suffix)
        cities.append(city)
        tags.append(tag)
    return names, cores, suffixes, cities, tags


def _customers(rng: np.random.Generator, n: int, lang: Lang, base: str, invoices: int) -> tuple[pd.DataFrame, dict]:
    industry = rng.integers(len(_INDUSTRIES), size=n)
    names, cores, suffixes, cities, tags = _company_names(rng, industry, lang)
    ids = [f"C{1001 + i}" for i in range(n)]
    risk = rng.beta(2.0, 5.0, size=n)  # 0 = model payer, 1 = in trouble
    size = rng.pareto(1.3, size=n) + 1.0
    size = np.minimum(size, np.quantile(size, 0.98) if n > 1 else size)
    share = size / size.sum()

    terms_choice = rng.choice([30, 45, 60, 90], size=n, p=[0.5, 0.2, 0.2, 0.1])
    terms_blank = rng.random(n) < 0.08
    terms = pd.array([None if b else int(t) for t, b in zip(terms_choice, terms_blank)], dtype="Int64")
    effective_terms = np.where(terms_blank, 30, terms_choice)

    # Expected yearly invoicing -> a limit covering the terms plus headroom; riskier customers get less headroom,
    # so some of them run over (a warning validation reports, as it would in a real ledger).
    yearly = share * invoices / 2 * _TYPICAL_AMOUNT[lang] * 1.2
    headroom = rng.uniform(2.0, 4.0, size=n) * (1.2 - 0.6 * risk)
    limit = np.maximum(np.ceil(yearly * (effective_terms + 30) / 365 * headroom / 1000) * 1000, 5000)
    limit_cents = (limit * 100).astype(np.int64)
    limit_blank = rng.random(n) < 0.05

    status_value = rng.choice(["Active", "On Hold", "Closed"], size=n, p=[0.92, 0.05, 0.03])
    status_value[(risk > 0.6) & (rng.random(n) < 0.5)] = "On Hold"
    status = [_label("customers", "status", v, lang) for v in status_value]
    hold = rng.random(n) < 0.03
    yes, no = _label("customers", "dunning_hold", "yes", lang), _label("customers", "dunning_hold", "no", lang)

    contacts, phones, emails, regions, notes = [], [], [], [], []
    for i in range(n):
        city = _ZH_CITIES[cities[i]]
        if lang == "zh-CN":
            surname = _ZH_SURNAMES[int(rng.integers(len(_ZH_SURNAMES)))]
            contacts.append(surname + _ZH_GIVEN[int(rng.integers(len(_ZH_GIVEN)))])
            if rng.random() < 0.5:
                phones.append(f"{city[2]}-{rng.integers(2, 9)}{rng.integers(0, 10**7):07d}")
            else:
                phones.append(f"1{rng.choice([3, 5, 8])}{rng.integers(0, 10)} {rng.integers(0, 10**4):04d} "
                              f"{rng.integers(0, 10**4):04d}")
            emails.append(f"{rng.choice(['finance', 'caiwu', 'ap', 'zhangwu'])}@{tags[i]}{city[3]}{i}.com.cn")
            regions.append(city[1])
            notes.append(str(rng.choice(["重点客户", "需开具增值税专用发票", "月结客户"])) if rng.random() < 0.08 else None)
        else:
            first = _EN_FIRST[int(rng.integers(len(_EN_FIRST)))]
            last = _EN_LAST[int(rng.integers(len(_EN_LAST)))]
            contacts.append(f"{first} {last}")
            phone = f"+1 ({rng.integers(201, 990)}) 555-{rng.integers(0, 10**4):04d}"
            if rng.random() < 0.1:
                phone += f" ext. {rng.integers(10, 999)}"
            phones.append(phone)
            emails.append(f"{first.lower()}.{last.lower()}@{tags[i]}{i}.com")
            regions.append(_EN_REGIONS[int(rng.integers(len(_EN_REGIONS)))])
            notes.append(str(rng.choice(["Key account", "Pays by cheque", "PO number required on invoices"]))
                         if rng.random() < 0.08 else None)
    blank_phone = rng.random(n) < 0.05
    blank_mail = rng.random(n) < 0.05

    df = pd.DataFrame({
        "customer_id": pd.Series(ids, dtype=object),
        "name": pd.Series(names, dtype=object),
        "contact": pd.Series(contacts, dtype=object),
        "phone": pd.Series([None if b else p for p, b in zip(phones, blank_phone)], dtype=object),
        "email": pd.Series([None if b else e for e, b in zip(emails, blank_mail)], dtype=object),
        "industry": pd.Series([_INDUSTRIES[k][1 if lang == "zh-CN" else 0] for k in industry], dtype=object),
        "region": pd.Series(regions, dtype=object),
        "payment_terms_days": terms,
        "credit_limit": np.where(limit_blank, np.nan, _money(limit_cents)),
        "currency": pd.Series([None if rng.random() < 0.1 else base for _ in range(n)], dtype=object),
        "status": pd.Series(status, dtype=object),
        "dunning_hold": pd.Series([yes if h else no for h in hold], dtype=object),
        "notes": pd.Series(notes, dtype=object),
    })
    facts = {"ids": np.array(ids, dtype=object), "names": names, "cores": cores, "suffixes": suffixes,
             "cities": cities, "risk": risk, "share": share, "terms": effective_terms, "status": status_value,
             "yearly": yearly}
    return df, facts


# ---------------------------------------------------------------- invoices


def _invoice_days(rng: np.random.Generator, n: int, as_of: dt.date, lang: Lang) -> np.ndarray:
    """Offsets (days before as_of, 1..730) drawn with weekday, month-of-year, month-end and growth weights."""
    offsets = np.arange(1, 731)
    days = np.datetime64(as_of, "D") - offsets.astype("timedelta64[D]")
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday -> Monday = 0
    w = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.15, 0.05))
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    w *= np.asarray(_MONTH_SEASON[lang])[month]
    next_month = (days.astype("datetime64[M]") + 1).astype("datetime64[D]")
    w *= np.where((next_month - days).astype(np.int64) <= 3, 1.3, 1.0)
    w *= 1.0 + 0.15 * (730 - offsets) / 730
    return rng.choice(offsets, size=n, p=w / w.sum())


def _invoices(rng: np.random.Generator, n: int, cus: dict, as_of: dt.date, lang: Lang, base: str) -> tuple[
        pd.DataFrame, dict]:
    n_cust = len(cus["ids"])
    n_cn = round(n * 0.03) if n >= 10 else 0
    n_inv = n - n_cn
    cust = rng.choice(n_cust, size=n_inv, p=cus["share"])
    offsets = _invoice_days(rng, n_inv, as_of, lang)
    closed = cus["status"][cust] == "Closed"
    offsets = np.where(closed, 365 + offsets % 365, offsets)  # closed customers stopped buying a year ago
    issued = np.datetime64(as_of, "D") - offsets.astype("timedelta64[D]")

    scale = _TYPICAL_AMOUNT[lang] * np.exp(rng.normal(0.0, 0.6, size=n_cust)) * (cus["share"] * n_cust) ** 0.3
    cents = np.maximum(np.round(scale[cust] * rng.lognormal(0.0, 0.6, size=n_inv) * 100), 1000).astype(np.int64)
    margin = np.clip(rng.normal(0.28, 0.1, size=n_cust), 0.03, 0.6)
    cost_cents = np.round(cents * (1 - margin[cust] * rng.uniform(0.8, 1.2, size=n_inv))).astype(np.int64)
    has_cost = rng.random(n_inv) < 0.88

    # credit notes: against an earlier invoice of the same customer, a share of its amount, a few weeks later
    against = rng.choice(n_inv, size=n_cn, replace=False) if n_cn else np.zeros(0, dtype=np.int64)
    cn_cust = cust[against]
    cn_issued = np.minimum(issued[against] + rng.integers(5, 60, size=n_cn).astype("timedelta64[D]"),
                           np.datetime64(as_of, "D"))
    cn_cents = np.maximum(np.round(cents[against] * rng.uniform(0.05, 0.6, size=n_cn)), 100).astype(np.int64)

    all_cust = np.concatenate([cust, cn_cust])
    all_issued = np.concatenate([issued, cn_issued])
    is_cn = np.r_[np.zeros(n_inv, bool), np.ones(n_cn, bool)]
    order = np.lexsort((is_cn, all_issued))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    numbers = np.empty(n, dtype=object)
    inv_seq = np.cumsum(~is_cn[order])
    cn_seq = np.cumsum(is_cn[order])
    for pos, idx in enumerate(order):
        numbers[idx] = f"CN-{5000 + cn_seq[pos]}" if is_cn[idx] else f"INV-{10000 + inv_seq[pos]}"

    terms = cus["terms"][all_cust]
    due = all_issued + terms.astype("timedelta64[D]")
    due = np.where(is_cn, all_issued, due)
    due_blank = (rng.random(n) < 0.1) & ~is_cn
    disputed = (rng.random(n) < 0.02) & ~is_cn
    yes, no = _label("invoices", "disputed", "yes", lang), _label("invoices", "disputed", "no", lang)
    disputed_text = np.where(disputed, yes, np.where(rng.random(n) < 0.3, no, None))
    all_cents = np.concatenate([cents, cn_cents])
    all_cost = np.concatenate([np.where(has_cost, cost_cents, -1), np.full(n_cn, -1)])
    currency = np.where(rng.random(n) < 0.85, base, None)
    projects = _PROJECTS[lang]
    project = [projects[int(rng.integers(len(projects)))].format(q=int(rng.integers(1, 5)))
               if rng.random() < 0.3 else None for _ in range(n)]
    contract = [f"HT-{pd.Timestamp(d).year}-{int(rng.integers(1, 999)):04d}" if rng.random() < 0.5 else None
                for d in all_issued]
    notes: list[Any] = [None] * n
    for k in range(n_cn):
        ref = numbers[against[k]]
        notes[n_inv + k] = f"退货，对应发票 {ref}" if lang == "zh-CN" else f"Return against {ref}"
    cn_label = _label("invoices", "doc_type", "Credit Note", lang)
    inv_label = _label("invoices", "doc_type", "Invoice", lang)
    doc_type = np.where(is_cn, cn_label, np.where(rng.random(n) < 0.7, inv_label, None))

    df = pd.DataFrame({
        "invoice_no": pd.Series(numbers, dtype=object),
        "doc_type": pd.Series(doc_type, dtype=object),
        "customer_id": pd.Series(cus["ids"][all_cust], dtype=object),
        "invoice_date": _dates(all_issued),
        "due_date": _dates(np.where(due_blank, np.datetime64("NaT"), due)),
        "amount": _money(all_cents),
        "currency": pd.Series(currency, dtype=object),
        "cost": np.where(all_cost >= 0, _money(np.maximum(all_cost, 0)), np.nan),
        "project": pd.Series(project, dtype=object),
        "contract_no": pd.Series(contract, dtype=object),
        "disputed": pd.Series(disputed_text, dtype=object),
        "notes": pd.Series(notes, dtype=object),
    }).iloc[order].reset_index(drop=True)
    facts = {
        "n_inv": n_inv, "cust": all_cust[order], "issued": all_issued[order], "due": due[order],
        "cents": all_cents[order], "is_cn": is_cn[order], "disputed": disputed[order], "numbers": numbers[order],
        "cn_against": {rank[n_inv + k]: rank[against[k]] for k in range(n_cn)},
    }
    return df, facts


# ---------------------------------------------------------------- payments


def _payer_name(rng: np.random.Generator, cus: dict, c: int, lang: Lang) -> str:
    name, core, suffix = cus["names"][c], cus["cores"][c], cus["suffixes"][c]
    r = rng.random()
    if lang == "zh-CN":
        city = _ZH_CITIES[cus["cities"][c]][0]
        if r < 0.5:
            return name
        if r < 0.75:
            return core
        if r < 0.9:
            return core.removeprefix(city) + suffix
        return f"{core.removeprefix(city)}（{city}）{suffix}"
    if r < 0.4:
        return name
    if r < 0.55:
        return name.upper()
    if r < 0.75:
        return core
    if r < 0.9:
        return f"{core} {_EN_SUFFIX_VARIANT.get(suffix, suffix)}"
    return "".join(ch for ch in name.lower() if ch.isalnum() or ch == " ").strip()


def _typo(rng: np.random.Generator, number: str) -> str:
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    if len(digits) < 2:
        return number
    chars = list(number)
    if rng.random() < 0.5:  # two neighbouring digits swapped
        k = int(rng.integers(len(digits) - 1))
        a, b = digits[k], digits[k + 1]
        chars[a], chars[b] = chars[b], chars[a]
    else:  # one digit mistyped
        a = digits[int(rng.integers(len(digits)))]
        chars[a] = str((int(chars[a]) + int(rng.integers(1, 9))) % 10)
    return "".join(chars)


def _reference(rng: np.random.Generator, numbers: list[str], lang: Lang, payer: str) -> str | None:
    bare = [n.split("-", 1)[-1] for n in numbers]
    r = rng.random()
    if lang == "zh-CN":
        if r < 0.15:
            return None
        if r < 0.35:
            return f"货款 发票号{'、'.join(bare)}"
        if r < 0.55:
            return " ".join(numbers)
        if r < 0.65:
            return f"支付{','.join(bare)}号发票货款"
        if r < 0.72:
            return f"货款 {_typo(rng, numbers[0])}"
        if r < 0.8:
            return f"INV{bare[0]}" + ("" if len(bare) == 1 else f" 等{len(bare)}张")
        return str(rng.choice(["货款", "往来款", "付货款", f"{payer} 货款"]))
    if r < 0.15:
        return None
    if r < 0.4:
        return ", ".join(numbers)
    if r < 0.5:
        return " ".join(f"inv {b}" for b in bare)
    if r < 0.62:
        return f"Payment for invoices {', '.join(bare)}" if len(bare) > 1 else f"Payment for invoice {bare[0]}"
    if r < 0.7:
        return _typo(rng, numbers[0])
    if r < 0.76:
        return f"INV{bare[0]}/{rng.integers(100, 999)}"
    if r < 0.8:
        return f"INV-0{bare[0]}"
    return str(rng.choice([f"{payer.upper()} PAYMENT", "REMITTANCE ADVICE",
                           f"ACH CREDIT {rng.integers(10**5, 10**6)}", "Monthly settlement"]))


def _payments(rng: np.random.Generator, target: int, cus: dict, inv: dict, as_of: dt.date, lang: Lang,
              base: str) -> tuple[pd.DataFrame, set[int]]:
    """Payments for the invoices customers paid by as_of; returns the frame and the indices of paid invoices."""
    as_of64 = np.datetime64(as_of, "D")
    n = len(inv["cust"])
    risk = cus["risk"][inv["cust"]]
    delay = -5 + 70 * risk**1.5 + rng.normal(0.0, 1.0, size=n) * (5 + 15 * risk)
    never = rng.random(n) < 0.003 + 0.06 * risk**2  # bad debts: rare, and mostly the risky customers
    # disputes hold payment up for months, then get settled: only the recent ones are still unpaid
    never |= inv["disputed"] & (inv["issued"] > as_of64 - np.timedelta64(240, "D")) & (rng.random(n) < 0.8)
    pay_day = inv["due"] + np.round(delay).astype("timedelta64[D]")
    pay_day = np.maximum(pay_day, inv["issued"] + np.timedelta64(1, "D"))
    due_cents = inv["cents"].copy()
    for cn, original in inv["cn_against"].items():  # customers deduct the credit note from the invoice they pay
        if pay_day[original] >= inv["issued"][cn]:
            due_cents[original] = max(due_cents[original] - inv["cents"][cn], 0)
    payable = ~inv["is_cn"] & ~never & (pay_day <= as_of64) & (due_cents > 0)
    paid_idx = np.flatnonzero(payable)
    on_account = max(1, round(0.01 * target)) if target and len(cus["ids"]) else 0

    # How many payments do the paid invoices make? Same-customer invoices paid within two weeks may share one
    # payment (merges), some invoices are paid in instalments (splits); when there are far more paid invoices than
    # payments wanted, some stay unpaid. payments = invoices - merges + splits + on_account = target.
    order = paid_idx[np.lexsort((pay_day[paid_idx], inv["cust"][paid_idx]))]

    def mergeable(order: np.ndarray) -> np.ndarray:
        same = (inv["cust"][order][1:] == inv["cust"][order][:-1]) & (
            (pay_day[order][1:] - pay_day[order][:-1]).astype(np.int64) <= 14)
        return np.flatnonzero(same) + 1  # positions that may join the payment before them

    candidates = mergeable(order)
    while (excess := len(order) + on_account - target - len(candidates)) > 0:
        keep = np.sort(rng.choice(len(order), size=max(len(order) - excess, 0), replace=False))
        order = order[keep]
        candidates = mergeable(order)
    need = len(order) + on_account - target  # net merges still to make, <= len(candidates)
    usual = round((0.12 if need >= 0 else 0.05) * len(order))  # a few multi-invoice payments either way
    merges = int(min(len(candidates), max(need, usual, need + round(0.05 * len(order)))))
    splits = merges - need
    join = np.zeros(len(order), dtype=bool)
    if merges:
        join[rng.choice(candidates, size=merges, replace=False)] = True
    groups = np.cumsum(~join) - 1
    n_groups = int(groups[-1]) + 1 if len(order) else 0
    parts = np.ones(n_groups, dtype=np.int64)
    if splits > 0 and n_groups:
        np.add.at(parts, rng.choice(n_groups, size=splits, replace=True), 1)

    rows: list[dict[str, Any]] = []
    method_values = ["Bank Transfer", "Cheque", "Card", "Cash", "Other"]
    method_p = [0.82, 0.07, 0.05, 0.02, 0.04] if lang == "en" else [0.9, 0.03, 0.03, 0.02, 0.02]
    members = np.split(order, np.flatnonzero(np.diff(groups)) + 1) if len(order) else []
    for g, idx in enumerate(members):
        c = int(inv["cust"][idx[0]])
        numbers = [str(inv["numbers"][i]) for i in idx]
        total = int(due_cents[idx].sum())
        day = pay_day[idx].max()
        note = None
        if parts[g] > 1:
            k = int(parts[g])
            shares = 0.5 / k + 0.5 * rng.dirichlet(np.full(k, 2.0))
            amounts = np.floor(shares * total).astype(np.int64)
            amounts[-1] = total - amounts[:-1].sum()
            start = max(min(day, as_of64 - np.timedelta64(20 * (k - 1), "D")), inv["issued"][idx].max())
            label = "Instalment" if lang == "en" else "分期付款"
            # a share of 0 cents (tiny remainders) is skipped; advances on account below keep the count
            chunks = [(int(a), min(start + np.timedelta64(20 * j, "D"), as_of64), label)
                      for j, a in enumerate(amounts) if a > 0]
        else:
            r = rng.random()
            if r < 0.03 and total > 20000:  # bank charges deducted: short within tolerance
                total -= int(rng.integers(100, min(2500, total // 200 + 101)))
                note = "Bank charges deducted" if lang == "en" else "扣除银行手续费"
            elif r < 0.05:
                total += int(rng.integers(1, 100)) * 100
                note = "Overpaid" if lang == "en" else "多付"
            chunks = [(total, day, note)]
        for amount, when, note in chunks:
            rows.append({"cust": c, "numbers": numbers, "cents": amount, "day": when, "note": note})

    weights = cus["share"]
    for _ in range(max(0, target - len(rows))):
        c = int(rng.choice(len(cus["ids"]), p=weights))
        when = as_of64 - np.timedelta64(int(rng.integers(0, 120)), "D")
        rows.append({"cust": c, "numbers": [], "cents": int(rng.integers(10, 200)) * 10000, "day": when,
                     "note": "Advance payment" if lang == "en" else "预付款"})

    rows.sort(key=lambda r: (r["day"], r["cust"], r["numbers"][:1]))
    out: dict[str, list[Any]] = {k: [] for k in TABLES["payments"].keys}
    for k, row in enumerate(rows):
        c = row["cust"]
        payer = _payer_name(rng, cus, c, lang)
        known = rng.random() >= 0.1
        out["payment_id"].append(f"PMT-{100001 + k}")
        out["payment_date"].append(row["day"])
        out["customer_id"].append(str(cus["ids"][c]) if known else None)
        out["payer_name"].append(payer if (not known or rng.random() >= 0.03) else None)
        out["amount"].append(row["cents"] / 100.0)
        out["currency"].append(base if rng.random() < 0.8 else None)
        out["method"].append(_label("payments", "method", str(rng.choice(method_values, p=method_p)), lang))
        if row["numbers"]:
            out["reference"].append(_reference(rng, row["numbers"], lang, payer))
            out["applied_to"].append(", ".join(row["numbers"]) if rng.random() < 0.2 else None)
        else:
            out["reference"].append("Advance payment" if lang == "en" else "预付款")
            out["applied_to"].append(None)
        out["notes"].append(row["note"])
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in out.items()})
    df["payment_date"] = _dates(np.array(out["payment_date"], dtype="datetime64[D]"))
    df["amount"] = np.asarray(out["amount"], dtype=np.float64)
    return df, {int(i) for i in order}


# ---------------------------------------------------------------- financials, plans, config


def _statement_years(as_of: dt.date) -> tuple[int, int]:
    newest = as_of.year - 1 if (as_of - dt.date(as_of.year - 1, 12, 31)).days >= 90 else as_of.year - 2
    return newest - 1, newest


def _financials(rng: np.random.Generator, cus: dict, as_of: dt.date) -> pd.DataFrame:
    n = len(cus["ids"])
    chosen = np.flatnonzero(rng.random(n) < 0.8)
    years = _statement_years(as_of)
    cols: dict[str, list[Any]] = {k: [] for k in TABLES["financials"].keys}
    for c in chosen:
        r = float(cus["risk"][c])
        revenue = cus["yearly"][c] * rng.uniform(8, 40)
        growth = rng.normal(0.06, 0.08)
        listed = rng.random() < 0.25
        for y, year in enumerate(years):
            scale = 1.0 if y == 1 else 1.0 / (1.0 + growth)
            rev = revenue * scale * rng.uniform(0.97, 1.03)
            ta = round(rev * rng.uniform(0.5, 1.4) * 100)
            debt = float(np.clip(0.25 + 0.75 * r + rng.normal(0, 0.08), 0.1, 1.25))
            tl = round(ta * debt)
            equity = ta - tl  # exact in cents: the statement balances
            ca = round(ta * rng.uniform(0.35, 0.7))
            cr = float(np.clip(2.4 - 2.4 * r + rng.normal(0, 0.2), 0.4, 3.5))
            cl = min(round(ca / cr), round(tl * 0.95))
            cash = round(ca * rng.uniform(0.05, 0.35) * (1 - r / 2))
            inventory = round(ca * rng.uniform(0.1, 0.45))
            margin = float(np.clip(0.12 - 0.22 * r + rng.normal(0, 0.03), -0.15, 0.25))
            ebit = round(rev * 100 * margin)
            interest = round(tl * rng.uniform(0.025, 0.06) * rng.uniform(0.4, 0.8))
            pre_tax = ebit - interest
            net = round(pre_tax * 0.75) if pre_tax > 0 else pre_tax
            retained = round(equity * rng.uniform(0.2, 0.7)) if equity > 0 else round(equity * rng.uniform(1.0, 1.5))
            ocf = round(net * rng.uniform(0.8, 1.4) + rev * 100 * rng.uniform(0.0, 0.03))
            mve = round(max(equity, ta * 0.05) * rng.uniform(0.8, 3.0)) if listed else None
            values = {"current_assets": ca, "current_liabilities": cl, "inventory": inventory, "cash": cash,
                      "total_assets": ta, "total_liabilities": tl, "equity": equity, "retained_earnings": retained,
                      "revenue": round(rev * 100), "ebit": ebit, "interest_expense": interest, "net_income": net,
                      "operating_cash_flow": ocf, "market_value_equity": mve}
            cols["customer_id"].append(str(cus["ids"][c]))
            cols["period_end"].append(np.datetime64(dt.date(year, 12, 31), "D"))
            for k, v in values.items():
                cols[k].append(np.nan if v is None else v / 100.0)
    df = pd.DataFrame({k: pd.Series(v, dtype=object if k == "customer_id" else np.float64) for k, v in cols.items()
                       if k not in ("period_end",)})
    df.insert(1, "period_end", _dates(np.array(cols["period_end"], dtype="datetime64[D]")))
    return df


def _payment_plans(rng: np.random.Generator, cus: dict, inv: dict, paid: set[int], as_of: dt.date,
                   lang: Lang) -> pd.DataFrame:
    as_of64 = np.datetime64(as_of, "D")
    open_overdue = [i for i in range(len(inv["cust"])) if i not in paid and not inv["is_cn"][i]
                    and not inv["disputed"][i] and inv["due"][i] < as_of64]
    by_customer: dict[int, list[int]] = {}
    for i in open_overdue:
        by_customer.setdefault(int(inv["cust"][i]), []).append(i)
    ranked = sorted(by_customer, key=lambda c: (-cus["risk"][c], c))[:3]
    monthly = _label("payment_plans", "frequency", "Monthly", lang)
    rows = []
    for k, c in enumerate(ranked):
        items = sorted(by_customer[c], key=lambda i: inv["due"][i])[:3]
        rows.append({
            "plan_id": f"PP-{k + 1:03d}", "customer_id": str(cus["ids"][c]),
            "total": int(inv["cents"][items].sum()) / 100.0, "instalments": int(rng.integers(3, 7)),
            "first_date": np.datetime64(as_of + dt.timedelta(days=10), "D"), "frequency": monthly,
            "invoices": ", ".join(str(inv["numbers"][i]) for i in items),
            "notes": "Agreed by phone" if lang == "en" else "电话沟通确认",
        })
    keys = TABLES["payment_plans"].keys
    df = pd.DataFrame({k: pd.Series([r[k] for r in rows], dtype=object) for k in keys})
    df["total"] = pd.Series([r["total"] for r in rows], dtype=np.float64)
    df["instalments"] = pd.Series([r["instalments"] for r in rows], dtype=np.int64)
    df["first_date"] = _dates(np.array([r["first_date"] for r in rows], dtype="datetime64[D]"))
    return df


_COMPANY = {
    "en": {"company_name": "Acme Supplies Ltd", "company_address": "1 Market Street, Springfield",
           "company_bank": "First National Bank, account 12345678", "company_email": "ar@acme-supplies.com",
           "company_phone": "+1 (555) 010-2000"},
    "zh-CN": {"company_name": "上海示例实业有限公司", "company_address": "上海市浦东新区世纪大道100号",
              "company_bank": "中国工商银行上海分行 账号 1001 2345 6789 0123", "company_email": "ar@shili.com.cn",
              "company_phone": "021-6888 0000"},
}


def _config(as_of: dt.date, lang: Lang) -> pd.DataFrame:
    rows = []
    for key, value, description in config_rows(lang):
        if key == "as_of_date":
            value = pd.Timestamp(as_of)
        elif key in _COMPANY[lang]:
            value = _COMPANY[lang][key]
        rows.append((key, value, description))
    return pd.DataFrame({"key": pd.Series([r[0] for r in rows], dtype=object),
                         "value": pd.Series([r[1] for r in rows], dtype=object),
                         "description": pd.Series([r[2] for r in rows], dtype=object)})


def _dunning_levels(lang: Lang) -> pd.DataFrame:
    levels = DEFAULT_DUNNING_LEVELS[lang]
    return pd.DataFrame({
        "level": np.array([lv.level for lv in levels], dtype=np.int64),
        "from_days": np.array([lv.from_days for lv in levels], dtype=np.int64),
        "action": pd.Series([lv.action for lv in levels], dtype=object),
        "template": pd.Series([lv.template for lv in levels], dtype=object),
        "fee": np.array([float(lv.fee) for lv in levels], dtype=np.float64),
    })


# ---------------------------------------------------------------- entry point


def generate_demo(seed: int = 42, customers: int = 200, invoices: int = 5000, payments: int = 4500,
                  as_of: dt.date = DEMO_AS_OF, lang: Lang = "en") -> dict[str, pd.DataFrame]:
    """Demo tables keyed by table key: customers, invoices, payments, financials, payment_plans, config,
    dunning_levels, dunning_log (empty). Same seed and arguments -> identical frames."""
    if lang not in ("en", "zh-CN"):
        raise ValueError(f"lang must be 'en' or 'zh-CN', got {lang!r}")
    if customers < 1 or invoices < 0 or payments < 0:
        raise ValueError("customers must be at least 1; invoices and payments cannot be negative")
    rng = np.random.default_rng(seed)
    base = "CNY" if lang == "zh-CN" else "USD"
    cus_df, cus = _customers(rng, customers, lang, base, max(invoices, 1))
    inv_df, inv = _invoices(rng, invoices, cus, as_of, lang, base)
    pay_df, paid = _payments(rng, payments, cus, inv, as_of, lang, base)
    return {
        "customers": cus_df,
        "invoices": inv_df,
        "payments": pay_df,
        "financials": _financials(rng, cus, as_of),
        "payment_plans": _payment_plans(rng, cus, inv, paid, as_of, lang),
        "config": _config(as_of, lang),
        "dunning_levels": _dunning_levels(lang),
        "dunning_log": pd.DataFrame({k: pd.Series(dtype=object) for k in DUNNING_LOG.keys}),
    }
