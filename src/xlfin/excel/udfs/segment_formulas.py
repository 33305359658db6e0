"""Customer value formulas: ABC_CLASS, CLV."""

from __future__ import annotations

from xlfin.engine import segmentation
from xlfin.engine.money import round_half_up_array

from .broadcast import _flat, _grid, _label_udf
from .coerce import _numbers
from .errors import NUM, VALUE
from .registry import Example, udf

# ----------------------------------------------------------------------------------------------------------------
# customer value


@udf(
    zh="ABC 分类：按数值降序累计占比，累计前占比 < 80% 为 A，< 95% 为 B，其余为 C；零或负值为 C。",
    returns=("A, B or C per value (spills over the range).", "每个数值对应 A、B 或 C（溢出整个区域）。"),
    args={
        "values": ("Values to rank, e.g. 12-month revenue per customer.", "待分类数值，如每个客户近 12 个月收入。",
                   "list"),
        "cutoffs": ("Cumulative shares ending A and B (default 0.80,0.95).", "A、B 类的累计占比上限（默认 0.80,0.95）。",
                    "list"),
    },
    example=Example(([[500000.0], [300000.0], [120000.0], [50000.0], [20000.0], [10000.0]],)),
    costly=True,
)
def ABC_CLASS(values, cutoffs=None):
    """ABC class per value: ranked descending, A while the cumulative share before it is below 80%, B below 95%,
    else C; zero or negative values are C."""
    return _label_udf("ABC_CLASS", segmentation.abc_class, "values", values, cutoffs,
                      segmentation.DEFAULT_ABC_CUTOFFS)


@udf(
    zh="客户终身价值 CLV = 毛利 × 留存率 ÷ (1 + 折现率 − 留存率) − 获客成本。",
    returns=("Customer lifetime value (2 decimals).", "客户终身价值（两位小数）。"),
    args={
        "margin": ("Margin per period.", "每期毛利。"),
        "retention": ("Retention rate per period, 0 to 1.", "每期留存率，0 到 1。"),
        "discount_rate": ("Discount rate per period.", "每期折现率。"),
        "acquisition_cost": ("Acquisition cost (default 0).", "获客成本（默认 0）。"),
    },
    example=Example((100.0, 0.8, 0.1), "SPEC worked example.", "SPEC 算例。"),
)
def CLV(margin, retention, discount_rate, acquisition_cost=0):
    """Customer lifetime value = margin x retention / (1 + discount rate - retention) - acquisition cost."""
    f = "CLV"
    m = _numbers(f, "margin", margin)
    r = _numbers(f, "retention", retention)
    i = _numbers(f, "discount_rate", discount_rate)
    ac = _numbers(f, "acquisition_cost", acquisition_cost, default=0)
    g = _grid(f, m, r, i, ac)
    cols = [_flat(g.values(a)) for a in (m, r, i, ac)]
    values = segmentation.clv(*cols)
    # an error even where another input is blank: the retention typed is wrong whatever the rest
    g.fail(segmentation.bad_retention(cols[1]).reshape(g.shape), VALUE, segmentation.RETENTION_ERROR)
    return g.result(round_half_up_array(values, 2).reshape(g.shape),
                    undefined=(NUM, "retention must be below 1 + discount_rate (the value does not converge)"))
