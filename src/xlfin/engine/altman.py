"""Altman Z-score family (SPEC §4; research note credit.md §1).

X1 = working capital / total assets, X2 = retained earnings / TA, X3 = EBIT / TA, X4 = equity / total liabilities
(market value of equity for Z, book value for Z′ and Z″), X5 = sales / TA.

| model | formula | distress / grey / safe |
|---|---|---|
| Z   (Altman 1968, public manufacturers) | 1.2 X1 + 1.4 X2 + 3.3 X3 + 0.6 X4 + 1.0 X5 | < 1.81 / 1.81–2.99 / > 2.99 |
| Z′  (private firms, Altman 1983/2000)    | 0.717 X1 + 0.847 X2 + 3.107 X3 + 0.420 X4 + 0.998 X5 | < 1.23 / 1.23–2.90 / > 2.90 |
| Z″  (non-manufacturers, the default)     | 6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4 | < 1.10 / 1.10–2.60 / > 2.60 |

A score on a zone boundary is grey. Total assets ≤ 0 or total liabilities ≤ 0 make the ratios meaningless: NaN.
Model names: "Z", "Z'", "Z''" (ASCII) and "Z′", "Z″" (typographic primes) are all accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from xlfin.engine.ratios import like_input, to_float_array

__all__ = ["ALTMAN_MODELS", "AltmanModel", "AltmanModelError", "altman_z", "altman_z_ratios", "altman_zone",
           "normalise_model"]


class AltmanModelError(ValueError):
    """An unknown model name, or a model that needs sales called without them."""


@dataclass(frozen=True)
class AltmanModel:
    name: str
    coefficients: tuple[float, float, float, float, float]  # X1..X5; X5 is 0 when the model has no sales term
    distress_below: float
    safe_above: float
    market_equity: bool  # X4 uses the market value of equity (Z) rather than book equity

    @property
    def needs_sales(self) -> bool:
        return self.coefficients[4] != 0.0


ALTMAN_MODELS: dict[str, AltmanModel] = {
    "Z": AltmanModel("Z", (1.2, 1.4, 3.3, 0.6, 1.0), 1.81, 2.99, True),
    "Z'": AltmanModel("Z'", (0.717, 0.847, 3.107, 0.420, 0.998), 1.23, 2.90, False),
    "Z''": AltmanModel("Z''", (6.56, 3.26, 6.72, 1.05, 0.0), 1.10, 2.60, False),
}

_ALIASES = {"z": "Z", "z'": "Z'", "z′": "Z'", "z''": "Z''", "z″": "Z''", "z′′": "Z''", 'z"': "Z''"}


def normalise_model(model: str) -> str:
    """'Z″' / 'z′′' / 'Z\"' -> the canonical ASCII key of ALTMAN_MODELS."""
    key = _ALIASES.get(str(model).strip().lower().replace("’", "'"))
    if key is None:
        raise AltmanModelError(f"unknown Altman model {model!r}: use Z, Z' (Z′) or Z'' (Z″)")
    return key


def altman_z_ratios(x1: Any, x2: Any, x3: Any, x4: Any, x5: Any = None, model: str = "Z''") -> np.ndarray:
    """The score from the five ratios themselves (X5 may be omitted for Z″)."""
    m = ALTMAN_MODELS[normalise_model(model)]
    if m.needs_sales and x5 is None:
        raise AltmanModelError(f"Altman model {m.name} needs sales (X5 = sales / total assets)")
    c = m.coefficients
    xs = [to_float_array(v, f"X{i + 1}") for i, v in enumerate((x1, x2, x3, x4))]
    z = c[0] * xs[0] + c[1] * xs[1] + c[2] * xs[2] + c[3] * xs[3]
    if m.needs_sales:
        z = z + c[4] * to_float_array(x5, "X5")
    return np.asarray(z, dtype=np.float64)


def altman_z(wc: Any, re: Any, ebit: Any, equity: Any, ta: Any, tl: Any, sales: Any = None,
             model: str = "Z''") -> np.ndarray:
    """Z score from statement amounts (any consistent unit, e.g. cents). For model Z pass the market value of equity.

    Returns a float ndarray with the broadcast shape of the inputs (0-d for scalars); NaN where an input is blank
    or total assets / total liabilities are not positive.
    """
    m = ALTMAN_MODELS[normalise_model(model)]
    if m.needs_sales and sales is None:
        raise AltmanModelError(f"Altman model {m.name} needs sales (X5 = sales / total assets)")
    assets = to_float_array(ta, "total_assets")
    liabilities = to_float_array(tl, "total_liabilities")
    with np.errstate(divide="ignore", invalid="ignore"):
        safe_ta = np.where(assets > 0, assets, np.nan)
        safe_tl = np.where(liabilities > 0, liabilities, np.nan)
        x1 = to_float_array(wc, "working_capital") / safe_ta
        x2 = to_float_array(re, "retained_earnings") / safe_ta
        x3 = to_float_array(ebit, "ebit") / safe_ta
        x4 = to_float_array(equity, "equity") / safe_tl
        x5 = to_float_array(sales, "sales") / safe_ta if m.needs_sales else None
    return altman_z_ratios(x1, x2, x3, x4, x5, model=m.name)


def altman_zone(z: Any, model: str = "Z''") -> Any:
    """'distress' below the lower cut-off, 'safe' above the upper, 'grey' between (inclusive); None for NaN."""
    m = ALTMAN_MODELS[normalise_model(model)]
    score = to_float_array(z, "z")
    zone = np.select([score < m.distress_below, score > m.safe_above], ["distress", "safe"], "grey").astype(object)
    zone[np.isnan(score)] = None
    return like_input(zone, z)
