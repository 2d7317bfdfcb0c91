"""Whether a ledger row counts as spending, and the reason code when it does not: one decision
for the row reader and the columnar fast path.

A row does not count, in this order of precedence:

1. ``voided_status`` / ``returned_status``: its 支付状态 is one of ``EXCLUDED_STATUSES``
   (作废 family, or 已退回 / 退款 / 支付失败 / 待支付 …);
2. ``voided``: its voucher number says 作废, or its 摘要 carries a void mark (【作废】, 已作废 …;
   a 摘要 that only mentions the word counts, and the reader asks to check it);
3. for ledgers, by the book counted (accounts.py: ``ledger_mode``): ``not_budget_account``,
   ``not_expense_account``, ``no_account``;
4. for payment lists, a status in neither list (``unknown_status``): ``unanswered_status``
   until the user answers; answered "not paid", ``returned_status``.

Codes 1–2 (and an answered "not paid") are money listed in the file that never was spending,
whatever the rule: ``EXCLUDED_CODES``, which the printed-totals check leaves out
(records.py).  The Chinese text of each code is ``core/labels.py: LEDGER_REASON_LABELS``.
Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping

from tracker.core.labels import ledger_reason_label
from tracker.importers.ledger.accounts import EXCLUDED_STATUSES, NORMAL_STATUSES, VOIDED_STATUSES
from tracker.importers.ledger.row_rules import VOID_WORD, is_void_mark

VOIDED = "voided"
VOIDED_STATUS = "voided_status"
RETURNED_STATUS = "returned_status"
UNANSWERED_STATUS = "unanswered_status"
NOT_BUDGET_ACCOUNT = "not_budget_account"
NOT_EXPENSE_ACCOUNT = "not_expense_account"
NO_ACCOUNT = "no_account"
#: not the reader's decision: a source other than the unit's counting one (平行记账), decided
#: by the import (``services/ledger_import.py``) for what the preview shows; the rows keep their own
SECOND_SOURCE = "second_source"

#: listed in the file but never spending (voided or returned), whatever the counting rule
EXCLUDED_CODES = frozenset({VOIDED, VOIDED_STATUS, RETURNED_STATUS})
#: counted in ``LedgerParse.voided_rows``; RETURNED_STATUS in ``returned_rows``
VOIDED_CODES = frozenset({VOIDED, VOIDED_STATUS})


def status_code(status: str | None) -> str | None:
    """Rule 1: the code of a 支付状态 known not to be money that left, else None."""
    if status is None or status not in EXCLUDED_STATUSES:
        return None
    return VOIDED_STATUS if status in VOIDED_STATUSES else RETURNED_STATUS


def mark_code(voucher: str | None, summary: str | None) -> tuple[str | None, bool]:
    """Rule 2: ``VOIDED`` for a void voucher or a void mark in the 摘要; the flag says the 摘要
    mentions 作废 without marking the row void (the row counts; the reader asks to check)."""
    if voucher is not None and VOID_WORD in voucher:
        return VOIDED, False
    if summary is not None and VOID_WORD in summary:
        return (VOIDED, False) if is_void_mark(summary) else (None, True)
    return None, False


def row_code(status: str | None, voucher: str | None, summary: str | None) -> tuple[str | None, bool]:
    """Rules 1 and 2, what one row says about itself (see ``mark_code`` for the flag)."""
    code = status_code(status)
    if code is not None:
        return code, False
    return mark_code(voucher, summary)


def account_code(mode: str, account_class: str) -> str | None:
    """Rule 3: None when a row of this account class counts under ``mode`` (accounts.py)."""
    if mode == "all":
        return None
    if account_class == "unknown":
        return NO_ACCOUNT
    if mode == "budget":
        return None if account_class == "budget" else NOT_BUDGET_ACCOUNT
    if mode == "financial" and account_class == "expense":
        return None
    return NOT_EXPENSE_ACCOUNT


def is_unknown_status(status: str) -> bool:
    """Rule 4: a 支付状态 neither known paid nor known unpaid (the preview asks about it)."""
    return status not in EXCLUDED_STATUSES and status not in NORMAL_STATUSES


def answer_code(status: str, answers: Mapping[str, bool]) -> str | None:
    """Rule 4 for an unknown status: counts once answered paid; answered not paid it is money
    that did not leave; unanswered it waits."""
    answer = answers.get(status)
    if answer is None:
        return UNANSWERED_STATUS
    return None if answer else RETURNED_STATUS


def decide(status: str | None, voucher: str | None, summary: str | None, *,
           account: tuple[str, str] | None = None,
           answers: Mapping[str, bool] | None = None) -> tuple[bool, str | None]:
    """The whole decision for one row: (counts, reason code).  ``account`` is the ledger's
    (mode, the row's account class); ``answers`` the payment list's status answers (None for a
    ledger).  The readers apply the same rules a column at a time."""
    code, _ = row_code(status, voucher, summary)
    if code is None and account is not None:
        code = account_code(*account)
    if code is None and answers is not None and status is not None and is_unknown_status(status):
        code = answer_code(status, answers)
    return code is None, code


def reason_text(code: str, status: str | None) -> str:
    """The reason shown and stored for a row with this code (``LEDGER_REASON_LABELS``)."""
    return ledger_reason_label(code, status)
