"""Every label of statements, confirmations, e-mails and the outreach verbs' output, en and zh-CN side by side."""

from __future__ import annotations

from ..schema import Lang
from ..schema.i18n import translate

TEXTS: dict[str, dict[str, str]] = {
    "statement_title": {"en": "Statement of Account", "zh-CN": "对账单"},
    "confirmation_title": {"en": "Balance Confirmation", "zh-CN": "往来款项询证函"},
    "customer": {"en": "Customer", "zh-CN": "客户"},
    "customer_id": {"en": "Customer ID", "zh-CN": "客户编号"},
    "period": {"en": "Period", "zh-CN": "对账期间"},
    "as_of": {"en": "As of", "zh-CN": "截止日期"},
    "currency": {"en": "Currency", "zh-CN": "币种"},
    "date": {"en": "Date", "zh-CN": "日期"},
    "document": {"en": "Document", "zh-CN": "单据号"},
    "description": {"en": "Description", "zh-CN": "摘要"},
    "debit": {"en": "Charges", "zh-CN": "借方(应收增加)"},
    "credit": {"en": "Credits", "zh-CN": "贷方(应收减少)"},
    "balance": {"en": "Balance", "zh-CN": "余额"},
    "opening_balance": {"en": "Opening balance", "zh-CN": "期初余额"},
    "closing_balance": {"en": "Closing balance", "zh-CN": "期末余额"},
    "kind_invoice": {"en": "Invoice", "zh-CN": "发票"},
    "kind_credit_note": {"en": "Credit note", "zh-CN": "贷项通知单"},
    "kind_payment": {"en": "Payment received", "zh-CN": "收款"},
    "ageing": {"en": "Ageing of the open balance", "zh-CN": "未结余额账龄"},
    "bucket_current": {"en": "Not yet due", "zh-CN": "未到期"},
    "days": {"en": "{label} days", "zh-CN": "{label}天"},
    "total": {"en": "Total", "zh-CN": "合计"},
    "open_items": {"en": "Open items", "zh-CN": "未结清项目"},
    "due_date": {"en": "Due date", "zh-CN": "到期日"},
    "outstanding": {"en": "Outstanding", "zh-CN": "未付金额"},
    "unapplied": {"en": "Payments received but not yet applied to invoices (not deducted above): {amount}",
                  "zh-CN": "已收到但尚未核销至发票的款项(未在上表中扣减)：{amount}"},
    "no_movements": {"en": "No movements in this period.", "zh-CN": "本期无发生额。"},
    "statement_note": {"en": "Please check this statement and tell us of any difference within 14 days.",
                       "zh-CN": "请核对本对账单，如有差异请于14日内告知。"},
    "confirmation_intro": {
        "en": "For our auditors' review, please confirm the balance you owe us as of {date}. Our books show "
              "{amount} due from you, made up of the open items below. Payments after that date are not included.",
        "zh-CN": "本公司聘请的会计师事务所正在对本公司财务报表进行审计，按照要求，应当询证本公司与贵公司的往来账项。"
                 "截至{date}，本公司账面显示贵公司尚欠本公司{amount}，明细如下。该日期之后的付款未包括在内。"},
    "confirmation_balance": {"en": "Balance due to us as of {date}", "zh-CN": "截至{date}贵公司欠本公司余额"},
    "reply_title": {"en": "Reply (please sign and return)", "zh-CN": "回函(请签章后寄回)"},
    "reply_agreed": {"en": "[ ] The balance above is agreed.", "zh-CN": "[ ] 上述余额核对相符。"},
    "reply_not_agreed": {"en": "[ ] The balance above is NOT agreed. Our records show: ____________ "
                                "Difference: ____________",
                         "zh-CN": "[ ] 上述余额核对不符。我方记录余额：____________ 差异金额：____________"},
    "reply_details": {"en": "Details of the difference:", "zh-CN": "不符事项及说明："},
    "reply_sign": {"en": "Company stamp / signature: ____________    Date: ____________",
                   "zh-CN": "(公司盖章)经办人签字：____________    日期：____________"},
    "page": {"en": "Page {n}", "zh-CN": "第 {n} 页"},
    "mail_statement_subject": {"en": "Statement of account {customer} as of {date}",
                               "zh-CN": "对账单 {customer} 截至{date}"},
    "mail_confirmation_subject": {"en": "Balance confirmation {customer} as of {date}",
                                  "zh-CN": "询证函 {customer} 截至{date}"},
    "mail_statement_body": {"en": "Dear {contact},\n\nplease find attached your statement of account as of {date}. "
                                  "Closing balance: {amount}.\n\nKind regards\n{company}",
                            "zh-CN": "{contact}您好：\n\n附件为截至{date}的对账单，期末余额：{amount}。\n\n此致\n{company}"},
    "mail_confirmation_body": {"en": "Dear {contact},\n\nplease find attached our balance confirmation as of {date} "
                                     "({amount}). Please sign the reply section and return it to us.\n\n"
                                     "Kind regards\n{company}",
                               "zh-CN": "{contact}您好：\n\n附件为截至{date}的往来款项询证函(余额{amount})，"
                                        "请核对后在回函处签章并寄回。\n\n此致\n{company}"},
    # command-line summaries
    "cli_file": {"en": "{file} ({format}): {transactions} transaction(s), {new} new payment(s)",
                 "zh-CN": "{file}({format})：{transactions} 笔交易，{new} 笔新收款"},
    "cli_appended": {"en": "appended {count} payment(s) ({amount}); {already} already imported; {skipped} "
                           "debit/pending entries skipped",
                     "zh-CN": "已追加 {count} 笔收款({amount})；{already} 笔此前已导入；跳过 {skipped} 笔支出/未入账记录"},
    "cli_would_append": {"en": "would append {count} payment(s) ({amount}); {already} already imported; {skipped} "
                               "debit/pending entries skipped",
                         "zh-CN": "将追加 {count} 笔收款({amount})；{already} 笔此前已导入；跳过 {skipped} 笔支出/未入账记录"},
    "cli_reversal": {"en": "reversal not imported: {file} {where} {ref} {currency} {amount}",
                     "zh-CN": "冲正未导入：{file} {where} {ref} {currency} {amount}"},
    "cli_written": {"en": "written: {path}", "zh-CN": "已写入：{path}"},
    "cli_documents": {"en": "{count} {kind}(s) written to {folder} (PDF + HTML); {queued} queued in the Outbox",
                      "zh-CN": "已生成 {count} 份{kind}(PDF + HTML)，保存在 {folder}；{queued} 封邮件加入发送记录"},
    "cli_no_email": {"en": "no valid e-mail address (not queued): {ids}", "zh-CN": "无有效邮箱(未加入发送)：{ids}"},
    "cli_dry_run": {"en": "dry run: {count} message(s) written as .eml, nothing sent",
                    "zh-CN": "试运行：已生成 {count} 封 .eml 邮件，未发送"},
    "cli_sent": {"en": "sent {sent}, failed {failed}, left queued {left}, already sent before {already}",
                 "zh-CN": "已发送 {sent}，失败 {failed}，仍待发送 {left}，此前已发送 {already}"},
    "cli_failed": {"en": "failed {id}: {error}", "zh-CN": "发送失败 {id}：{error}"},
    "cli_unreachable": {"en": "server unreachable: {error}; run send again",
                        "zh-CN": "无法连接邮件服务器：{error}；请稍后再次运行 send"},
    "kind_statement": {"en": "statement", "zh-CN": "对账单"},
    "kind_confirmation": {"en": "confirmation", "zh-CN": "询证函"},
}


def tr(key: str, lang: Lang, **fmt: object) -> str:
    return translate(TEXTS, key, lang, **fmt)
