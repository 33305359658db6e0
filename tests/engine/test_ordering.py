"""engine.ordering.sorted_frame is DataFrame.sort_values(keys, kind="mergesort") row for row (issue #12 item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfin.engine.ordering import sorted_frame, stable_order

TEXT = st.text(alphabet=st.sampled_from(["a", "B", "0", "9", " ", "-", "é", "客", "\x00", "\U0001f600", "ａ"]),
               max_size=4)
DAYS = st.one_of(st.none(), st.integers(-800_000, 2_900_000))  # seconds-resolution days incl. before 1970
ANY = st.one_of(st.none(), TEXT, st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=False, width=32))


def _expected(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)


def _frame(texts: list[str], days: list[int | None], numbers: list[int], other: list[object]) -> pd.DataFrame:
    n = min(len(texts), len(days), len(numbers), len(other))
    dates = np.array([np.datetime64("NaT") if d is None else np.datetime64(d, "D") for d in days[:n]],
                     dtype="datetime64[D]").astype("datetime64[s]")
    return pd.DataFrame({"t": pd.Series(texts[:n], dtype=object), "d": dates,
                         "i": np.array(numbers[:n], dtype=np.int64), "o": pd.Series(other[:n], dtype=object),
                         "row": np.arange(n)})


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=30), st.lists(DAYS, max_size=30), st.lists(st.integers(-3, 3), max_size=30),
       st.lists(ANY, max_size=30), st.sampled_from([["t", "d", "row"], ["t", "d", "t"], ["d", "t"], ["i", "t"],
                                                    ["t"], ["d"], ["o", "t"], ["t", "o"]]))
def test_sorted_frame_is_sort_values(texts, days, numbers, other, keys) -> None:
    frame = _frame(texts, days, numbers, other)
    try:
        expected = _expected(frame, keys)
    except TypeError:  # pandas cannot order these values: neither may the fast path pretend to
        try:
            sorted_frame(frame, keys)
        except TypeError:
            return
        raise AssertionError("sorted_frame ordered values pandas refuses to order") from None
    got = sorted_frame(frame, keys)
    pd.testing.assert_frame_equal(got, expected)


def test_text_with_blanks_or_other_classes_is_left_to_pandas() -> None:
    frame = pd.DataFrame({"t": pd.Series(["b", None, "a"], dtype=object), "n": pd.Series(["b", 1, "a"], dtype=object),
                          "s": pd.Series([np.str_("b"), "a", "c"], dtype=object)})
    assert stable_order(frame, ["t"]) is None and stable_order(frame, ["n"]) is None
    assert stable_order(frame, ["s"]) is None
    for key in ("t", "n", "s"):
        try:
            expected = _expected(frame, [key])
        except TypeError:
            continue
        pd.testing.assert_frame_equal(sorted_frame(frame, [key]), expected)


def test_the_fast_path_is_taken_for_the_engine_keys() -> None:
    frame = pd.DataFrame({"c": ["C2", "C1", "C2", "C1"], "d": pd.to_datetime(["2026-01-02", None, "2026-01-01",
                                                                            "2026-01-01"]).astype("datetime64[s]"),
                          "n": ["I4", "I3", "I2", "I1"]})
    assert stable_order(frame, ["c", "d", "n"]).tolist() == [3, 1, 2, 0]
    pd.testing.assert_frame_equal(sorted_frame(frame, ["c", "d", "n"]), _expected(frame, ["c", "d", "n"]))


IDS = st.sampled_from(["C1", "C10", "C2", "c1", " C1", "客户", "\x00", "C1\x00"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(IDS, st.integers(0, 10**7), st.one_of(st.just(float("nan")), st.floats(-60, 400)),
                          st.integers(0, 900)), min_size=1, max_size=25))
def test_payment_index_by_ranked_ids_is_the_group_by_over_texts(rows) -> None:
    import datetime as dt

    from xlfin.engine import payment_index as pix

    experiences = pd.DataFrame({
        "customer_id": pd.Series([r[0] for r in rows], dtype=object),
        "amount": np.array([r[1] for r in rows], dtype=np.int64),
        "days_beyond_terms": np.array([r[2] for r in rows]),
        "experience_date": (np.datetime64("2026-01-01") - np.array([r[3] for r in rows], dtype="timedelta64[D]"))
        .astype("datetime64[s]")})
    as_of = dt.date(2026, 1, 1)
    got = pix.customer_payment_index(experiences, as_of, 24)
    original = pix.text_codes
    try:
        pix.text_codes = lambda _ids: None  # the group-by over the texts themselves
        expected = pix.customer_payment_index(experiences, as_of, 24)
    finally:
        pix.text_codes = original
    pd.testing.assert_series_equal(got, expected)
    assert np.array_equal(got.to_numpy(), expected.to_numpy(), equal_nan=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(IDS, st.none(), st.integers(-3, 3)), max_size=20), st.booleans())
def test_sorted_key_codes_are_the_factorised_text(keys, text_only) -> None:
    from xlfin.engine.forecast_paydates import as_text, sorted_key_codes

    values = np.array([k for k in keys if not text_only or isinstance(k, str)], dtype=object)
    codes, uniques = sorted_key_codes(values)
    expected_codes, expected_uniques = pd.factorize(as_text(values), sort=True)
    assert codes.tolist() == expected_codes.tolist()
    assert [(u, type(u)) for u in np.asarray(uniques).tolist()] == \
        [(u, type(u)) for u in np.asarray(expected_uniques).tolist()]
