"""Bank file parsers, pure: bytes -> transactions. Files written from the standards in outreach_samples."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from outreach_samples import (
    CSV_EN,
    CSV_GBK,
    CSV_GBK_TEXT,
    MT940_CHINA,
    MT940_GERMAN,
    MT940_SEPA,
    NS053_8,
    camt053,
    camt054,
    camt_entry,
    camt_tx,
)

from xlfin.outreach.bank import BankFileError, detect_format, parse_bank_file


def test_camt053_batch_booking_gives_one_payment_per_transaction_with_its_own_reference():
    batch = camt_tx("100.00", ref="TX-1", payer="Alpha Ltd", iban="GB29NWBK60161331926819", ustrd="INV-0001") + \
        camt_tx("200.00", ref="TX-2", payer="Beta GmbH", strd_ref="RF18INV0002") + \
        camt_tx("50.25", ref="TX-3", payer="Gamma", ustrd="INV-0003 part")
    f = parse_bank_file(camt053([camt_entry("350.25", ref="BATCH-1", txs=batch)]), "s.xml")
    assert f.format == "camt053"
    assert [(t.bank_ref, t.amount_cents, t.payer_name) for t in f.payments] == [
        ("TX-1", 10000, "Alpha Ltd"), ("TX-2", 20000, "Beta GmbH"), ("TX-3", 5025, "Gamma")]
    assert f.payments[0].payer_account == "GB29NWBK60161331926819"
    assert f.payments[0].reference == "INV-0001"
    assert f.payments[1].reference == "RF18INV0002"


def test_camt_reversals_debits_and_pending_entries_are_not_payments():
    entries = [camt_entry("10.00", ref="A", txs=camt_tx(payer="Payer A", ustrd="INV-1")),
               camt_entry("10.00", ref="B", rvsl=True, txs=camt_tx(payer="Payer A", ustrd="INV-1")),
               camt_entry("99.00", ref="C", ind="DBIT"),
               camt_entry("5.00", ref="D", sts="PDNG")]
    f = parse_bank_file(camt053(entries), "s.xml")
    assert [t.bank_ref for t in f.payments] == ["A"]
    assert [t.bank_ref for t in f.reversals] == ["B"]
    assert {t.bank_ref for t in f.others} == {"C", "D"}


def test_camt053_v08_multi_currency_party_and_status_code():
    entries = [camt_entry("1250.00", ccy="USD", ref="U1", new_sts=True,
                          txs=camt_tx(payer="Delta Inc", ustrd="INV-0009", v8=True)),
               camt_entry("80.00", ccy="EUR", ref="E1", new_sts=True, txs=camt_tx(payer="Epsilon", v8=True))]
    f = parse_bank_file(camt053(entries, ns=NS053_8), "v8.xml")
    assert [(t.currency, t.amount_cents, t.payer_name) for t in f.payments] == [
        ("USD", 125000, "Delta Inc"), ("EUR", 8000, "Epsilon")]


def test_camt054_is_detected_and_carries_the_same_ref_as_the_statement():
    tx = camt_tx(payer="Alpha Ltd", ustrd="INV-0001")
    n = parse_bank_file(camt054([camt_entry("100.00", ref="SAME-1", txs=tx)]), "n.xml")
    s = parse_bank_file(camt053([camt_entry("100.00", ref="SAME-1", txs=tx)]), "s.xml")
    assert n.format == "camt054" and s.format == "camt053"
    assert n.payments[0].bank_ref == s.payments[0].bank_ref == "SAME-1"


@pytest.mark.parametrize("data, where", [
    (camt053([camt_entry("10.00")]).replace(b"</Stmt>", b""), "line 5"),
    (camt053([camt_entry("10,00")]), "<Amt> line 4"),
    (camt053([camt_entry("10.001")]), "more than 2 decimals"),
    (camt053([camt_entry("10.00", ind="XXXX")]), "CdtDbtInd"),
    (camt053([camt_entry("10.00").replace("<BookgDt><Dt>2024-03-05</Dt></BookgDt><ValDt><Dt>2024-03-05</Dt></ValDt>",
                                          "")]), "neither <BookgDt> nor <ValDt>"),
    (camt053([camt_entry("10.00", date="2024-02-30")]), "not a date"),
])
def test_malformed_camt_is_refused_at_its_line_or_element(data, where):
    with pytest.raises(BankFileError) as info:
        parse_bank_file(data, "bad.xml")
    assert "bad.xml" in str(info.value) and where in str(info.value)


def test_entities_are_never_expanded():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<Document><BkToCstmrStmt><Stmt><Ntry>&b;</Ntry></Stmt></BkToCstmrStmt></Document>')
    with pytest.raises(BankFileError, match="DOCTYPE"):
        parse_bank_file(bomb, "bomb.xml")
    external = b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "file:///etc/passwd"><Document/>'
    with pytest.raises(BankFileError, match="DOCTYPE"):
        parse_bank_file(external, "ext.xml")


def test_mt940_german_subfields_reversal_and_debit():
    f = parse_bank_file(MT940_GERMAN.encode(), "de.sta")
    assert f.format == "mt940"
    (p,) = f.payments
    assert (p.bank_ref, p.amount_cents, p.currency, p.booking_date) == ("BANKREF0001", 150000, "EUR",
                                                                        dt.date(2024, 3, 5))
    assert p.payer_name == "Mueller Handels GmbH"  # not glued to the IBAN
    assert p.payer_account == "DE02120300000000202051"
    assert "INV-0001" in p.reference and "INV-0002" in p.reference and "E2E-77" in p.reference
    assert [t.bank_ref for t in f.reversals] == ["BANKREF0003"]
    assert [t.bank_ref for t in f.others] == ["BANKREF0002"]


def test_mt940_sepa_slash_fields_inside_a_swift_block():
    f = parse_bank_file(MT940_SEPA.encode(), "nl.sta")
    a, b = f.payments
    assert (a.payer_name, a.payer_account, a.amount_cents) == ("Acme BV", "NL20INGB0001234567", 25050)
    assert a.reference.startswith("Invoice INV-0003")
    assert (b.payer_name, b.payer_account, b.reference) == ("Blue Widgets Ltd", "GB29NWBK60161331926819",
                                                             "INV-0004 thanks")


def test_mt940_chinese_bank_in_gbk():
    f = parse_bank_file(MT940_CHINA.encode("gbk"), "cn.sta")
    a, b = f.payments
    assert (a.payer_name, a.currency, a.amount_cents) == ("上海华东贸易有限公司", "CNY", 8800000)
    assert "INV-0005" in a.reference
    assert (b.payer_name, b.payer_account, b.reference) == ("北京星光科技有限公司", "6222020200112233445",
                                                             "付INV-0006发票款")


@pytest.mark.parametrize("bad, message", [
    (":61:2403050305CR1500.00NTRFNONREF//X", "line 5"),  # a dot: refused, never silently dropped
    (":61:2403050305CR1500,00", "line 5"),
    (":61:2413050305CR1500,00NTRFNONREF//X", "not a valid YYMMDD"),
])
def test_malformed_mt940_is_refused_at_its_line(bad, message):
    text = MT940_GERMAN.replace(":61:2403050305CR1500,00NTRFNONREF//BANKREF0001", bad)
    with pytest.raises(BankFileError, match=message):
        parse_bank_file(text.encode(), "de.sta")


def test_mt940_without_opening_balance_is_refused():
    with pytest.raises(BankFileError, match="line 4"):
        parse_bank_file(MT940_GERMAN.replace(":60F:C240304EUR1000,00\n", "").encode(), "x.sta")


def test_gbk_csv_detected_with_preamble_chinese_headers_and_reversal():
    assert detect_format(CSV_GBK) == "csv"
    f = parse_bank_file(CSV_GBK, "icbc.csv")
    assert f.encoding == "gb18030"
    assert [(t.bank_ref, t.amount_cents, t.currency, t.payer_name) for t in f.payments] == [
        ("ICBC202403060001", 3000000, "CNY", "上海华东贸易有限公司"), ("ICBC202403060004", 123456, "CNY", "北京星光科技有限公司")]
    assert f.payments[0].reference == "汇入 | 货款 INV-0005"
    assert f.payments[1].booking_date == dt.date(2024, 3, 7)
    assert [t.bank_ref for t in f.reversals] == ["ICBC202403060003"]
    assert parse_bank_file(CSV_GBK_TEXT.encode("utf-8"), "u.csv").payments == f.payments  # same content, UTF-8


def test_english_csv_with_bom_semicolons_and_decimal_comma_has_stable_refs():
    f = parse_bank_file(CSV_EN, "en.csv")
    (p,) = f.payments
    assert (p.amount_cents, p.currency, p.booking_date, p.payer_name) == (125000, "EUR", dt.date(2024, 3, 5),
                                                                         "Nordic Oy")
    assert p.bank_ref == parse_bank_file(CSV_EN, "again.csv").payments[0].bank_ref


def test_csv_column_override_and_bad_cell_named():
    data = "入账日,收入,付款人,附言\n2024-03-01,100.00,甲公司,INV-1\n".encode("gbk")
    with pytest.raises(BankFileError, match="no header row"):
        parse_bank_file(data, "x.csv")
    f = parse_bank_file(data, "x.csv", csv_columns={"date": "入账日", "credit": "收入", "payer_name": "付款人"})
    assert f.payments[0].amount_cents == 10000 and f.payments[0].payer_name == "甲公司"
    bad = "交易日期,贷方金额\n2024-03-01,abc\n".encode()
    with pytest.raises(BankFileError, match="line 2, column '贷方金额'"):
        parse_bank_file(bad, "bad.csv")


def test_statement_with_10000_entries_parses_quickly():
    entries = [camt_entry(f"{i % 997 + 1}.{i % 100:02d}", ref=f"R{i:05d}",
                          txs=camt_tx(payer=f"Payer {i % 50}", ustrd=f"INV-{i:05d}")) for i in range(10_000)]
    data = camt053(entries)
    started = time.perf_counter()
    f = parse_bank_file(data, "big.xml")
    seconds = time.perf_counter() - started
    assert len(f.payments) == 10_000 and len({t.bank_ref for t in f.payments}) == 10_000
    assert seconds < 60, seconds  # about 1 s on an idle machine; generous for a loaded CI


def test_csv_bank_variants_units_in_headers_text_guards_and_direction_words():
    data = ("交易时间,交易日期,收入金额(元),支出金额(元),对方户名,交易流水号,来往账标志,用途\n"
            '10:22:33,2024-03-05,"1,000.00",,甲公司,="000123",来账,INV-1\n'
            "11:00:00,2024-03-06,,50.00,乙公司,=\"000124\",往账,fee\n").encode("gbk")
    f = parse_bank_file(data, "v.csv")
    (p,) = f.payments
    assert (p.booking_date, p.amount_cents, p.bank_ref, p.payer_name) == (dt.date(2024, 3, 5), 100000, "000123",
                                                                         "甲公司")
    signed = "交易日期,交易金额,借贷标志,对方户名\n2024-03-05,200.00,来账,丙公司\n2024-03-05,300.00,往账,丁公司\n"
    g = parse_bank_file(signed.encode("gbk"), "s.csv")
    assert [(t.amount_cents, t.credit) for t in g.transactions] == [(20000, True), (30000, False)]


def test_mt940_trailer_block_is_ignored():
    text = MT940_SEPA.replace("-}\n", "-}{5:{CHK:123456789ABC}}\n")
    assert len(parse_bank_file(text.encode(), "t.sta").payments) == 2
