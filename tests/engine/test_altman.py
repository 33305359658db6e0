"""Altman Z, Z′, Z″: research-note vectors (credit.md §1.2), zones and model names."""

import math

import numpy as np
import pytest

from xlfin.engine.altman import ALTMAN_MODELS, AltmanModelError, altman_z, altman_z_ratios, altman_zone

# id: (X1..X5), (Z, Z′, Z″)
VECTORS = {
    "T1": ((0.10, 0.20, 0.13, 0.65, 0.95), (2.1690, 1.8661, 2.8641)),
    "T2": ((0.30, 0.0, -0.30, 0.15, 2.1), (1.5600, 1.4418, 0.1095)),
    "T3": ((0.10, 0.20, 0.20, 0.60, 0.80), (2.2200, 1.9129, 3.2820)),
    "M1": ((-0.061, -0.626, -0.318, 0.401, 1.50), (-0.2584, 0.1034, -4.1568)),
    "M2": ((0.414, 0.355, 0.154, 2.477, 1.90), (4.8882, 4.0125, 7.5089)),
}


@pytest.mark.parametrize("vector", sorted(VECTORS))
@pytest.mark.parametrize("position,model", [(0, "Z"), (1, "Z'"), (2, "Z''")])
def test_research_vectors_from_statement_amounts(vector, position, model):
    (x1, x2, x3, x4, x5), expected = VECTORS[vector]
    # statements in cents scaled so that TA = TL = 1,000,000.00: the ratios come back as X1..X5
    ta = tl = 100_000_000
    z = altman_z(x1 * ta, x2 * ta, x3 * ta, x4 * tl, ta, tl, sales=x5 * ta, model=model)
    assert round(float(z), 4) == pytest.approx(expected[position], abs=1e-4)


def test_t2_is_the_published_answer():
    assert round(float(altman_z_ratios(0.30, 0.0, -0.30, 0.15, 2.1, model="Z")), 2) == 1.56


def test_vectorised_over_all_vectors():
    xs = np.array([v[0] for v in VECTORS.values()])
    z2 = altman_z_ratios(*xs.T[:4], model="Z″")
    assert z2 == pytest.approx([v[1][2] for v in VECTORS.values()], abs=1e-4)


def test_typographic_model_names():
    assert float(altman_z_ratios(*VECTORS["T1"][0], model="Z′")) == pytest.approx(1.8661, abs=1e-4)
    assert float(altman_z_ratios(*VECTORS["T1"][0], model="Z″")) == pytest.approx(2.8641, abs=1e-4)
    with pytest.raises(AltmanModelError, match="unknown Altman model"):
        altman_z_ratios(*VECTORS["T1"][0], model="EM")


def test_models_with_sales_need_sales():
    with pytest.raises(AltmanModelError, match="needs sales"):
        altman_z(1, 1, 1, 1, 10, 10, model="Z")
    assert not math.isnan(float(altman_z(1, 1, 1, 1, 10, 10)))  # Z″ has no sales term


def test_blank_and_non_positive_totals_are_nan():
    z = altman_z([1, 1, None], [1, 1, 1], [1, 1, 1], [1, 1, 1], [10, 0, 10], [10, 10, 10])
    assert not np.isnan(z[0]) and np.isnan(z[1]) and np.isnan(z[2])


@pytest.mark.parametrize("model", ["Z", "Z'", "Z''"])
def test_zone_boundaries(model):
    m = ALTMAN_MODELS[model]
    lo, hi = m.distress_below, m.safe_above
    zones = altman_zone(np.array([lo - 1e-9, lo, (lo + hi) / 2, hi, hi + 1e-9, np.nan]), model)
    assert list(zones) == ["distress", "grey", "grey", "grey", "safe", None]


def test_zone_cutoffs_match_spec():
    assert (ALTMAN_MODELS["Z''"].distress_below, ALTMAN_MODELS["Z''"].safe_above) == (1.10, 2.60)
    assert (ALTMAN_MODELS["Z'"].distress_below, ALTMAN_MODELS["Z'"].safe_above) == (1.23, 2.90)
    assert (ALTMAN_MODELS["Z"].distress_below, ALTMAN_MODELS["Z"].safe_above) == (1.81, 2.99)
    assert altman_zone(2.1690, "Z") == "grey"  # T1 is grey, as in the textbook
