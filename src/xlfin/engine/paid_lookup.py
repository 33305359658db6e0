"""The per-document paid summary that the Invoices sheet's Paid column looks up (issue 12 item 3).

Paid as a SUMIFS over tblAllocations for every invoice makes a spreadsheet's recalculation O(invoices ×
allocations): 10¹⁰ comparisons at 100k rows. xlfin instead writes one row per document number with the amount
paid, sorted, and the Paid formula finds its row by binary search (MATCH with match type 1, O(log n)) and checks
that the key found is its own number; only a number the summary does not hold (a row added since the last run,
or a key the spreadsheet orders differently) falls back to the SUMIFS. Recalculation then grows as n·log n.

The order must agree with the spreadsheet's text comparison, which is case-insensitive and puts punctuation
before digits before letters (Excel and LibreOffice alike). The sort key here does the same for ASCII; other
characters keep their code point order after those. Where the two applications still disagree (Excel's word
sort ignores hyphens and apostrophes, LibreOffice's collator does not) a lookup may miss, and the fallback then
gives the right value at the old cost — never a wrong one.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

# Punctuation in the order spreadsheets sort it, mapped below the digits; letters fold to lower case.
_PUNCTUATION = " !\"#$%&()*,./:;?@[\\]^_`{|}~+<=>'-"
_KEY = str.maketrans(
    {**{ch: chr(1 + i) for i, ch in enumerate(_PUNCTUATION)},
     **{ch: ch.lower() for ch in string.ascii_uppercase}}
)


def lookup_order_key(values: pd.Series) -> pd.Series:
    """A key whose plain string order is the spreadsheet's text order (for ASCII document numbers)."""
    return values.astype(str).str.translate(_KEY)


def paid_summary(open_items: pd.DataFrame) -> pd.DataFrame:
    """invoice_no, paid (cents): one row per distinct document number, in lookup order.

    Every document is listed, paid or not, so that a lookup misses only for numbers the last run did not see.
    """
    if open_items is None or len(open_items) == 0:
        return pd.DataFrame({"invoice_no": pd.Series(dtype=object), "paid": pd.Series(dtype=np.int64)})
    numbers = open_items["invoice_no"]
    keep = numbers.notna() & (numbers.astype(str).str.strip() != "")
    out = pd.DataFrame({"invoice_no": numbers[keep].astype(str).to_numpy(),
                        "paid": open_items.loc[keep, "paid"].to_numpy(dtype=np.int64)})
    out = out.drop_duplicates("invoice_no", keep="first")
    order = np.argsort(lookup_order_key(out["invoice_no"]).to_numpy(dtype=str), kind="stable")
    return out.iloc[order].reset_index(drop=True)
