"""Bank files written from the standards for the tests: camt.053/054 (several versions and bank styles), MT940
(German ?-subfields, SEPA slash fields, Chinese plain text), CSV (GBK with a preamble, UTF-8 with BOM, English)."""

from __future__ import annotations

NS053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS053_8 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
NS054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"


def camt_entry(amount: str, ccy: str = "EUR", ind: str = "CRDT", ref: str = "R1", date: str = "2024-03-05",
               txs: str = "", rvsl: bool = False, sts: str = "BOOK", new_sts: bool = False) -> str:
    status = f"<Sts><Cd>{sts}</Cd></Sts>" if new_sts else f"<Sts>{sts}</Sts>"
    return (f"<Ntry><NtryRef>N-{ref}</NtryRef><Amt Ccy=\"{ccy}\">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd>"
            + ("<RvslInd>true</RvslInd>" if rvsl else "")
            + f"{status}<BookgDt><Dt>{date}</Dt></BookgDt><ValDt><Dt>{date}</Dt></ValDt>"
            f"<AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd/>"
            + (f"<NtryDtls>{txs}</NtryDtls>" if txs else "") + "</Ntry>")


def camt_tx(amount: str | None = None, ccy: str = "EUR", ref: str = "", e2e: str = "NOTPROVIDED", payer: str = "",
            iban: str = "", ustrd: str = "", strd_ref: str = "", v8: bool = False) -> str:
    amt = f"<Amt Ccy=\"{ccy}\">{amount}</Amt>" if amount else ""
    own = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    dbtr = f"<Dbtr><Pty><Nm>{payer}</Nm></Pty></Dbtr>" if v8 else f"<Dbtr><Nm>{payer}</Nm></Dbtr>"
    parties = (f"<RltdPties>{dbtr}" + (f"<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>" if iban else "")
               + "</RltdPties>") if payer else ""
    rmt = ""
    if ustrd or strd_ref:
        rmt = "<RmtInf>" + (f"<Ustrd>{ustrd}</Ustrd>" if ustrd else "")
        if strd_ref:
            rmt += f"<Strd><CdtrRefInf><Ref>{strd_ref}</Ref></CdtrRefInf></Strd>"
        rmt += "</RmtInf>"
    return (f"<TxDtls><Refs>{own}<EndToEndId>{e2e}</EndToEndId></Refs>{amt}{parties}{rmt}</TxDtls>")


def camt053(entries: list[str], ns: str = NS053, ccy: str = "EUR") -> bytes:
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{ns}\"><BkToCstmrStmt>"
            "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-05T18:00:00</CreDtTm></GrpHdr>\n"
            f"<Stmt><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>{ccy}</Ccy></Acct>\n"
            + "\n".join(entries) + "\n</Stmt></BkToCstmrStmt></Document>\n").encode()


def camt054(entries: list[str]) -> bytes:
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{NS054}\"><BkToCstmrDbtCdtNtfctn>"
            "<GrpHdr><MsgId>N1</MsgId><CreDtTm>2024-03-05T10:00:00</CreDtTm></GrpHdr>\n"
            "<Ntfctn><Id>NT1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>\n"
            + "\n".join(entries) + "\n</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n").encode()


MT940_GERMAN = """:20:STARTUMS
:25:37040044/0532013000
:28C:00001/001
:60F:C240304EUR1000,00
:61:2403050305CR1500,00NTRFNONREF//BANKREF0001
:86:166?00GUTSCHRIFT?20EREF+E2E-77?21SVWZ+Rechnung INV-0001 und?22 INV-0002?32Mueller Handels GmbH?31DE02120300000000202051
:61:2403050305DR200,00NMSCNONREF//BANKREF0002
:86:005?00LASTSCHRIFT?20Miete Maerz?32Vermieter AG
:61:2403060306RC50,00NTRFNONREF//BANKREF0003
:86:166?00RUECKBUCHUNG?20Storno INV-0009?32Storno GmbH
:62F:C240306EUR2250,00
-
"""

MT940_SEPA = """{1:F01BANKDEFFXXXX0000000000}{2:O9401200240306BANKDEFFXXXX00000000002403061200N}{4:
:20:STMT240306
:25:NL91ABNA0417164300
:28C:12/1
:60F:C240305EUR0,00
:61:240306C250,50NTRFREF12345//NL24030600001
/TRCD/00100/
:86:/EREF/E2E-5511//CNTP/NL20INGB0001234567/INGBNL2A/Acme BV///REMI/USTD//Invoice INV-0003/
:61:240306C99,00NTRFNONREF//NL24030600002
:86:/EREF/NOTPROVIDED/ORDP//NAME/Blue Widgets Ltd/ID/GB29NWBK60161331926819/REMI/INV-0004 thanks
:62F:C240306EUR349,50
-}
"""

MT940_CHINA = """:20:940240306
:25:110060149018001234567
:28C:00066
:60F:C240305CNY100000,00
:61:2403060306C88000,00NTRFNONREF//CN2024030600011
:86:上海华东贸易有限公司 货款 INV-0005
:61:2403060306C12000,00NTRFNONREF//CN2024030600012
:86:/NAME/北京星光科技有限公司/ACCW/6222020200112233445/REMI/付INV-0006发票款
:62F:C240306CNY200000,00
"""

CSV_GBK_TEXT = """中国工商银行 账户明细查询
账号,1100 6014 9018 0012 345
币种,人民币
交易日期,交易流水号,摘要,对方户名,对方账号,借方金额,贷方金额,余额,币种,附言
2024-03-06,ICBC202403060001,汇入,上海华东贸易有限公司,6222000011112222,,"30,000.00",130000.00,人民币,货款 INV-0005
2024-03-06,ICBC202403060002,转账支出,房东公司,6222000033334444,"5,000.00",,125000.00,人民币,房租
2024-03-07,ICBC202403060003,冲正,上海华东贸易有限公司,6222000011112222,,-100.00,124900.00,人民币,冲正
2024/03/07,ICBC202403060004,汇入,北京星光科技有限公司,6222000055556666,,"1,234.56",126134.56,人民币,INV-0006
"""
CSV_GBK = CSV_GBK_TEXT.encode("gbk")

CSV_EN = "\ufeffDate;Description;Counterparty;IBAN;Amount;Currency\n05.03.2024;INV-0007 payment;Nordic Oy;FI2112345600000785;1.250,00;EUR\n06.03.2024;Card fee;Bank;;-2,50;EUR\n".encode()


# ---------------------------------------------------------------- a small workbook

import datetime as _dt  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

import pandas as _pd  # noqa: E402

AS_OF = _dt.date(2024, 3, 31)


def small_book_data(lang: str = "en") -> dict[str, _pd.DataFrame]:
    """Five customers (two Chinese), invoices named INV-0001.., a few payments already booked."""
    customers = _pd.DataFrame({
        "customer_id": ["C001", "C002", "C003", "C004", "C005"],
        "name": ["Mueller Handels GmbH", "Acme BV", "上海华东贸易有限公司", "北京星光科技有限公司", "No Mail Ltd"],
        "email": ["ar@mueller.example", "pay@acme.example", "cw@huadong.example", "fin@xingguang.example", None],
        "currency": ["EUR", "EUR", "CNY", "CNY", "EUR"],
        "payment_terms_days": [30, 30, 30, 30, 30],
        "contact": ["Frau Mueller", "Jan", "王经理", "李会计", "Bob"],
    })
    invoices = _pd.DataFrame({
        "invoice_no": ["INV-0001", "INV-0002", "INV-0003", "INV-0004", "INV-0005", "INV-0006", "INV-0007", "CN-0001",
                       "INV-0008"],
        "doc_type": ["Invoice"] * 7 + ["Credit Note", "Invoice"],
        "customer_id": ["C001", "C001", "C002", "C002", "C003", "C004", "C005", "C001", "C003"],
        "invoice_date": [_dt.date(2024, 1, 5), _dt.date(2024, 1, 20), _dt.date(2024, 2, 1), _dt.date(2024, 2, 10),
                         _dt.date(2024, 1, 15), _dt.date(2024, 2, 20), _dt.date(2024, 3, 1), _dt.date(2024, 3, 10),
                         _dt.date(2023, 12, 1)],
        "amount": [1000.00, 500.00, 250.50, 99.00, 88000.00, 12000.00, 1250.00, 100.00, 30000.00],
        "currency": ["EUR", "EUR", "EUR", "EUR", "CNY", "CNY", "EUR", "EUR", "CNY"],
    })
    payments = _pd.DataFrame({
        "payment_id": ["P-1"], "payment_date": [_dt.date(2024, 2, 1)], "customer_id": ["C003"],
        "amount": [30000.00], "currency": ["CNY"], "reference": ["INV-0008"],
    })
    return {"customers": customers, "invoices": invoices, "payments": payments}


def make_book(path: _Path, lang: str = "en", config: dict | None = None) -> _Path:
    from xlfin import schema
    from xlfin.app.demo import fill_input_table, set_config
    from xlfin.template import package_workbook
    from xlfin.template.builder import build_workbook

    wb = build_workbook(lang)
    for key, frame in small_book_data(lang).items():
        fill_input_table(wb, schema.TABLES[key], frame, lang)
    set_config(wb, {"as_of_date": AS_OF, "company_name": "Example Supplies Ltd", "base_currency": "EUR",
                    **(config or {})}, lang)
    path.write_bytes(package_workbook(wb, lang))
    return path
