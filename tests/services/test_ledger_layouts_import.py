"""The layouts of issue #15 imported through the service, on SQLite and PostgreSQL: each with
its answer worked by hand (counted rows, spending per project, period, totals check)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.importers import ledger_families as lf
from tests.importers import ledger_fixtures as fx
from tracker.models import Project, Unit
from tracker.services.ledger_import import LedgerUpload, commit, prepare
from tracker.services.spending import spent_through


@pytest.fixture()
def unit(session: Session) -> Unit:
    """高新区科技局 with the 2025 projects the fixtures name (fx.P1–P3, fx.PA, fx.PB)."""
    found = Unit(code="604002", name="高新区科技局")
    session.add(found)
    session.flush()
    for code, name in (fx.P1, fx.P2, fx.P3, fx.PA, fx.PB):
        session.add(Project(unit_id=found.id, year=2025, code=code, name=name, natural_key=code,
                            initial_budget=Decimal("5000000"), annual_budget=Decimal("5000000")))
    session.flush()
    return found


def imported(session: Session, name: str, data: bytes, **options):  # type: ignore[no-untyped-def]
    result = commit(session, prepare(session, LedgerUpload(name, data), **options), "test", None)
    session.flush()
    assert result.imported, result.reason
    return result


def spent(session: Session, as_of: date) -> dict[str, Decimal]:
    totals = spent_through(session, as_of)
    return {p.code: totals[p.id] for p in session.scalars(select(Project)) if totals.get(p.id)}


@pytest.mark.parametrize("totals", [*fx.VOUCHER_BOOK_TOTALS, "借方/贷方 columns"])
def test_kingdee_voucher_book_direction_and_amount(session: Session, unit: Unit, totals: str) -> None:
    """金蝶 凭证序时簿 (.xls, 方向 + 金额 or 借方/贷方, both books, 第1期至第10期): 3 vouchers of P1
    (one voided), 2 of P2 (one a 贷 收回), 1 of P3; only the 71xx/72xx lines count."""
    data = fx.voucher_book(fx.voucher_book_transactions(), totals, columns=totals == "借方/贷方 columns")
    result = imported(session, "凭证序时簿.xls", data)
    summary = result.as_json()
    assert summary["period"] == ["2025-01-01", "2025-10-31"] and summary["period_source"] == "stated"
    assert summary["transactions"] == 24 and summary["counted_rows"] == 5
    assert summary["counted_total_yuan"] == "4035802.38" and summary["unmatched_rows"] == 0
    assert summary["totals_check"]["ok"] is True
    assert spent(session, date(2025, 10, 31)) == {
        fx.P1[0]: Decimal("1023456.78"), fx.P2[0]: Decimal("3000000.00"), fx.P3[0]: Decimal("12345.60")}
    assert spent(session, date(2025, 5, 31)) == {  # P2's 收回 is on 29 June
        fx.P1[0]: Decimal("1023456.78"), fx.P2[0]: Decimal("3500000.00")}


@pytest.mark.parametrize("variant", fx.PROJECT_LEDGER_VARIANTS)
def test_yonyou_project_ledger_rows_take_the_project_above_the_header(session: Session, unit: Unit,
                                                                      variant: str) -> None:
    """用友 项目明细账: no project or account cell on the rows; 7201 counts, its 5001 twin does not."""
    result = imported(session, f"项目明细账_{variant}.xlsx",
                      fx.project_ledger(fx.project_ledger_transactions(), variant))
    summary = result.as_json()
    assert summary["period"] == ["2025-01-01", "2025-06-30"] and summary["period_source"] == "stated"
    assert (summary["transactions"], summary["counted_rows"], summary["unmatched_rows"]) == (10, 5, 0)
    assert summary["counted_total_yuan"] == "1920000.50"
    assert summary["totals_check"]["ok"] is True
    assert spent(session, date(2025, 6, 30)) == {fx.PA[0]: Decimal("220000.50"),
                                                 fx.PB[0]: Decimal("1700000.00")}
    assert spent(session, date(2025, 3, 31)) == {fx.PA[0]: Decimal("230000.50"),
                                                 fx.PB[0]: Decimal("2000000.00")}


def test_a_second_source_is_said_not_to_count(session: Session, unit: Unit) -> None:
    imported(session, "项目明细账.xlsx", fx.project_ledger(fx.project_ledger_transactions()))
    other = imported(session, "凭证序时簿.xls",
                     fx.voucher_book(fx.voucher_book_transactions()[:2], "per_direction"),
                     source="金蝶序时簿")
    summary = other.as_json()
    assert summary["counted_rows"] == 0 and summary["counted_total_yuan"] == "0.00"
    assert "计入支出" not in summary["totals_check"]["explanation"]
    second = [f["message"] for f in summary["findings"] if f["code"] == "second_source"]
    assert len(second) == 1 and "不计入支出" in second[0]


def test_a_declared_period_is_not_called_presumed(session: Session, unit: Unit) -> None:
    rows = [["日期", "凭证号", "摘要", "项目", "科目", "借方", "贷方"],
            ["2025-02-03", "记-1", "设备", f"{fx.PA[0]} {fx.PA[1]}", "7201 事业支出", "100.00", ""]]
    result = imported(session, "序时账.csv", fx.csv_bytes(rows), period="2025-01-01..2025-03-31",
                      unit="高新区科技局")
    summary = result.as_json()
    assert summary["period"] == ["2025-01-01", "2025-03-31"] and summary["period_source"] == "declared"
    assert not [f for f in summary["findings"] if "推定" in f["message"] or "按首末交易日期" in f["message"]]
    assert not [f for f in summary["findings"] if f["code"] == "period_from_transactions"]


# -- the layout families of ledger_families.py (answers worked by hand there) ----------------

@pytest.mark.parametrize(("layout", "counted_rows", "expected", "totals_ok", "options"), [
    ("用友辅助明细账", 6, lf.LEDGER_COUNTED, True, {}),
    ("用友序时账", 6, lf.LEDGER_COUNTED, True, {}),
    ("金蝶明细分类账", 6, lf.LEDGER_COUNTED, True, {"unit": "高新区科技局"}),
    ("浪潮明细账", 6, lf.LEDGER_COUNTED, True, {}),
    ("广东式支付明细", 4, lf.PAYMENTS_COUNTED, True, {}),
    ("山东式清算明细", 4, lf.PAYMENTS_COUNTED, None, {}),
    ("四川式支付明细", 4, lf.PAYMENTS_COUNTED, True,
     {"unit": "高新区科技局", "period": "2025-01-01..2025-06-30"}),
])
def test_layout_families_reach_the_hand_worked_answers(session: Session, unit: Unit, layout: str,
                                                       counted_rows: int, expected: dict[str, Decimal],
                                                       totals_ok: bool | None,
                                                       options: dict[str, str]) -> None:
    name, data = lf.build(layout)
    summary = imported(session, name, data, **options).as_json()
    assert summary["period"] == ["2025-01-01", "2025-06-30"]
    assert summary["period_source"] == ("declared" if "period" in options else "stated")
    assert (summary["counted_rows"], summary["unmatched_rows"]) == (counted_rows, 0)
    assert summary["counted_total_yuan"] == f"{sum(expected.values()):.2f}"
    assert summary["totals_check"]["ok"] is totals_ok
    assert spent(session, date(2025, 6, 30)) == expected
    if expected is lf.LEDGER_COUNTED:
        assert spent(session, date(2025, 3, 31)) == lf.LEDGER_COUNTED_TO_MARCH
