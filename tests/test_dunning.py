"""Dunning engine: levels and escalation, exclusions, interest and fees, consolidation, payment plans, the log."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from xlfin.engine.dunning import (
    EXCLUSION_REASONS,
    ITEM_COLUMNS,
    DunningError,
    attach_letters,
    build_dunning,
    interest_cents,
    log_rows,
)
from xlfin.schema import DUNNING, DUNNING_LOG
from xlfin.schema.settings import DEFAULT_DUNNING_LEVELS, DunningLevel, Settings

AS_OF = dt.date(2026, 6, 30)
LEVELS = DEFAULT_DUNNING_LEVELS["en"]  # from 1 / 15 / 30 / 60 days, fees 0 / 0 / 50 / 100
NO_INTEREST = Settings()
TEN_PCT = Settings(dunning_interest_pa=10)


def day(days_ago: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days_ago)


def open_items(*rows: dict) -> pd.DataFrame:
    """Rows as dicts with invoice_no, customer_id, days (overdue), outstanding; anything else optional."""
    frame = pd.DataFrame([{
        "invoice_no": r["invoice_no"],
        "doc_type": r.get("doc_type", "Invoice"),
        "customer_id": r["customer_id"],
        "invoice_date": pd.Timestamp(day(r["days"] + 30)),
        "due_date": pd.Timestamp(day(r["days"])),
        "amount": abs(r["outstanding"]),
        "outstanding": r["outstanding"],
        "disputed": r.get("disputed", False),
        "currency": r.get("currency", "USD"),
    } for r in rows])
    frame["outstanding"] = frame["outstanding"].astype(np.int64)
    frame["amount"] = frame["amount"].astype(np.int64)
    frame["invoice_date"] = frame["invoice_date"].astype("datetime64[s]")
    frame["due_date"] = frame["due_date"].astype("datetime64[s]")
    return frame


def inv(no: str, cid: str, days: int, cents: int, **kw) -> dict:
    return dict(invoice_no=no, customer_id=cid, days=days, outstanding=cents, **kw)


def customers(*ids: str, **overrides: dict) -> pd.DataFrame:
    rows = []
    for cid in ids:
        row = {"customer_id": cid, "name": f"Customer {cid}", "contact": f"Contact {cid}",
               "email": f"{cid.lower()}@example.com", "phone": "", "status": "Active", "dunning_hold": False,
               "currency": "USD"}
        row.update(overrides.get(cid, {}))
        rows.append(row)
    return pd.DataFrame(rows)


def log(*rows: tuple[str, int, int]) -> pd.DataFrame:
    """Dunning Log rows from (customer_id, days before as_of, level)."""
    return pd.DataFrame({
        "date": pd.to_datetime([day(d) for _, d, _ in rows]),
        "customer_id": [c for c, _, _ in rows],
        "level": [lv for _, _, lv in rows],
        "invoices": [""] * len(rows),
        "total_due": [0] * len(rows),
        "letter": [""] * len(rows),
    })


EMPTY_LOG = log()


def run(items: pd.DataFrame, custs: pd.DataFrame, the_log: pd.DataFrame = EMPTY_LOG, settings: Settings = NO_INTEREST,
        **kw):
    return build_dunning(items, custs, LEVELS, the_log, settings, AS_OF, **kw)


def notice(result, cid: str) -> pd.Series:
    rows = result.notices[result.notices["customer_id"] == cid]
    assert len(rows) == 1, f"expected one notice for {cid}, got {len(rows)}"
    return rows.iloc[0]


def reason(result, cid: str) -> str:
    rows = result.excluded[result.excluded["customer_id"] == cid]
    return rows.iloc[0]["reason"] if len(rows) else ""


# ---------------------------------------------------------------- interest and fees


def test_interest_matches_erpnext_vectors() -> None:
    assert interest_cents([10000], [15], 10).tolist() == [41]  # 100 overdue 15 days at 10 % → 0.41
    assert interest_cents([10000], [20], 8).tolist() == [44]  # ERPNext v13: 8 %, 20 days → 0.44
    assert interest_cents([10000], [20], 0).tolist() == [0]


def test_interest_rounds_half_up_exactly_and_never_overflows() -> None:
    assert interest_cents([18250], [1], 1).tolist() == [1]  # exactly 0.5 cent → 1
    assert interest_cents([18249], [1], 1).tolist() == [0]
    big = 10**15
    expected = int((Decimal(big) * Decimal("12.5") * 3650 / 36500).quantize(Decimal(1), ROUND_HALF_UP))
    assert interest_cents([big], [3650], 12.5).tolist() == [expected]
    with pytest.raises(DunningError):
        interest_cents([1], [1], -1)


def test_interest_per_item_on_the_notice() -> None:
    result = run(open_items(inv("I1", "A", 15, 10000)), customers("A"), settings=TEN_PCT)
    n = notice(result, "A")
    assert result.items["interest"].tolist() == [41]
    assert (n["level"], n["interest"], n["fee"], n["total_due"]) == (1, 41, 0, 10041)


def test_fee_charged_once_per_notice_and_total_due_adds_up() -> None:
    items = open_items(inv("I1", "A", 45, 10000), inv("I2", "A", 35, 20000), inv("I3", "A", 5, 30000))
    result = run(items, customers("A"), log(("A", 20, 2)), settings=TEN_PCT)
    n = notice(result, "A")
    assert n["level"] == 3 and n["fee"] == 5000
    expected_interest = sum(interest_cents([10000, 20000, 30000], [45, 35, 5], 10).tolist())
    assert n["interest"] == expected_interest
    assert n["total_due"] == 60000 + expected_interest + 5000
    assert n["action"] == "Final notice and phone call"


# ---------------------------------------------------------------- consolidation and shape


def test_one_consolidated_notice_with_all_overdue_invoices_oldest_first() -> None:
    items = open_items(inv("I2", "A", 10, 20000), inv("I1", "A", 20, 10000), inv("I3", "A", 3, 5000),
                       inv("N1", "A", -5, 7000))  # N1 not yet due
    result = run(items, customers("A"))
    assert len(result.notices) == 1
    n = notice(result, "A")
    assert n["invoices"] == "I1, I2, I3"
    assert n["overdue_amount"] == 35000 and n["max_days_overdue"] == 20
    assert result.items["invoice_no"].tolist() == ["I1", "I2", "I3"]
    assert result.items["days_overdue"].tolist() == [20, 10, 3]
    assert (n["name"], n["contact"], n["email"], n["letter"]) == ("Customer A", "Contact A", "a@example.com", "")


def test_notice_columns_are_exactly_tbl_dunning_and_money_is_int_cents() -> None:
    result = run(open_items(inv("I1", "A", 20, 12345)), customers("A"))
    assert list(result.notices.columns) == DUNNING.keys
    assert list(result.items.columns) == ITEM_COLUMNS
    assert list(result.excluded.columns) == ["customer_id", "reason"]
    for col in ("level", "overdue_amount", "max_days_overdue", "interest", "fee", "total_due"):
        assert result.notices[col].dtype == np.int64, col


def test_due_today_is_not_overdue_and_credit_notes_are_never_dunned() -> None:
    items = open_items(inv("I0", "A", 0, 50000), inv("CN", "A", 40, -1000, doc_type="Credit Note"))
    result = run(items, customers("A"))
    assert result.notices.empty and result.excluded.empty


def test_ordering_level_desc_then_overdue_desc_then_customer() -> None:
    items = open_items(inv("a", "A", 20, 50000), inv("b", "B", 70, 20000), inv("c", "C", 20, 90000),
                       inv("d", "D", 70, 20000), inv("e", "E", 5, 99999))
    the_log = log(("B", 10, 3), ("D", 10, 3), ("A", 10, 1), ("C", 10, 1))
    result = run(items, customers("A", "B", "C", "D", "E"), the_log)
    assert result.notices["customer_id"].tolist() == ["B", "D", "C", "A", "E"]
    assert result.notices["level"].tolist() == [4, 4, 2, 2, 1]


def test_empty_input_gives_an_empty_run() -> None:
    result = build_dunning(open_items(inv("x", "A", 5, 1))[0:0], customers("A"), LEVELS, EMPTY_LOG, NO_INTEREST, AS_OF)
    assert result.notices.empty and result.items.empty and result.excluded.empty
    assert list(result.notices.columns) == DUNNING.keys
    nothing_overdue = run(open_items(inv("x", "A", -3, 100000)), customers("A"))
    assert nothing_overdue.notices.empty


def test_bad_levels_and_bad_input_raise_clear_errors() -> None:
    items = open_items(inv("I1", "A", 20, 10000))
    with pytest.raises(DunningError, match="empty"):
        build_dunning(items, customers("A"), [], EMPTY_LOG, NO_INTEREST, AS_OF)
    shuffled = [DunningLevel(level=1, from_days=30, action="a", template="reminder"),
                DunningLevel(level=2, from_days=10, action="b", template="firm")]
    with pytest.raises(DunningError, match="from_days"):
        build_dunning(items, customers("A"), shuffled, EMPTY_LOG, NO_INTEREST, AS_OF)
    with pytest.raises(DunningError, match="outstanding"):
        run(items.drop(columns="outstanding"), customers("A"))
    with pytest.raises(DunningError, match="status"):
        run(items, customers("A", A={"status": "Sleeping"}))


# ---------------------------------------------------------------- levels and escalation


@pytest.mark.parametrize(("days", "level"), [(1, 1), (14, 1), (15, 2), (29, 2), (30, 3), (59, 3), (60, 4), (400, 4)])
def test_level_by_oldest_item_when_the_log_allows(days: int, level: int) -> None:
    items = open_items(inv("old", "A", days, 10000), inv("new", "A", 1, 10000))
    result = run(items, customers("A"), log(("A", 5, 3)))
    assert notice(result, "A")["level"] == level


def test_without_a_recent_log_entry_the_first_notice_is_level_one() -> None:
    result = run(open_items(inv("I1", "A", 90, 50000)), customers("A"))
    assert notice(result, "A")["level"] == 1


def test_escalation_is_capped_one_above_the_last_logged_level() -> None:
    items = open_items(inv("I1", "A", 90, 50000), inv("I2", "B", 90, 50000))
    result = run(items, customers("A", "B"), log(("A", 14, 1), ("B", 14, 2)))
    assert notice(result, "A")["level"] == 2
    assert notice(result, "B")["level"] == 3


def test_log_older_than_60_days_is_ignored_and_60_days_counts() -> None:
    items = open_items(inv("I1", "A", 120, 50000), inv("I2", "B", 120, 50000))
    result = run(items, customers("A", "B"), log(("A", 61, 3), ("B", 60, 3)))
    assert notice(result, "A")["level"] == 1
    assert notice(result, "B")["level"] == 4


def test_the_newest_log_entry_sets_the_cap_even_when_lower() -> None:
    items = open_items(inv("I1", "A", 120, 50000))
    result = run(items, customers("A"), log(("A", 50, 3), ("A", 10, 1)))
    assert notice(result, "A")["level"] == 2


def test_a_log_entry_on_the_as_of_day_does_not_escalate_a_rerun() -> None:
    items = open_items(inv("I1", "A", 120, 50000))
    first = run(items, customers("A"), log(("A", 20, 1)))
    again = run(items, customers("A"), pd.concat([log(("A", 20, 1)), log_rows(first, AS_OF, {"A": "a.html"})]))
    assert notice(first, "A")["level"] == notice(again, "A")["level"] == 2


def test_a_log_entry_for_another_customer_does_not_count() -> None:
    result = run(open_items(inv("I1", "A", 120, 50000)), customers("A", "B"), log(("B", 5, 4)))
    assert notice(result, "A")["level"] == 1


def test_log_levels_read_from_text_and_cap_follows_the_ladder() -> None:
    ladder = [DunningLevel(level=1, from_days=1, action="r", template="reminder"),
              DunningLevel(level=2, from_days=15, action="f", template="firm"),
              DunningLevel(level=5, from_days=60, action="l", template="legal", fee=Decimal(25))]
    the_log = log(("A", 10, 2)).astype({"level": object})
    the_log.loc[0, "level"] = "2"
    result = build_dunning(open_items(inv("I1", "A", 90, 50000)), customers("A"), ladder, the_log, NO_INTEREST, AS_OF)
    n = notice(result, "A")
    assert (n["level"], n["fee"]) == (5, 2500)


def test_first_level_threshold_not_reached() -> None:
    ladder = [DunningLevel(level=1, from_days=7, action="r", template="reminder")]
    result = build_dunning(open_items(inv("I1", "A", 6, 50000)), customers("A"), ladder, EMPTY_LOG, NO_INTEREST,
                           AS_OF)
    assert result.notices.empty and reason(result, "A") == "below_first_level"


# ---------------------------------------------------------------- exclusions


def test_customer_level_exclusions() -> None:
    items = open_items(inv("h", "HOLD", 40, 50000), inv("c", "CLOSED", 40, 50000), inv("o", "ONHOLD", 40, 50000),
                       inv("u", "GHOST", 40, 50000))
    custs = customers("HOLD", "CLOSED", "ONHOLD", HOLD={"dunning_hold": True}, CLOSED={"status": "Closed"},
                      ONHOLD={"status": "On Hold"})
    result = run(items, custs)
    assert reason(result, "HOLD") == "dunning_hold"
    assert reason(result, "CLOSED") == "closed"
    assert reason(result, "GHOST") == "unknown_customer"
    assert notice(result, "ONHOLD")["level"] == 1  # a credit hold is not a dunning hold
    assert set(result.excluded["reason"]) <= set(EXCLUSION_REASONS)


def test_dunning_hold_as_text_from_a_workbook() -> None:
    custs = customers("A", "B", A={"dunning_hold": "是"}, B={"dunning_hold": "no"}).astype({"dunning_hold": object})
    result = run(open_items(inv("a", "A", 40, 50000), inv("b", "B", 40, 50000)), custs)
    assert reason(result, "A") == "dunning_hold" and notice(result, "B")["level"] == 1


def test_below_minimum_amount() -> None:
    items = open_items(inv("a", "A", 40, 9999), inv("b", "B", 40, 10000), inv("c1", "C", 40, 6000),
                       inv("c2", "C", 3, 6000))
    result = run(items, customers("A", "B", "C"))  # minimum 100.00 (10000 cents); the total counts, not each item
    assert reason(result, "A") == "below_min_amount"
    assert notice(result, "B")["overdue_amount"] == 10000
    assert notice(result, "C")["overdue_amount"] == 12000


def test_unapplied_credit_covering_the_overdue_total_excludes() -> None:
    items = open_items(inv("a", "A", 40, 50000), inv("b", "B", 40, 50000))
    unapplied = pd.DataFrame({"payment_id": ["P1", "P2", "P3"], "customer_id": ["A", "B", None],
                              "unapplied_amount": [50000, 49999, 10**9]})
    result = run(items, customers("A", "B"), unapplied=unapplied)
    assert reason(result, "A") == "covered_by_credit"
    assert notice(result, "B")["total_due"] == 50000  # credit that does not cover it leaves the notice as it is


def test_open_credit_notes_count_as_credit() -> None:
    items = open_items(inv("a", "A", 40, 50000), inv("cn", "A", 10, -30000, doc_type="Credit Note"),
                       inv("b", "B", 40, 50000), inv("cn2", "B", 10, -50000, doc_type="Credit Note"))
    result = run(items, customers("A", "B"), unapplied=pd.DataFrame({"customer_id": ["A"],
                                                                     "unapplied_amount": [20000]}))
    assert reason(result, "A") == "covered_by_credit"
    assert reason(result, "B") == "covered_by_credit"


def test_disputed_item_left_off_the_notice_not_the_customer() -> None:
    items = open_items(inv("I1", "A", 70, 90000, disputed=True), inv("I2", "A", 20, 30000),
                       inv("J1", "B", 40, 50000, disputed=True))
    result = run(items, customers("A", "B"), log(("A", 10, 3)))
    n = notice(result, "A")
    assert n["invoices"] == "I2" and n["overdue_amount"] == 30000
    assert n["max_days_overdue"] == 20 and n["level"] == 2  # the disputed 70-day item does not set the level
    assert "I1" not in result.items["invoice_no"].tolist()
    assert reason(result, "B") == "disputed"


def test_disputed_item_does_not_lift_a_customer_over_the_minimum() -> None:
    items = open_items(inv("I1", "A", 40, 90000, disputed=True), inv("I2", "A", 20, 5000))
    assert reason(run(items, customers("A")), "A") == "below_min_amount"


def test_mixed_currencies_are_not_added_up() -> None:
    items = open_items(inv("a1", "A", 40, 50000, currency="USD"), inv("a2", "A", 40, 50000, currency="EUR"),
                       inv("b1", "B", 40, 50000, currency=""))
    result = run(items, customers("A", "B", B={"currency": "EUR"}))
    assert reason(result, "A") == "mixed_currency"
    assert result.items.loc[result.items["customer_id"] == "B", "currency"].tolist() == ["EUR"]


# ---------------------------------------------------------------- payment plans


def plans_frame(invoices: str = "P-1, P-2") -> pd.DataFrame:
    # 3 monthly instalments of 200.00 from 45 days ago: two fell due before as_of (16 May, 16 June).
    return pd.DataFrame([{"plan_id": "PL1", "customer_id": "A", "total": 60000, "instalments": 3,
                          "first_date": day(45), "frequency": "Monthly", "invoices": invoices}])


def test_payment_plan_kept_to_leaves_its_items_out() -> None:
    # 400.00 of 600.00 due so far; 200.00 remains on the covered invoices: on schedule.
    items = open_items(inv("P-1", "A", 120, 0), inv("P-2", "A", 100, 20000), inv("X", "A", 20, 30000))
    result = run(items, customers("A"), plans=plans_frame())
    n = notice(result, "A")
    assert n["invoices"] == "X" and n["overdue_amount"] == 30000
    assert result.items["plan_id"].tolist() == [""]


def test_payment_plan_covering_everything_excludes_the_customer() -> None:
    items = open_items(inv("P-1", "A", 120, 0), inv("P-2", "A", 100, 20000))
    result = run(items, customers("A"), plans=plans_frame())
    assert result.notices.empty and reason(result, "A") == "payment_plan"


def test_broken_payment_plan_items_are_dunned_and_marked() -> None:
    # Only 300.00 paid where 400.00 was due: the plan is broken, its invoices go back on the notice.
    items = open_items(inv("P-1", "A", 120, 10000), inv("P-2", "A", 100, 20000), inv("X", "A", 20, 30000))
    result = run(items, customers("A"), plans=plans_frame())
    n = notice(result, "A")
    assert n["invoices"] == "P-1, P-2, X" and n["overdue_amount"] == 60000
    assert dict(zip(result.items["invoice_no"], result.items["plan_id"])) == {"P-1": "PL1", "P-2": "PL1", "X": ""}


def test_blank_plan_invoices_cover_what_was_due_before_the_first_instalment() -> None:
    items = open_items(inv("P-1", "A", 120, 0), inv("P-2", "A", 100, 20000), inv("X", "A", 20, 30000))
    result = run(items, customers("A"), plans=plans_frame(invoices=""))
    assert notice(result, "A")["invoices"] == "X"


# ---------------------------------------------------------------- after letters


def test_log_rows_only_for_letters_produced() -> None:
    items = open_items(inv("a", "A", 40, 50000), inv("b", "B", 20, 30000))
    result = run(items, customers("A", "B"), log(("A", 10, 2)))
    rows = log_rows(result, AS_OF, {"A": "/letters/a.html"})
    assert list(rows.columns) == DUNNING_LOG.keys
    assert rows.to_dict("records") == [{"date": pd.Timestamp(AS_OF), "customer_id": "A", "level": 3,
                                        "invoices": "a", "total_due": 55000, "letter": "/letters/a.html"}]
    assert log_rows(result, AS_OF, {}).empty


def test_building_the_list_never_touches_the_log() -> None:
    the_log = log(("A", 10, 1))
    before = the_log.copy()
    run(open_items(inv("a", "A", 40, 50000)), customers("A"), the_log)
    pd.testing.assert_frame_equal(the_log, before)


def test_attach_letters_fills_the_letter_column() -> None:
    result = run(open_items(inv("a", "A", 40, 50000), inv("b", "B", 20, 30000)), customers("A", "B"))
    filled = attach_letters(result, {"B": "b.html"})
    assert dict(zip(filled.notices["customer_id"], filled.notices["letter"])) == {"A": "", "B": "b.html"}
    assert (result.notices["letter"] == "").all()


# ---------------------------------------------------------------- properties


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(-10, 200), st.integers(1, 10**7), st.booleans()),
                min_size=1, max_size=25),
       st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 90), st.integers(1, 4)), max_size=6),
       st.sampled_from([0, 5, 8.25, 12]))
def test_notice_invariants(rows, log_entries, rate) -> None:
    items = open_items(*(inv(f"I{i}", c, d, cents, disputed=disp) for i, (c, d, cents, disp) in enumerate(rows)))
    the_log = log(*log_entries)
    result = run(items, customers("A", "B", "C", "D"), the_log, settings=Settings(dunning_interest_pa=rate))
    for n in result.notices.itertuples():
        lines = result.items[result.items["customer_id"] == n.customer_id]
        assert n.overdue_amount == lines["outstanding"].sum() >= 10000
        assert n.interest == lines["interest"].sum()
        assert n.total_due == n.overdue_amount + n.interest + n.fee
        assert n.max_days_overdue == lines["days_overdue"].max() and (lines["days_overdue"] >= 1).all()
        in_window = [(d, lv) for c, d, lv in log_entries if c == n.customer_id and 0 < d <= 60]
        cap = 1 if not in_window else max(lv for d, lv in in_window if d == min(d for d, _ in in_window)) + 1
        by_age = max(lv.level for lv in LEVELS if lv.from_days <= n.max_days_overdue)
        assert n.level == min(by_age, cap)
        assert n.fee == next(lv.fee_cents for lv in LEVELS if lv.level == n.level)
    dunned, excluded = set(result.notices["customer_id"]), set(result.excluded["customer_id"])
    assert not dunned & excluded
    overdue_customers = {c for c, d, cents, _ in rows if d >= 1}
    assert dunned | excluded == overdue_customers


def test_level_fee_rounds_half_up_to_the_cent():
    from decimal import Decimal

    from xlfin.engine.dunning import DunningLevel

    assert DunningLevel(level=1, from_days=1, action="a", template="reminder", fee=Decimal("12.345")).fee_cents == 1235
    assert DunningLevel(level=1, from_days=1, action="a", template="reminder", fee=Decimal("50")).fee_cents == 5000
