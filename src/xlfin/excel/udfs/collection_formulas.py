"""Collection formulas: DSO, BEST_DSO, DSO_COUNTBACK, CEI, PAYMENT_INDEX."""

from __future__ import annotations

import numpy as np

from xlfin.engine import collection, payment_index

from .broadcast import _engine_error, _flat, _grid, _numeric_udf, _Result
from .coerce import _Arg, _number_list, _numbers
from .errors import DIV0, VALUE, _CallError
from .registry import Example, _docs, udf

# ----------------------------------------------------------------------------------------------------------------
# collection metrics


@udf(
    zh="标准应收账款周转天数 DSO = 应收账款 ÷ 赊销额 × 天数。",
    returns=("Days sales outstanding.", "应收账款周转天数。"),
    args={
        "receivables": ("Receivables at the end of the period.", "期末应收账款。"),
        **_docs("credit_sales", "days"),
    },
    example=Example((150000.0, 1800000.0, 365.0)),
)
def DSO(receivables, credit_sales, days=365):
    """Standard DSO = receivables / credit sales x days in the period (default 365)."""
    return _numeric_udf("DSO", collection.dso,
                        {"receivables": receivables, "credit_sales": credit_sales, "days": days},
                        defaults={"days": 365}, undefined=(DIV0, "credit_sales is 0, so DSO is undefined"))


@udf(
    zh="最佳可能 DSO：只用未到期（当期）应收账款计算的 DSO。",
    returns=("Best possible DSO.", "最佳可能应收账款周转天数。"),
    args={
        "current_receivables": ("Receivables not yet due at the end of the period.", "期末未到期应收账款。"),
        **_docs("credit_sales", "days"),
    },
    example=Example((100000.0, 1800000.0, 365.0)),
)
def BEST_DSO(current_receivables, credit_sales, days=365):
    """Best possible DSO = current (not yet due) receivables / credit sales x days (default 365)."""
    return _numeric_udf("BEST_DSO", collection.best_dso,
                        {"current_receivables": current_receivables, "credit_sales": credit_sales, "days": days},
                        defaults={"days": 365}, undefined=(DIV0, "credit_sales is 0, so best DSO is undefined"))


@udf(
    zh="倒推法 DSO：从最近一期起逐期扣减销售额直至应收账款用尽，累计天数（最后一期按比例）。",
    returns=("Countback DSO in days.", "倒推法应收账款周转天数。"),
    args={
        "receivables": ("Receivables now; a column gives one result per row.", "当前应收账款；给一列时逐行计算。"),
        "sales_newest_first": ("Sales per period, newest first: one row (or column) per receivable.",
                               "各期销售额，最近一期在前：每个应收账款对应一行（或一列）。", "list"),
        "days_per_period": ("Days per period (default 30), or one number per period.",
                            "每期天数（默认 30），或每期一个数。", "list"),
    },
    example=Example((212000.0, [[100000.0, 80000.0, 70000.0]], 30.0),
                    "SPEC worked example: 30 + 30 + 32,000 / 70,000 x 30.", "SPEC 算例：30 + 30 + 32,000 / 70,000 × 30。"),
    costly=True,
)
def DSO_COUNTBACK(receivables, sales_newest_first, days_per_period=30):
    """Countback DSO: walk back from the newest period, subtracting each period's sales from the receivables and
    adding its days; the last, partly covered period adds its fraction."""
    f = "DSO_COUNTBACK"
    per = _number_list(f, "days_per_period", days_per_period)
    r = _numbers(f, "receivables", receivables)
    s = _numbers(f, "sales_newest_first", sales_newest_first, required=False)
    g = _grid(f, r)
    rows = int(np.prod(g.shape, dtype=np.int64))
    sales, sales_bad, sales_err = _countback_series(f, r, s, rows)
    bad_rows = sales_bad.any(axis=1)
    if bad_rows.any():  # a bad sales cell spoils its own row's answer only
        first = np.full(rows, None, dtype=object)
        for i in np.flatnonzero(bad_rows):
            first[i] = sales_err[i][sales_bad[i]][0]
        g.adopt(bad_rows.reshape(g.shape), first.reshape(g.shape))
    try:
        days = collection.dso_countback_many(_flat(g.values(r)), sales, per if per is not None else 30)
    except ValueError as exc:
        raise _engine_error(f, "days_per_period", exc) from None
    return g.result(np.reshape(days, g.shape), undefined=(DIV0, "no period with sales > 0 to count back over"))


def _countback_series(f: str, r: _Arg, s: _Arg, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sales as (rows, periods) newest first, one series per receivable, with the error mask and errors alike.

    One receivable: the sales are one row or one column. A column of receivables: one row of sales each (or one
    row shared by all). A row of receivables: one column of sales each.
    """
    sv = s.values.reshape(1, 1) if s.values.ndim == 0 else s.values
    mask = np.zeros(sv.shape, bool) if s.error_mask is None else s.error_mask.reshape(sv.shape)
    errs = np.full(sv.shape, None, object) if s.errors is None else s.errors.reshape(sv.shape)
    rv = r.values
    if rv.size == 1:
        if sv.shape[0] > 1 and sv.shape[1] > 1:
            raise _CallError(VALUE, f"{f}: sales_newest_first must be one row or one column when receivables is "
                                    "one cell")
        return sv.reshape(1, -1), mask.reshape(1, -1), errs.reshape(1, -1)
    if rv.ndim == 2 and rv.shape[1] == 1:
        if sv.shape[0] not in (1, rows):
            raise _CallError(VALUE, f"{f}: receivables has {rows} rows but sales_newest_first has {sv.shape[0]}")
        shape = (rows, sv.shape[1])
        return (np.broadcast_to(sv, shape), np.broadcast_to(mask, shape), np.broadcast_to(errs, shape))
    if rv.ndim == 2 and rv.shape[0] == 1:
        if sv.shape[1] not in (1, rows):
            raise _CallError(VALUE, f"{f}: receivables has {rows} columns but sales_newest_first has "
                                    f"{sv.shape[1]}")
        shape = (sv.shape[0], rows)
        return (np.broadcast_to(sv, shape).T, np.broadcast_to(mask, shape).T, np.broadcast_to(errs, shape).T)
    raise _CallError(VALUE, f"{f}: receivables must be one cell, one column or one row")


@udf(
    zh="回款效率指数 CEI（%）=（期初应收 + 赊销额 − 期末应收）÷（期初应收 + 赊销额 − 期末未到期应收）× 100。",
    returns=("Collection effectiveness index in percent.", "回款效率指数（百分数）。"),
    args={
        "begin_ar": ("Receivables at the start of the period.", "期初应收账款。"),
        **_docs("credit_sales"),
        "end_ar": ("Receivables at the end of the period.", "期末应收账款。"),
        "end_current_ar": ("Receivables not yet due at the end of the period.", "期末未到期应收账款。"),
    },
    example=Example((100000.0, 1000000.0, 120000.0, 100000.0)),
)
def CEI(begin_ar, credit_sales, end_ar, end_current_ar):
    """Collection effectiveness index (%) = (begin AR + credit sales - end AR) / (begin AR + credit sales - end
    current AR) x 100."""
    return _numeric_udf("CEI", collection.cei, {"begin_ar": begin_ar, "credit_sales": credit_sales, "end_ar": end_ar,
                                                "end_current_ar": end_current_ar},
                        undefined=(DIV0, "begin_ar + credit_sales - end_current_ar is 0, so CEI is undefined"))


@udf(
    zh="付款指数（1–100，类似邓白氏的分段线性表，并非 PAYDEX）：按金额加权的逐笔超期天数得分均值；无记录为空。",
    returns=("Payment index 1-100 (blank when there is no experience).", "付款指数 1–100（无记录为空）。"),
    args={
        "days_beyond_terms": ("Days paid beyond terms per payment experience (negative = early); a range.",
                              "每笔付款超出账期的天数（负数为提前）；区域。", "list"),
        "amounts": ("Amount of each experience, same size (default: plain mean).",
                    "每笔金额，与天数区域同样大小（省略则为简单平均）。", "list"),
    },
    example=Example(([[-5.0], [0.0], [15.0], [45.0]], [[1000.0], [2000.0], [500.0], [1500.0]])),
    costly=True,
)
def PAYMENT_INDEX(days_beyond_terms, amounts=None):
    """Payment index 1-100 (D&B-style table, not PAYDEX): the amount-weighted mean of each experience's points
    (-30 days or earlier 100, on time 80, 15 days late 70, 30 days late 50, 120 days late 20)."""
    f = "PAYMENT_INDEX"
    d = _numbers(f, "days_beyond_terms", days_beyond_terms, required=False)
    if d.error_mask is not None:  # one answer from all experiences: a bad one spoils it
        return _Result.single(d.errors[d.error_mask].reshape(-1)[0])
    w = None
    if amounts is not None:
        wa = _numbers(f, "amounts", amounts, required=False)
        if wa.error_mask is not None:
            return _Result.single(wa.errors[wa.error_mask].reshape(-1)[0])
        w = _flat(wa.values)
        if w.size != d.values.size:
            raise _CallError(VALUE, f"{f}: {d.values.size} day counts but {w.size} amounts; give ranges of one size")
    try:
        value = payment_index.weighted_index(_flat(d.values), w)
    except ValueError as exc:
        raise _engine_error(f, "amounts", exc) from None
    return _Result.single(None if np.isnan(value) else float(value))
