"""The vectorised validation and report stages give exactly what the cell-by-cell code gave (issue #12 item 3).

Each rewritten function is run against its old implementation (tests/support/reference_stages.py) on hostile
columns: blanks of every kind, whitespace, numbers typed as text, huge and fractional values, dates before 1970 and
after 2262, mixed types. Results are compared value *and* type, so a 1.0 cannot stand in for a 1 or a numpy scalar
for a Python one. benchmarks/stage_equality.py does the same for whole books (old tree against new, every saved part).
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from support import reference_stages as old
from xlfin import schema
from xlfin.schema.tables import to_cells

SEEDS = range(6)


def typed(value: object) -> object:
    """A value with its exact type, NaN made comparable."""
    if isinstance(value, float) and value != value:
        return ("nan", type(value))
    if isinstance(value, (list, tuple)):
        return [typed(v) for v in value]
    return (value, type(value))


def same(a: object, b: object) -> None:
    assert typed(a) == typed(b)


# ---------------------------------------------------------------- hostile columns

BLANKS = [None, np.nan, pd.NA, pd.NaT, float("nan")]
TEXTS = ["C001", "  C002 ", "", "   ", "\u3000客户\u3000", "1001", "x\ty", "=SUM(A1)", "No", "yes", "是", np.str_("C3")]
NUMBERS = [0, 1, -1, 1001, 2**53 + 1, 12.5, -0.0, 0.004, 1e16, 123456789.125, 1001.0, np.int64(7), np.float64(2.5),
           True, False]
DATES = [dt.date(2026, 3, 5), dt.datetime(1969, 12, 31, 23, 0), pd.Timestamp("2026-11-20 13:45"),
         dt.datetime(1900, 1, 1), np.datetime64("2026-01-31")]


def hostile_column(rng: random.Random, n: int, pool: list) -> pd.Series:
    return pd.Series([rng.choice(pool) for _ in range(n)], dtype=object)


def frames_for(table, rng: random.Random, n: int) -> list[pd.DataFrame]:
    """The dtypes the engine really hands over, and object columns of anything."""
    clean: dict[str, object] = {}
    mixed: dict[str, object] = {}
    for c in table.columns:
        if c.type == "money":
            clean[c.key] = pd.array([rng.choice([None, rng.randint(-10**12, 10**12)]) for _ in range(n)], dtype="Int64")
            mixed[c.key] = hostile_column(rng, n, BLANKS + NUMBERS + ["12.50", 1.5])
        elif c.type == "date":
            clean[c.key] = pd.Series(pd.to_datetime([rng.choice([None, "2026-02-28", "1901-01-01", "2100-12-31"])
                                                     for _ in range(n)])).astype("datetime64[s]")
            mixed[c.key] = hostile_column(rng, n, BLANKS + DATES + ["2026-03-05", "not a date"])
        elif c.type == "bool":
            clean[c.key] = np.array([rng.random() < 0.5 for _ in range(n)])
            mixed[c.key] = hostile_column(rng, n, BLANKS + [True, False, 1, 0, 1.0, "", "No", np.bool_(True)])
        elif c.type in ("int", "float", "pct"):
            clean[c.key] = np.array([rng.choice([np.nan, rng.uniform(-1e6, 1e6), float(rng.randint(-99, 99))])
                                     for _ in range(n)])
            extremes = [np.inf, -np.inf] if c.type != "int" else []  # int(inf) raises: a test of its own
            mixed[c.key] = hostile_column(rng, n, BLANKS + NUMBERS + extremes + ["7"])
        else:
            clean[c.key] = pd.Series([rng.choice([None, *TEXTS[:6]]) for _ in range(n)], dtype=object)
            mixed[c.key] = hostile_column(rng, n, BLANKS + TEXTS + NUMBERS + DATES)
    return [pd.DataFrame(clean), pd.DataFrame(mixed), pd.DataFrame(clean).iloc[:0]]


GENERATED = [t for t in schema.TABLES.values() if t.kind == "generated"] + [schema.DUNNING_LOG, schema.AUDIT]


@pytest.mark.parametrize("seed", SEEDS)
def test_to_cells_matches_the_cell_by_cell_conversion(seed: int) -> None:
    rng = random.Random(seed)
    for table in GENERATED:
        for frame in frames_for(table, rng, 40):
            try:
                expected = old.to_cells(frame, table)
            except (ValueError, TypeError, OverflowError) as exc:  # the old code refused: so must the new
                with pytest.raises(type(exc)):
                    to_cells(frame, table)
                continue
            same(to_cells(frame, table), expected)


def test_to_cells_keeps_huge_and_fractional_amounts_as_before() -> None:
    table = schema.ALLOCATIONS
    money = next(c.key for c in table.columns if c.type == "money")
    frame = pd.DataFrame({money: [2**60, 0.5, 1.005e2, -(2**51), 12345, np.nan]})
    same(to_cells(frame, table), old.to_cells(frame, table))


def test_to_cells_refuses_an_infinite_whole_number_as_before() -> None:
    table = schema.DUNNING_LOG
    key = next(c.key for c in table.columns if c.type == "int")
    frame = pd.DataFrame({key: [1.0, np.inf]})
    with pytest.raises(OverflowError):
        old.to_cells(frame, table)
    with pytest.raises(OverflowError):
        to_cells(frame, table)


# ---------------------------------------------------------------- identifiers

ID_POOL = BLANKS + TEXTS + [1001.0, 1001, 7.5, np.float32(2.0), np.float32("nan"), True, np.int64(3), ""]


def id_columns(rng: random.Random) -> list[pd.Series]:
    """Text-only columns (the usual case, where the fast path applies), with blanks, and of anything."""
    text = [t for t in TEXTS if t.__class__ is str]
    return [
        pd.Series([rng.choice(text) for _ in range(30)], dtype=object),
        pd.Series([rng.choice(text) for _ in range(30)], dtype="str"),
        pd.Series([rng.choice([*text, None]) for _ in range(30)], dtype=object, index=range(100, 130)),
        hostile_column(rng, 30, ID_POOL),
        pd.Series([rng.randint(1, 99) for _ in range(10)]),
        pd.Series([], dtype=object),
        pd.Series([None, None], dtype=object),
    ]


def same_series(a: pd.Series, b: pd.Series) -> None:
    assert str(a.dtype) == str(b.dtype)
    assert list(a.index) == list(b.index)
    same(a.tolist(), b.tolist())


@pytest.mark.parametrize("seed", SEEDS)
def test_text_ids_and_document_keys_match_the_per_cell_rules(seed: int) -> None:
    from xlfin.engine.openitems import _keys
    from xlfin.engine.payment_plans import text_ids

    from xlfin.engine.dunning import _text

    rng = random.Random(seed)
    for column in id_columns(rng):
        same_series(text_ids(column), old.text_ids(column))
        same_series(_keys(column), old.keys(column))
        same_series(_text(column), old.dunning_text(column))


# ---------------------------------------------------------------- raw cells (validation)

@pytest.mark.parametrize("seed", SEEDS)
def test_blank_cells_and_text_cells_read_as_before(seed: int) -> None:
    from xlfin.schema.frames import _coerce_text, blank_mask

    rng = random.Random(seed)
    columns = id_columns(rng) + [hostile_column(rng, 30, BLANKS + TEXTS + NUMBERS + DATES),
                                 pd.Series([rng.uniform(-5, 5) for _ in range(10)]), pd.Series([1.5, np.nan])]
    for column in columns:
        assert blank_mask(column).tolist() == old.blank_mask(column).tolist()
        new_text, old_text = _coerce_text(column)[0], old.coerce_text(column)[0]
        same_series(new_text, old_text)


# ---------------------------------------------------------------- report stages

@pytest.mark.parametrize("mixed", [True, False])
@pytest.mark.parametrize("n", [0, 1, 7, 3000])
def test_grouped_weighted_medians_are_bit_for_bit_the_same(n: int, mixed: bool) -> None:
    from xlfin.engine.forecast_paydates import _group_wmedian

    rng = np.random.default_rng(n)
    keys = np.array([f"C{rng.integers(0, max(n // 20, 1)):04d}" for _ in range(n)], dtype=object)
    if n > 3 and not mixed:
        keys[:2] = ["C0001\x00", "é"]  # plain strings only; a trailing NUL that fixed-width text would drop
    if n > 3 and mixed:
        keys[:3] = [1001, "1001", None]  # a number and its text are one customer, as before
    values = rng.normal(10, 20, n).round(int(rng.integers(0, 3)))
    weights = 0.5 ** (rng.uniform(0, 800, n) / 180)
    new, ref = _group_wmedian(keys, values, weights), old.group_wmedian(keys, values, weights)
    assert str(new.index.dtype) == str(ref.index.dtype) and (new.index.name, new.name) == (ref.index.name, ref.name)
    assert list(new.index) == list(ref.index)
    assert new.to_numpy().tobytes() == ref.to_numpy().tobytes()


def test_scorecard_dates_short_cut_keeps_values_and_index() -> None:
    from xlfin.engine.scorecard import _dates

    cases = [pd.Series(pd.to_datetime(["2026-01-01", None, "1900-03-01T13:45:12.123456789"], format="ISO8601")),
             pd.Series(np.array(["2026-01-01", "NaT", "9999-12-31"], dtype="datetime64[s]"), index=[4, 5, 6]),
             pd.Series(np.array(["1969-12-31T23:59:59.5"], dtype="datetime64[ms]")),
             pd.Series([dt.date(2026, 2, 1), None], dtype=object)]
    for column in cases:
        try:
            expected = old.scorecard_dates(column)
        except (OverflowError, ValueError):  # pandas 2's nanosecond round trip could not hold 9999-12-31; the short cut can
            assert _dates(column).iloc[-1] == pd.Timestamp("9999-12-31")
            continue
        same_series(_dates(column), expected)


def hostile_ledger(rng: random.Random, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoices and credit notes (some numbers with spaces or typed as numbers, some dates unknown) and allocations
    naming them, or a credit note as the payment, or nothing, paid on dates before, inside and after the period."""
    numbers = [rng.choice([f"INV-{i}", f" INV-{i} ", float(5000 + i), 5000 + i]) for i in range(n)]
    day = dt.date(2025, 1, 1)
    invoices = pd.DataFrame({
        "invoice_no": pd.Series(numbers, dtype=object),
        "customer_id": [f"C{rng.randint(1, 4)}" for _ in range(n)],
        "invoice_date": [day + dt.timedelta(days=rng.randint(0, 500)) for _ in range(n)],
        "due_date": [rng.choice([None, day + dt.timedelta(days=rng.randint(0, 560))]) for _ in range(n)],
        "amount": [rng.randint(1, 10**6) for _ in range(n)],
        "doc_type": [rng.choice(["Invoice", "Invoice", "Credit Note", "贷项通知单", None]) for _ in range(n)],
    })
    invoices["due_date"] = pd.to_datetime(invoices["due_date"])
    keys = [str(int(v)) if isinstance(v, float) else str(v).strip() for v in numbers]
    m = 3 * n
    allocations = pd.DataFrame({
        "payment_id": [rng.choice([f"P{i}", rng.choice(keys), None]) for i in range(m)],
        "invoice_no": [rng.choice([*keys, " " + rng.choice(keys), "NOPE", None]) for _ in range(m)],
        "amount": [rng.randint(1, 4 * 10**5) for _ in range(m)],
        "payment_date": pd.to_datetime([rng.choice([None, day + dt.timedelta(days=rng.randint(0, 600))])
                                        for _ in range(m)]),
    })
    return invoices, allocations


@pytest.mark.parametrize("seed", SEEDS)
def test_period_cei_matches_open_items_on_each_date(seed: int) -> None:
    from xlfin.engine.collection import period_cei

    rng = random.Random(seed)
    invoices, allocations = hostile_ledger(rng, 60)
    for start, end in ((dt.date(2025, 3, 1), dt.date(2025, 12, 31)), (dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
                       (dt.date(2025, 6, 1), dt.date(2026, 12, 31))):
        for alloc in (allocations, allocations.iloc[:0], None):
            same(period_cei(invoices, alloc, start, end), old.period_cei(invoices, alloc, start, end))


@pytest.mark.parametrize("seed", SEEDS)
def test_forecast_centres_looked_up_per_customer_match_per_item(seed: int) -> None:
    from xlfin.engine.forecast_paydates import center_days, fit_pay_model

    rng = np.random.default_rng(seed)
    n = 400
    ids = np.array([f"C{rng.integers(0, 30):02d}" for _ in range(n)], dtype=object)
    history = pd.DataFrame({"customer_id": ids, "days_late": rng.normal(5, 20, n).round(),
                            "disputed": rng.random(n) < 0.1, "age": rng.uniform(0, 700, n),
                            "censored": rng.random(n) < 0.2})
    model = fit_pay_model(history)
    for items in (np.array([f"C{rng.integers(0, 40):02d}" for _ in range(50)], dtype=object),  # plain text ids
                  np.array(["C01", 1001, None, 7.0, "C02 "], dtype=object), np.array([], dtype=object)):
        disputed = rng.random(len(items)) < 0.3
        new, ref = center_days(model, items, disputed), old.center_days(model, items, disputed)
        assert new[0].tobytes() == ref[0].tobytes() and new[0].dtype == ref[0].dtype
        assert new[1].tolist() == ref[1].tolist()


def test_purchase_forecast_groups_plain_string_ids_as_their_text() -> None:
    from xlfin.engine.forecast import purchase_forecast

    rng = np.random.default_rng(3)
    n = 3000
    ids = [f"C{rng.integers(0, 60):03d}" for _ in range(n)]
    days = pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    amounts = rng.integers(100, 10**6, n)
    kinds = rng.choice(["Invoice", "Credit Note"], n, p=[0.9, 0.1])
    plain = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "invoice_date": days, "amount": amounts,
                          "doc_type": kinds})
    # numpy strings are not plain str: they take the old conversion (fixed-width text, np.unique)
    numpy_text = plain.assign(customer_id=pd.Series([np.str_(i) for i in ids], dtype=object))
    for with_error in (False, True):
        new = purchase_forecast(plain, dt.date(2025, 9, 30), with_error=with_error)
        ref = purchase_forecast(numpy_text, dt.date(2025, 9, 30), with_error=with_error)
        assert len(new) and new["customer_id"].tolist() == ref["customer_id"].tolist()
        pd.testing.assert_frame_equal(new.drop(columns="customer_id"), ref.drop(columns="customer_id"))


# ---------------------------------------------------------------- generated sheets from the converted columns

def _encoded(table, cells, lang: str, date1904: bool) -> tuple[bytes, str | None, list]:
    from xlfin.xlsx.sheet import GeneratedSheet
    from xlfin.xlsx.styles import StyleBook
    from xlfin.xlsx.opc import Package

    from adapters.test_file_stages import small_workbook_package

    package = Package(small_workbook_package())
    styles = StyleBook(package, None)
    sheet = GeneratedSheet()
    sheet.add_table(table, cells, lang, (3, 2))
    chunks, dimension = sheet.encode(styles, date1904)
    return b"".join(chunks), dimension, sheet.links


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_sheet_written_from_the_converted_columns_is_the_sheet_written_from_rows(seed: int) -> None:
    """The file adapter hands the writer `cell_columns` (typed arrays, no rows): every byte of the sheet, its
    dimension and its links are what the rows of `to_cells` give, in both languages and both date systems."""
    from xlfin.schema.tables import CellColumns, cell_columns

    rng = random.Random(seed)
    for table in GENERATED:
        for frame in frames_for(table, rng, 40):
            try:
                rows = to_cells(frame, table)
            except (ValueError, TypeError, OverflowError):
                continue
            columns = CellColumns(cell_columns(frame, table), len(frame))
            assert columns == rows and len(columns) == len(rows)
            for lang, date1904 in (("en", False), ("zh-CN", True)):
                assert _encoded(table, columns, lang, date1904) == _encoded(table, rows, lang, date1904)


def test_converted_columns_outside_one_class_fall_back_to_their_cells() -> None:
    """Fractional or huge cents, dates beyond datetime.date's years and integers beyond int64 have no typed array:
    the writer takes their plain cells, as from rows."""
    from xlfin.schema.tables import CellColumns, cell_columns

    table = schema.DUNNING_LOG
    money = next(c.key for c in table.columns if c.type == "money")
    day = next(c.key for c in table.columns if c.type == "date")
    whole = next(c.key for c in table.columns if c.type == "int")
    frame = pd.DataFrame({money: [2**60, 0.5, None], whole: [2.0**70, 3.0, np.nan],
                          day: pd.Series(["2026-01-02", None, "2026-03-04"], dtype="datetime64[s]")})
    columns = cell_columns(frame, table)
    kinds = {c.key: col.kind for c, col in zip(table.columns, columns)}
    assert kinds[money] is None and kinds[whole] is None and kinds[day] is dt.date
    far = pd.DataFrame({day: np.array(["10000-01-01", "2026-01-01"], dtype="datetime64[s]")})
    assert cell_columns(far, table)[table.keys.index(day)].kind is None
    for f in (frame, far):
        rows = to_cells(f, table)
        assert _encoded(table, CellColumns(cell_columns(f, table), len(f)), "en", False) == \
            _encoded(table, rows, "en", False)
