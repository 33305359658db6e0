"""Financial ratio formulas: CURRENT_RATIO, QUICK_RATIO, DEBT_RATIO, INTEREST_COVERAGE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xlfin.engine import ratios

from .broadcast import _numeric_udf, _Result
from .errors import DIV0
from .registry import Example, _docs, udf

# ----------------------------------------------------------------------------------------------------------------
# financial ratios



def _ratio_udf(func: str, engine_fn: Callable, inputs: dict[str, Any], undefined: str,
               optional: tuple[str, ...] = ()) -> _Result:
    return _numeric_udf(func, engine_fn, inputs, undefined=(DIV0, undefined), kind="ratio", optional=optional)


_NO_CURRENT_LIABILITIES = "current_liabilities is 0 or negative, so the ratio is undefined"


@udf(
    zh="流动比率 = 流动资产 ÷ 流动负债（无流动负债且资产为正时为 ∞）。",
    returns=("Current ratio (the text ∞ when there are no current liabilities).", "流动比率（无流动负债时为 ∞）。"),
    args={
        **_docs("current_assets", "current_liabilities"),
    },
    example=Example((450000.0, 300000.0)),
)
def CURRENT_RATIO(current_assets, current_liabilities):
    """Current ratio = current assets / current liabilities."""
    return _ratio_udf("CURRENT_RATIO", ratios.current_ratio,
                      {"current_assets": current_assets, "current_liabilities": current_liabilities},
                      _NO_CURRENT_LIABILITIES)


@udf(
    zh="速动比率 =（流动资产 − 存货）÷ 流动负债；存货空白视为 0。",
    returns=("Quick ratio (the text ∞ when there are no current liabilities).", "速动比率（无流动负债时为 ∞）。"),
    args={
        **_docs("current_assets", "current_liabilities"),
        "inventory": ("Inventory (blank = none).", "存货（空白为 0）。"),
    },
    example=Example((450000.0, 120000.0, 300000.0)),
)
def QUICK_RATIO(current_assets, inventory, current_liabilities):
    """Quick ratio = (current assets - inventory) / current liabilities; a blank inventory counts as none."""
    return _ratio_udf("QUICK_RATIO", ratios.quick_ratio, {"current_assets": current_assets, "inventory": inventory,
                                                           "current_liabilities": current_liabilities},
                      _NO_CURRENT_LIABILITIES, optional=("inventory",))


@udf(
    zh="资产负债率 = 负债总额 ÷ 资产总额。",
    returns=("Debt ratio.", "资产负债率。"),
    args={
        **_docs("total_liabilities", "total_assets"),
    },
    example=Example((600000.0, 1000000.0)),
)
def DEBT_RATIO(total_liabilities, total_assets):
    """Debt ratio = total liabilities / total assets."""
    return _ratio_udf("DEBT_RATIO", ratios.debt_ratio,
                      {"total_liabilities": total_liabilities, "total_assets": total_assets},
                      "total_assets is 0 or negative, so the ratio is undefined")


@udf(
    zh="利息保障倍数 = 息税前利润 ÷ 利息费用（无利息费用且利润为正时为 ∞）。",
    returns=("Interest coverage (the text ∞ when there is no interest and EBIT > 0).",
             "利息保障倍数（无利息且利润为正时为 ∞）。"),
    args={
        **_docs("ebit"),
        "interest_expense": ("Interest expense (either sign; blank = none).", "利息费用（正负皆可；空白为无）。"),
    },
    example=Example((90000.0, 30000.0)),
)
def INTEREST_COVERAGE(ebit, interest_expense):
    """Interest coverage = EBIT / interest expense."""
    return _ratio_udf("INTEREST_COVERAGE", ratios.interest_coverage,
                      {"ebit": ebit, "interest_expense": interest_expense},
                      "no interest expense and EBIT is not positive, so coverage is undefined",
                      optional=("interest_expense",))
