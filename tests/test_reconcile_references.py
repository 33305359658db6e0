"""Invoice numbers in remittance text, and payer names (en + zh-CN)."""

from __future__ import annotations

import pytest

from xlfin.engine.reconcile import InvoiceIndex, PayerDirectory, invoice_key, normalise_name, scan, within_one_edit

NUMBERS = [
    "INV-001001",
    "INV-001002",
    "INV-001003",
    "INV-001004",
    "SI/2026/0042",
    "CN-7",
    "INV-2026-0001",
    "A17",
]
OWNER = ["C1", "C1", "C1", "C1", "C1", "C1", "C1", "C1"]


def found(text: str, *, explicit: bool = False, open_=None, scope: str | None = "C1") -> list[str]:
    index = InvoiceIndex.build(NUMBERS, OWNER)
    is_open = (lambda p: True) if open_ is None else (lambda p: NUMBERS[p] in open_)
    result = scan(
        text, index, scope=scope, scope_positions=range(len(NUMBERS)), is_open=is_open, explicit=explicit
    )
    return [NUMBERS[m.position] for m in result.mentions]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("INV-001001", ["INV-001001"]),
        ("inv-001001", ["INV-001001"]),
        ("inv 1001", ["INV-001001"]),
        ("INV1001", ["INV-001001"]),
        ("Invoice No. 1001", ["INV-001001"]),
        ("NO.1001", ["INV-001001"]),
        ("#1001", ["INV-001001"]),
        ("发票号1001货款", ["INV-001001"]),
        ("发票 1001", ["INV-001001"]),
        ("ＩＮＶ－１００１", ["INV-001001"]),  # full-width, as Chinese input methods type it
        ("INV-0001001", ["INV-001001"]),  # an extra leading zero
        ("INV 100 1", ["INV-001001"]),  # a space inside the number
        ("si 2026 42", []),  # zeros inside a number are not leading zeros
        ("SI/2026/0042", ["SI/2026/0042"]),
        ("si-2026-0042 thanks", ["SI/2026/0042"]),
        ("INV-2026-0001", ["INV-2026-0001"]),
        ("payment 2026-03-05 for INV 1002", ["INV-001002"]),  # the date is not an invoice
        ("USD 1,001.00 INV 1003", ["INV-001003"]),  # nor is the amount
        ("INV-1001/1002", ["INV-001001", "INV-001002"]),
        ("1001 & 1002", ["INV-001001", "INV-001002"]),
        ("1002,1001", ["INV-001002", "INV-001001"]),
        ("1001 和 1003", ["INV-001001", "INV-001003"]),
        ("1001-1003", ["INV-001001", "INV-001002", "INV-001003"]),
        ("1001 to 1004", ["INV-001001", "INV-001002", "INV-001003", "INV-001004"]),
        ("1001至1003", ["INV-001001", "INV-001002", "INV-001003"]),
        ("INV-1001 less CN-7", ["INV-001001", "CN-7"]),
        ("1001 1001 INV-1001", ["INV-001001"]),  # each invoice once
        ("17 boxes", []),  # a bare two-digit number is too weak in free text
        ("A17", ["A17"]),
        ("PO 4500012345", []),
        ("", []),
    ],
)
def test_reference_parsing(text, expected):
    assert found(text) == expected


def test_range_only_when_both_ends_are_open_invoices():
    assert found("1001-1003", open_={"INV-001001", "INV-001002"}) == ["INV-001001", "INV-001003"]
    # 1002 is paid: the range still names the open invoices at both ends, and 1002 is not re-opened
    assert found("1001-1004", open_={"INV-001001", "INV-001003", "INV-001004"}) == [
        "INV-001001",
        "INV-001003",
        "INV-001004",
    ]


def test_range_of_unknown_numbers_names_nothing_between():
    assert found("1003-1009") == ["INV-001003"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("INV 1O04", ["INV-001004"]),  # letter O for zero, and only 1004 is that close
        ("SI 2026 0043", ["SI/2026/0042"]),  # one digit wrong
        ("INV 20260010", ["INV-2026-0001"]),  # two neighbours swapped
        ("INV 1005", []),  # distance one from 1001..1004 alike: not guessed
    ],
)
def test_one_character_typos(text, expected):
    assert found(text) == expected


def test_typo_needs_the_payer():
    assert found("INV 1O04", scope=None) == []


def test_explicit_tokens_are_all_tried_and_bare_short_numbers_count():
    assert found("A17; INV-001002", explicit=True) == ["A17", "INV-001002"]
    index = InvoiceIndex.build(NUMBERS, OWNER)
    res = scan(
        "INV-9, 1002", index, scope="C1", scope_positions=range(8), is_open=lambda p: True, explicit=True
    )
    assert [NUMBERS[m.position] for m in res.mentions] == ["INV-001002"]
    assert res.unresolved == ["INV-9"]


def test_scope_keeps_other_customers_invoices_out():
    index = InvoiceIndex.build(["INV-1001", "INV-1002"], ["C1", "C2"])
    res = scan("1001 1002", index, scope="C1", scope_positions=range(1), is_open=lambda p: True)
    assert [m.position for m in res.mentions] == [0]
    res = scan("1001 1002", index, scope=None)
    assert [m.position for m in res.mentions] == [0, 1]


def test_same_key_spelled_two_ways_prefers_exact_spelling():
    index = InvoiceIndex.build(["INV-1001", "1001"], ["C1", "C1"])
    res = scan("INV-1001", index, scope="C1", scope_positions=range(2), is_open=lambda p: True)
    assert [m.position for m in res.mentions] == [0]
    res = scan("no 1001", index, scope="C1", scope_positions=range(2), is_open=lambda p: True)
    assert res.mentions == [] and res.ambiguous == [0, 1]


def test_invoice_key():
    assert invoice_key("INV-000123") == invoice_key("inv 123") == invoice_key("发票号123") == "123"
    assert invoice_key("NORTH-1") == "NORTH1"  # 'NO' is a prefix only before a digit
    assert invoice_key("0000") == "0"


@pytest.mark.parametrize(
    "a, b, close",
    [
        ("1001", "1001", True),
        ("1001", "1002", True),
        ("1001", "101", True),
        ("1001", "10011", True),
        ("1234", "1324", True),
        ("1234", "4231", False),
        ("1001", "1022", False),
        ("12", "1234", False),
    ],
)
def test_within_one_edit(a, b, close):
    assert within_one_edit(a, b) is close and within_one_edit(b, a) is close


@pytest.mark.parametrize(
    "name, key",
    [
        ("ACME Trading Co., Ltd.", "acmetrading"),
        ("Acme Trading Limited", "acmetrading"),
        ("acme trading inc", "acmetrading"),
        ("The Acme Trading Company", "acmetrading"),
        ("ACME-TRADING LLC", "acmetrading"),
        ("Acme Trading GmbH", "acmetrading"),
        ("Acme Trading Corp.", "acmetrading"),
        ("Acme Trading S.A.", "acmetrading"),
        ("上海华信贸易有限公司", "上海华信贸易"),
        ("上海华信贸易股份有限公司", "上海华信贸易"),
        ("上海华信贸易公司", "上海华信贸易"),
        ("上海华信贸易有限责任公司", "上海华信贸易"),
        ("华信（上海）贸易有限公司", "华信上海贸易"),
        ("Ｈｕａｘｉｎ Trading Co.,Ltd", "huaxintrading"),
        ("Limited", "limited"),  # nothing but a legal form: still a name
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name(name, key):
    assert normalise_name(name) == key


def test_payer_directory_exact_truncated_and_ambiguous():
    d = PayerDirectory.build(
        ["C1", "C2", "C3", "C4"],
        [
            "Acme Trading Co., Ltd.",
            "Acme Trading Shanghai Ltd",
            "Blue Star Foods Inc.",
            "Blue Star Foods Limited",
        ],
    )
    assert d.customers_for("ACME TRADING LIMITED") == ["C1"]
    assert d.customers_for("ACME TRADING SHANG") == ["C2"]  # bank truncation
    assert d.customers_for("ACME TRADING SHANGHAI L") == ["C2"]  # cut inside the legal form
    assert d.customers_for("BLUE STAR FOODS") == ["C3", "C4"]  # same name twice: ambiguous
    assert d.customers_for("ACME") == []  # too short to be a truncation
    assert d.customers_for("") == []


def test_index_keys_batch_equals_one_by_one_all_ascii_and_mixed():
    """The batch fast path (every number ASCII) and the mixed path give what ``_index_keys`` gives one by one."""
    from xlfin.engine.reconcile.references import _index_keys, _index_keys_batch

    ascii_numbers = ["INV-1001", "007", "000", "inv 0042", "CN-7", "A1B2", "No. 1234", "1001", "", "INV-0"]
    mixed = [*ascii_numbers, "发票 1003", "ＩＮＶ－１００４", "INV-1005"]
    for numbers in (ascii_numbers, mixed, ["INV-1"], []):
        keys, alnums, digits = _index_keys_batch(numbers)
        assert list(zip(keys, alnums, digits)) == [_index_keys(n) for n in numbers]
