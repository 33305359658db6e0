"""Financial strength and credit formulas: ALTMAN_Z, CREDIT_SCORE, CREDIT_GRADE, CREDIT_LIMIT."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xlfin.engine import altman, credit, ratios
from xlfin.engine.money import float_cents

from .broadcast import _engine_error, _flat, _grid, _label_udf
from .coerce import _number_list, _numbers, _texts
from .errors import NUM, VALUE
from .registry import Example, _docs, udf

# ----------------------------------------------------------------------------------------------------------------
# financial strength


@udf(
    zh="Altman Z 分数：默认 Z″（非制造业），可选 Z（上市制造业，equity 用股权市值）与 Z′（非上市企业）。",
    returns=("Z score (Z'': distress < 1.10, safe > 2.60).", "Z 分数（Z″：< 1.10 危险，> 2.60 安全）。"),
    args={
        **_docs("current_assets", "current_liabilities", "ebit", "total_assets", "total_liabilities"),
        "retained_earnings": ("Retained earnings.", "留存收益。"),
        "equity": ("Book equity (Z', Z''); market value of equity for model Z.",
                   "所有者权益账面值（Z′、Z″）；模型 Z 用股权市值。"),
        "sales": ("Sales (needed by models Z and Z').", "营业收入（模型 Z 与 Z′ 需要）。"),
        "model": ("\"Z''\" (default), \"Z'\" or \"Z\".", "\"Z''\"（默认）、\"Z'\" 或 \"Z\"。"),
    },
    example=Example((80.0, 50.0, 0.0, -30.0, 15.0, 100.0, 100.0, 210.0, "Z"),
                    "Test vector T2 (X1..X5 = 0.30, 0, -0.30, 0.15, 2.1) with model Z.",
                    "测试向量 T2（X1..X5 = 0.30, 0, -0.30, 0.15, 2.1），模型 Z。"),
)
def ALTMAN_Z(current_assets, current_liabilities, retained_earnings, ebit, equity, total_assets,
             total_liabilities, sales=None, model="Z''"):
    """Altman Z score from statement amounts: Z'' (default, non-manufacturers), Z' (private firms) or Z (public
    manufacturers, equity at market value)."""
    f = "ALTMAN_Z"
    names = ("current_assets", "current_liabilities", "retained_earnings", "ebit", "equity", "total_assets",
             "total_liabilities")
    given = (current_assets, current_liabilities, retained_earnings, ebit, equity, total_assets, total_liabilities)
    nums = [_numbers(f, n, v) for n, v in zip(names, given)]
    has_sales = sales is not None
    s = _numbers(f, "sales", sales, required=False)
    m = _texts(f, "model", model, default="Z''")
    g = _grid(f, *nums, s, m)
    ca, cl, re, ebit_v, eq, ta, tl = (_flat(g.values(a)) for a in nums)
    sales_v = _flat(g.values(s))
    models = _flat(g.values(m, None))
    out = np.full(models.shape, np.nan)
    bad_model = np.zeros(models.shape, dtype=bool)
    no_sales = np.zeros(models.shape, dtype=bool)
    blank_sales = np.zeros(models.shape, dtype=bool)
    wc = ratios.working_capital(ca, cl)
    codes, uniques = pd.factorize(models)  # error cells hold None: code -1, left alone
    for k, raw in enumerate(uniques):  # one pass per distinct model text, usually one
        sel = codes == k
        key = _model_key(raw)
        if key is None:
            bad_model |= sel
            continue
        needs_sales = altman.ALTMAN_MODELS[key].needs_sales
        if needs_sales and not has_sales:
            no_sales |= sel
            continue
        if needs_sales:
            blank_sales |= sel & np.isnan(sales_v)
        out[sel] = altman.altman_z(wc[sel], re[sel], ebit_v[sel], eq[sel], ta[sel], tl[sel],
                                   sales_v[sel] if needs_sales else None, model=key)
    shape = g.shape
    g.fail(bad_model.reshape(shape), VALUE, "model must be \"Z''\", \"Z'\" or \"Z\"")
    g.fail(no_sales.reshape(shape), VALUE, "sales: models Z and Z' need sales")
    g.blank |= blank_sales.reshape(shape) & ~g.error_mask
    return g.result(out.reshape(shape),
                    undefined=(NUM, "total_assets and total_liabilities must be greater than 0"))


def _model_key(value: Any) -> str | None:
    try:
        return altman.normalise_model(value)
    except ValueError:
        return None


@udf(
    zh="信用评分（0–100，一位小数）：六项子评分的加权平均；缺项按其余权重重新归一，少于两项时报错。",
    returns=("Credit score 0-100, one decimal.", "信用评分 0–100，一位小数。"),
    args={
        "current_ratio": ("Current ratio (current assets / current liabilities).", "流动比率。"),
        "debt_ratio": ("Debt ratio (total liabilities / total assets).", "资产负债率。"),
        "interest_coverage": ("Interest coverage (EBIT / interest); the text inf counts as unlimited.",
                              "利息保障倍数（息税前利润 ÷ 利息）；文本 ∞ 表示无利息支出。"),
        "net_margin": ("Net margin as a fraction (0.05 = 5%).", "净利率（小数，0.05 = 5%）。"),
        "payment_index": ("Payment index 1-100.", "付款指数 1–100。"),
        "overdue_share": ("Overdue / outstanding (0 when nothing is outstanding).", "逾期金额 ÷ 未付金额。"),
        "weights": ("Six weights (default 0.15,0.15,0.10,0.10,0.35,0.15).",
                    "六个权重（默认 0.15,0.15,0.10,0.10,0.35,0.15）。", "list"),
    },
    example=Example((1.8, 0.45, 4.0, 0.06, 75.0, 0.12)),
    costly=True,
)
def CREDIT_SCORE(current_ratio, debt_ratio, interest_coverage, net_margin, payment_index, overdue_share,
                 weights=None):
    """Credit score 0-100: weighted mean of six sub-scores (liquidity, leverage, coverage, profitability, payment,
    arrears); a blank input drops its sub-score and the weights are renormalised."""
    f = "CREDIT_SCORE"
    w = _number_list(f, "weights", weights)
    names = credit.SUBSCORE_INPUTS
    given = (current_ratio, debt_ratio, interest_coverage, net_margin, payment_index, overdue_share)
    nums = [_numbers(f, n, v, required=False) for n, v in zip(names, given)]
    g = _grid(f, *nums)
    cols = [_flat(g.values(a)) for a in nums]
    try:
        scores, errors = credit.credit_score(*cols, weights=w if w is not None else credit.DEFAULT_WEIGHTS)
    except ValueError as exc:
        raise _engine_error(f, "weights", exc) from None
    all_blank = np.logical_and.reduce([np.broadcast_to(a.blank, g.shape) for a in nums])
    g.blank |= all_blank & ~g.error_mask
    errs = np.asarray(errors, dtype=object).reshape(g.shape)
    g.fail_each(np.asarray(pd.notna(errs)) & ~g.blank, VALUE, errs)
    return g.result(np.reshape(scores, g.shape))


@udf(
    zh="由信用评分得出等级 A–E（默认 A ≥ 80、B ≥ 65、C ≥ 50、D ≥ 35，否则 E）。",
    returns=("Grade A, B, C, D or E.", "等级 A、B、C、D 或 E。"),
    args={
        "score": ("Credit score(s) 0-100.", "信用评分 0–100。"),
        "cutoffs": ("Lowest scores of A, B, C, D (default 80,65,50,35).", "A、B、C、D 的最低分（默认 80,65,50,35）。",
                    "list"),
    },
    example=Example(([[85.0], [70.0], [55.0], [40.0], [20.0]],)),
)
def CREDIT_GRADE(score, cutoffs=None):
    """Grade A-E from a credit score: A >= 80, B >= 65, C >= 50, D >= 35, else E (cutoffs from Config)."""
    return _label_udf("CREDIT_GRADE", credit.credit_grade, "score", score, cutoffs, credit.DEFAULT_GRADE_CUTOFFS)


@udf(
    zh="建议信用额度 = min(净资产 × 比例, 营运资金 × 比例) × 等级系数（A 1、B 0.75、C 0.5、D 0.25、E 0），向下取整。",
    returns=("Suggested credit limit (0 = cash in advance).", "建议信用额度（0 表示预付款）。"),
    args={
        "net_worth": ("Tangible net worth (equity less intangibles).", "有形净资产（所有者权益减无形资产）。"),
        "working_capital": ("Working capital (current assets - current liabilities).", "营运资金（流动资产 − 流动负债）。"),
        "grade": ("Credit grade A-E.", "信用等级 A–E。"),
        "pct_net_worth": ("Share of net worth (default 0.10).", "净资产比例（默认 0.10）。"),
        "pct_working_capital": ("Share of working capital (default 0.20).", "营运资金比例（默认 0.20）。"),
        "rounding": ("Round down to this amount (default 1000).", "向下取整单位（默认 1000）。"),
    },
    example=Example((2500000.0, 1200000.0, "B")),
)
def CREDIT_LIMIT(net_worth, working_capital, grade, pct_net_worth=0.10, pct_working_capital=0.20, rounding=1000):
    """Suggested credit limit = min(pct x net worth, pct x working capital) x grade factor (A 1, B 0.75, C 0.5,
    D 0.25, E 0), rounded down; non-positive net worth or working capital gives 0 (cash in advance)."""
    f = "CREDIT_LIMIT"
    nw = _numbers(f, "net_worth", net_worth, finite=True)
    wc = _numbers(f, "working_capital", working_capital, finite=True)
    gr = _texts(f, "grade", grade)
    p1 = _numbers(f, "pct_net_worth", pct_net_worth, default=0.10)
    p2 = _numbers(f, "pct_working_capital", pct_working_capital, default=0.20)
    rd = _numbers(f, "rounding", rounding, default=1000)
    g = _grid(f, nw, wc, gr, p1, p2, rd)
    letters = _flat(g.values(gr, None))
    grade_norm = credit.normalise_grades(letters)
    g.fail(~(np.isin(grade_norm, list(credit.GRADE_FACTORS)) | (grade_norm == "")).reshape(g.shape) & g.ok,
           VALUE, "grade must be A, B, C, D or E")
    nw_c, wc_c = (_to_cents(_flat(g.values(a))) for a in (nw, wc))
    params = [_flat(g.values(a)) for a in (p1, p2, rd)]
    out = np.full(letters.shape, np.nan)
    group_errors = np.full(letters.shape, None, dtype=object)
    if all(a.values.size == 1 for a in (p1, p2, rd)):  # the usual case: one set of parameters for every cell
        codes, combos = np.zeros(letters.shape, dtype=np.int64), [tuple(float(p[0]) for p in params)]
    else:
        combos_arr, codes = np.unique(np.column_stack(params), axis=0, return_inverse=True)
        combos, codes = [tuple(row) for row in combos_arr.tolist()], codes.reshape(-1)
    # the engine takes one set of parameters per call, and the amounts and grades as columns
    for k, combo in enumerate(combos):
        sel = codes == k
        try:
            cents = credit.suggested_limit(nw_c[sel], wc_c[sel], letters[sel], *combo)
        except ValueError as exc:
            group_errors[sel] = str(exc)
            continue
        out[sel] = pd.array(cents, dtype="Float64").to_numpy(dtype=np.float64, na_value=np.nan) / 100.0
    bad = pd.notna(group_errors).reshape(g.shape)
    g.fail_each(np.asarray(bad) & g.ok, VALUE, group_errors.reshape(g.shape))
    return g.result(out.reshape(g.shape))


def _to_cents(values: np.ndarray) -> np.ndarray:
    """Currency floats (NaN blank) -> float cents, exact half-up (NaN stays NaN)."""
    finite = np.isfinite(values)
    cents = float_cents(np.where(finite, values, 0.0)).astype(np.float64)
    return np.where(finite, cents, np.nan)
