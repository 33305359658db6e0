"""ABC classes (boundary rule, ties, zero revenue) and CLV."""

import numpy as np
import pandas as pd
import pytest

from xlfin.engine.segmentation import RETENTION_ERROR, SegmentationInputError, abc_class, bad_retention, clv


def test_share_before_rule():
    # shares before each: 0, .5, .8, .9, .95 → A A B B C
    out = abc_class([50, 30, 10, 5, 5], keys=["a", "b", "c", "d", "e"])
    assert list(out) == ["A", "A", "B", "B", "C"]


def test_single_dominant_customer_is_a():
    assert list(abc_class([90, 6, 4])) == ["A", "B", "C"]  # share before 0 → A; not an empty class A


def test_ties_broken_by_key_ascending():
    # 94 + 3 + 3: the tie at 3 is ordered by key, so "x" (share before .94) is B and "z" (.97) is C
    out = abc_class(pd.Series([3, 94, 3], index=["z", "big", "x"]), keys=["z", "big", "x"])
    assert out["x"] == "B" and out["z"] == "C" and out["big"] == "A"
    assert list(abc_class([3, 94, 3], keys=["x", "big", "z"])) == ["B", "A", "C"]


def test_zero_negative_and_blank():
    assert list(abc_class([0, 100, -20, None])) == ["C", "A", "C", None]
    assert list(abc_class([0, 0])) == ["C", "C"]
    assert len(abc_class([])) == 0


def test_custom_cutoffs_and_bad_cutoffs():
    assert list(abc_class([70, 20, 10], cutoffs=(0.70, 0.90))) == ["A", "B", "C"]
    with pytest.raises(SegmentationInputError):
        abc_class([1, 2], cutoffs=(0.95, 0.80))


def test_clv_research_vector():
    assert round(clv(100, 0.8, 0.1), 2) == 266.67
    assert round(clv(100, 0.8, 0.1, 50), 2) == 216.67


def test_clv_vectorised_and_divergent():
    out = clv(np.array([100.0, 100.0, 0.0]), np.array([0.8, 1.0, 0.5]), 0.0)
    assert out[0] == pytest.approx(400.0) and np.isnan(out[1]) and out[2] == 0.0
    with pytest.raises(SegmentationInputError):
        clv(100, 1.5, 0.1)


def test_clv_bad_retention_spoils_only_its_element():
    retention = np.array([0.8, 1.5, -0.1, np.nan, 0.95])
    out = clv(np.full(5, 100.0), retention, 0.1)
    assert out[0] == pytest.approx(266.6667, abs=1e-4) and out[4] == pytest.approx(633.3333, abs=1e-4)
    assert np.isnan(out[1:4]).all()
    assert bad_retention(retention).tolist() == [False, True, True, False, False]  # blank is blank, not bad
    assert "between 0 and 1" in RETENTION_ERROR
    with pytest.raises(SegmentationInputError, match="retention"):  # one retention for every element
        clv(np.array([100.0, 50.0]), 1.5, 0.1)
