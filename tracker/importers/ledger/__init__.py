"""Ledger exports (台账): 明细账, 序时账 and 国库集中支付 payment lists → ``LedgerParse``.

Public API::

    read_ledger(filename, data, *, mapping=None, source_kind=None, count_rule=None, year=None)
        -> LedgerParse

Pure: no database, no Flask.  See reader.py for the reading rules (row_path.py row by row,
columnar.py for big files, row_rules.py for the rows that are not transactions), counting.py
for which rows count as spending and why not (accounts.py: the two books), header.py for the
header words and the canonical field names (``FIELDS``).
"""

from tracker.importers.ledger.accounts import COUNT_RULES, EXCLUDED_STATUSES
from tracker.importers.ledger.header import FIELDS, SYNONYMS
from tracker.importers.ledger.reader import SOURCE_KINDS, read_ledger
from tracker.importers.ledger.records import (LedgerFinding, LedgerParse, LedgerRow, StatedTotal,
                                              TotalsCheck)

__all__ = [
    "COUNT_RULES", "EXCLUDED_STATUSES", "FIELDS", "SOURCE_KINDS", "SYNONYMS", "LedgerFinding",
    "LedgerParse", "LedgerRow", "StatedTotal", "TotalsCheck", "read_ledger",
]
