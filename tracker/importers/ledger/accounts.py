"""Which rows are project spending (the counting rule).

政府会计制度 keeps two books in parallel (平行记账): 预算会计 (budget accounting; expenditure
accounts 7xxx, e.g. 7101 行政支出, 7201 事业支出) and 财务会计 (financial accounting; expense
accounts 5xxx, e.g. 5001 业务活动费用).  The same payment appears in both, so a ledger must count
one book only.  Default rule (``count_rule="auto"``):

* payment lists (国库集中支付): every 支付金额 counts except rows whose 支付状态 is one of
  ``EXCLUDED_STATUSES`` (已退回 / 已退票 / 退款 / 已作废 / 支付失败 / 待支付 / 审核中 …); a status in
  neither list counts only once the user answers that the money left (``counting.py``);
* ledgers that hold any 预算会计 expenditure row (71xx / 72xx) count only those rows; every other
  row is kept but not counted (reason code ``not_budget_account``, see counting.py);
* otherwise ledgers count expense rows (5xxx), debit net of credit (``not_expense_account`` for others);
* a ledger with no account information at all (a single-account 明细账 without a code) counts
  every row, with a warning asking the user to confirm;
* voided (作废) rows never count.

``count_rule`` may force "budget" (71xx/72xx only), "financial" (5xxx only) or "all" (every
ledger row; for an export the user confirms holds one expenditure account).
"""

from __future__ import annotations

from typing import Literal

CountRule = Literal["auto", "budget", "financial", "all"]
COUNT_RULES: tuple[str, ...] = ("auto", "budget", "financial", "all")

# Money that did not leave (DOMAIN §4): returned, refunded, voided, failed or still pending.
VOIDED_STATUSES = frozenset({"已作废", "作废", "已撤销", "撤销"})
EXCLUDED_STATUSES = VOIDED_STATUSES | frozenset({
    "已退回", "退回", "已退票", "退票", "退款", "已退款", "支付失败", "失败", "清算失败",
    "待支付", "未支付", "审核中", "待审核", "已驳回"})
# Statuses seen in 一体化 exports that count; any other status waits for the user's answer.
NORMAL_STATUSES = frozenset({"已支付", "支付成功", "已清算", "清算成功", "已完成", "完成", "已记账",
                             "已入账", "已审核", "正常", "成功"})
BUDGET_PREFIXES = ("71", "72")
EXPENSE_PREFIXES = ("5",)

# Standard 政府会计制度 account names, for rows that print a name without a code.
STANDARD_ACCOUNTS: dict[str, str] = {
    "行政支出": "7101", "事业支出": "7201", "经营支出": "7301", "上缴上级支出": "7401",
    "对附属单位补助支出": "7501", "投资支出": "7601", "债务还本支出": "7701", "其他支出": "7901",
    "业务活动费用": "5001", "单位管理费用": "5101", "经营费用": "5201", "资产处置费用": "5301",
    "上缴上级费用": "5401", "对附属单位补助费用": "5501", "所得税费用": "5801", "其他费用": "5901",
}

AccountClass = Literal["budget", "expense", "other", "unknown"]

def account_class(code: str | None, name: str | None) -> AccountClass:
    """budget (71xx/72xx), expense (5xxx), other, or unknown (no code and no standard name)."""
    if code is None and name is not None:
        first = name.replace("／", "/").replace("—", "-")
        for separator in ("/", "-", "_", "\\", " "):
            first = first.split(separator, 1)[0]
        code = STANDARD_ACCOUNTS.get(first.strip())
    if code is None:
        return "unknown"
    digits = code.strip()
    if digits.startswith(BUDGET_PREFIXES):
        return "budget"
    if digits.startswith(EXPENSE_PREFIXES):
        return "expense"
    return "other"


def ledger_mode(rule: str, classes: set[str]) -> Literal["budget", "financial", "all", "none"]:
    """The book a ledger is counted from, given the account classes present."""
    if rule == "budget":
        return "budget"
    if rule == "financial":
        return "financial"
    if rule == "all":
        return "all"
    if "budget" in classes:
        return "budget"
    if "expense" in classes:
        return "financial"
    if classes <= {"unknown"}:
        return "all"
    return "none"
