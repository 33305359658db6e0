"""Financial ratios: values, blanks, zero denominators and container shapes."""

import math

import numpy as np
import pandas as pd
import pytest

from xlfin.engine.ratios import (RatioInputError, current_ratio, debt_ratio, interest_coverage, net_margin, net_worth,
                                 quick_ratio, working_capital)


def test_scalar_values():
    assert current_ratio(300_00, 150_00) == pytest.approx(2.0)
    assert quick_ratio(300_00, 100_00, 200_00) == pytest.approx(1.0)
    assert debt_ratio(40_00, 100_00) == pytest.approx(0.4)
    assert interest_coverage(30_00, 10_00) == pytest.approx(3.0)
    assert net_margin(5_00, 100_00) == pytest.approx(0.05)
    assert working_capital(300_00, 120_00) == 180_00
    assert net_worth(500_00) == 500_00
    assert net_worth(500_00, 120_00) == 380_00


def test_interest_coverage_without_interest():
    cov = interest_coverage(np.array([10.0, 10.0, -5.0, 0.0, 10.0]), np.array([0.0, np.nan, 0.0, np.nan, -4.0]))
    assert cov[0] == math.inf and cov[1] == math.inf  # no interest and EBIT > 0 → +inf (scores 100)
    assert np.isnan(cov[2]) and np.isnan(cov[3])  # no interest and no profit: undefined
    assert cov[4] == pytest.approx(2.5)  # interest booked negative is taken by magnitude


def test_zero_denominators():
    assert current_ratio(100, 0) == math.inf
    assert math.isnan(current_ratio(0, 0))
    assert math.isnan(debt_ratio(10, 0))
    assert math.isnan(net_margin(10, 0))
    assert math.isnan(net_margin(10, -5))


def test_blanks_give_nan_and_series_keep_index():
    ca = pd.Series([200, None, 300], dtype="Int64", index=["a", "b", "c"])
    cl = pd.Series([100, 100, None], index=["a", "b", "c"])
    out = current_ratio(ca, cl)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b", "c"]
    assert out["a"] == pytest.approx(2.0) and np.isnan(out["b"]) and np.isnan(out["c"])
    assert math.isnan(current_ratio(None, 100))
    q = quick_ratio([300, 300], [None, 100], [100, 100])  # blank inventory counts as none
    assert list(q) == pytest.approx([3.0, 2.0])


def test_arrays_keep_shape_and_empty_stays_empty():
    grid = debt_ratio(np.array([[1.0, 2.0], [3.0, 4.0]]), 10.0)
    assert grid.shape == (2, 2) and grid[1, 1] == pytest.approx(0.4)
    assert debt_ratio(np.array([]), np.array([])).shape == (0,)


def test_text_is_an_error_not_a_blank():
    with pytest.raises(RatioInputError, match="current_assets"):
        current_ratio(["abc"], [1])
    assert current_ratio(["2", ""], [1, 1])[0] == pytest.approx(2.0)
