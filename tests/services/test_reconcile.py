"""Reconciliation and the unit's counting source (issue #16), on SQLite and PostgreSQL: both
sources imported in either order, a switch and a switch back, frozen snapshots, alerts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.importers import ledger_fixtures as fx
from tracker.errors import ValidationFailed
from tracker.models import Alert, AuditEntry, LedgerRow, Project, Snapshot, Unit
from tracker.services.counting_source import choose
from tracker.services.ledger_import import LedgerUpload, commit, prepare, undo
from tracker.services.ledger_queue import export_spending, unmatched_query
from tracker.services.reconcile import reconcile, rows_behind
from tracker.services.spending import spent_through

d = Decimal
LEDGER = "财务明细账"
TREASURY = "国库集中支付"
UNIT = "604002高新区科技局"


def ledger_txns() -> list[fx.Txn]:
    """The 明细账 of 1-6月 2025: P1 twice (one a 红字 reversal), P2 once; nothing of P3."""
    return [
        fx.Txn(date(2025, 3, 15), "记-0031", "拨付创新资金", "7201 事业支出", *fx.P1, debit=d("1178000.00")),
        fx.Txn(date(2025, 6, 9), "记-0080", "冲销重复拨付", "7201 事业支出", *fx.P1, debit=d("-500000.00")),
        fx.Txn(date(2025, 5, 18), "记-0066", "拨付引导专项资金", "7201 事业支出", *fx.P2, debit=d("300000.00")),
    ]


def treasury_txns() -> list[fx.Txn]:
    """The payment list of 1-6月 2025: P1 paid in full (no reversal), P2 as booked, P3 paid twice
    (576,550 元 the ledger does not show), one returned payment that never counts."""
    rows = [
        fx.Txn(date(2025, 3, 25), "ZF-0001", "科技奖励", "", *fx.P1, debit=d("1178000.00")),
        fx.Txn(date(2025, 5, 20), "ZF-0002", "引导专项", "", *fx.P2, debit=d("300000.00")),
        fx.Txn(date(2025, 4, 7), "ZF-0003", "场馆运维", "", *fx.P3, debit=d("476550.00")),
        fx.Txn(date(2025, 6, 7), "ZF-0004", "场馆运维", "", *fx.P3, debit=d("100000.00")),
        fx.Txn(date(2025, 6, 3), "ZF-0005", "科技奖励", "", *fx.P1, debit=d("9999.00"), status="已退回"),
    ]
    return [replace(t, unit=UNIT) for t in rows]


@pytest.fixture()
def unit(session: Session) -> Unit:
    found = Unit(code="604002", name="高新区科技局")
    session.add(found)
    session.flush()
    for code, name in (fx.P1, fx.P2, fx.P3):
        session.add(Project(unit_id=found.id, year=2025, code=code, name=name, natural_key=code,
                            initial_budget=d("5000000"), annual_budget=d("5000000")))
    session.flush()
    return found


def import_ledger(session: Session, today: date | None = None):  # type: ignore[no-untyped-def]
    data = fx.yonyou_detail_ledger(ledger_txns(), period="2025年1月-6月")
    return _imported(session, "明细账.xlsx", data, today, source=LEDGER)


def import_treasury(session: Session, today: date | None = None):  # type: ignore[no-untyped-def]
    data = fx.payment_csv(treasury_txns(), title=False)
    return _imported(session, "支付明细.csv", data, today, period="2025-01-01..2025-06-30", source=TREASURY)


def _imported(session: Session, name: str, data: bytes, today: date | None, **options):  # type: ignore[no-untyped-def]
    result = commit(session, prepare(session, LedgerUpload(name, data), unit="高新区科技局", **options),
                    "test", None, today=today)
    session.flush()
    assert result.imported, result.reason
    return result


def spent(session: Session, as_of: date = date(2025, 6, 30)) -> dict[str, Decimal]:
    totals = spent_through(session, as_of)
    return {code: totals.get(pid, d("0.00")) for pid, code in session.execute(select(Project.id, Project.code))}


BY_LEDGER = {fx.P1[0]: d("678000.00"), fx.P2[0]: d("300000.00"), fx.P3[0]: d("0.00")}
BY_TREASURY = {fx.P1[0]: d("1178000.00"), fx.P2[0]: d("300000.00"), fx.P3[0]: d("576550.00")}


def test_hand_worked_figures_of_the_two_sources(session: Session, unit: Unit) -> None:
    import_ledger(session)
    assert spent(session) == BY_LEDGER


@pytest.mark.parametrize("order", ["ledger first", "treasury first"])
def test_either_order_the_first_counts_and_the_other_is_kept_and_reconciled(
        session: Session, unit: Unit, order: str) -> None:
    first, second = (import_ledger, import_treasury) if order == "ledger first" else (import_treasury, import_ledger)
    first(session)
    other = second(session)
    assert other.preview.counted_rows == 0  # said at import: does not count now
    counting = LEDGER if order == "ledger first" else TREASURY
    summary = other.as_json()
    assert summary["counting_source"] == counting
    kept = 4 if order == "ledger first" else 3  # the returned payment does not count by its own rule
    assert (summary["kept_for_reconciliation_rows"], summary["kept_for_reconciliation_matched"]) == (kept, kept)
    assert session.get(Unit, unit.id).counting_source == counting
    assert spent(session) == (BY_LEDGER if counting == LEDGER else BY_TREASURY)
    # the other source's rows are stored with their own decision and matched
    stored = session.scalars(select(LedgerRow).where(LedgerRow.batch_id == other.batch.id)).all()
    assert stored and all(r.project_id is not None for r in stored)
    assert sum(r.amount for r in stored if r.counts) == sum(
        (BY_TREASURY if counting == LEDGER else BY_LEDGER).values())
    lines = {line.project_code: line for line in reconcile(session, date(2025, 6, 30))}
    assert {c: (l.ledger, l.treasury, l.difference) for c, l in lines.items()} == {
        fx.P1[0]: (d("678000.00"), d("1178000.00"), d("-500000.00")),
        fx.P2[0]: (d("300000.00"), d("300000.00"), d("0.00")),
        fx.P3[0]: (d("0.00"), d("576550.00"), d("-576550.00")),
    }
    ordered = [line.project_code for line in reconcile(session, date(2025, 6, 30))]
    assert ordered == [fx.P3[0], fx.P1[0], fx.P2[0]]  # flagged first, largest first
    assert {c: l.flagged for c, l in lines.items()} == {fx.P1[0]: True, fx.P2[0]: False, fx.P3[0]: True}
    assert all(l.counting_source == counting for l in lines.values())
    assert lines[fx.P3[0]].months == {date(2025, 4, 1): [d("0.00"), d("476550.00")],
                                      date(2025, 6, 1): [d("0.00"), d("100000.00")]}


def test_switch_and_switch_back_give_back_the_same_figures(session: Session, unit: Unit) -> None:
    import_ledger(session)
    import_treasury(session)
    before = spent(session)
    choice = choose(session, unit.id, TREASURY, "finance", today=date(2025, 7, 5))
    assert choice.before == LEDGER and choice.after == TREASURY
    assert spent(session) == BY_TREASURY
    assert {p["project_code"]: p["spent_yuan"] for p in export_spending(session, date(2025, 6, 30))} == {
        k: f"{v:.2f}" for k, v in BY_TREASURY.items()}
    choose(session, unit.id, LEDGER, "finance", today=date(2025, 7, 5))
    assert spent(session) == before == BY_LEDGER
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "counting_source")
                              .order_by(AuditEntry.id)).all()
    assert [(e.actor, e.details["before"], e.details["after"]) for e in entries] == [
        ("finance", LEDGER, TREASURY), ("finance", TREASURY, LEDGER)]


def test_the_cockpit_reads_the_chosen_source(session: Session, unit: Unit, make_user) -> None:  # type: ignore[no-untyped-def]
    from tracker.models import Role
    from tracker.services import cockpit

    import_ledger(session)
    import_treasury(session)
    leader = make_user(Role.leader)

    def cockpit_spent() -> dict[str, Decimal]:
        data = cockpit.gather(session, leader, cockpit.choose(
            session, leader, year=2025, unit_id=unit.id, as_of="2025-06-30", today=date(2025, 7, 5)))
        assert data is not None
        return {r.name: r.spent for r in data.projects}

    assert cockpit_spent()[fx.P3[1]] == d("0.00")
    choose(session, unit.id, TREASURY, "finance", today=date(2025, 7, 5))
    assert cockpit_spent()[fx.P3[1]] == d("576550.00")
    choose(session, unit.id, LEDGER, "finance", today=date(2025, 7, 5))
    assert cockpit_spent()[fx.P3[1]] == d("0.00")


def test_switch_refuses_an_unknown_or_current_source(session: Session, unit: Unit) -> None:
    import_ledger(session)
    with pytest.raises(ValidationFailed, match="没有来源为“国库集中支付”"):
        choose(session, unit.id, TREASURY, "finance")
    with pytest.raises(ValidationFailed, match="已以“财务明细账”为支出口径"):
        choose(session, unit.id, LEDGER, "finance")


def test_unmatched_queue_holds_the_counting_source_only(session: Session, unit: Unit) -> None:
    import_ledger(session)
    data = fx.payment_csv([replace(treasury_txns()[0], project_code="NOPE", project_name="不存在的项目")],
                          title=False)
    _imported(session, "unknown.csv", data, None, period="2025-01-01..2025-06-30", source=TREASURY)
    assert session.scalars(unmatched_query([unit.id])).all() == []
    choose(session, unit.id, TREASURY, "finance")
    assert len(session.scalars(unmatched_query([unit.id])).all()) == 1


def test_a_frozen_snapshot_survives_a_switch(session: Session, unit: Unit) -> None:
    import_ledger(session)
    import_treasury(session, today=date(2025, 7, 5))  # freezes the 6月底 checkpoint
    frozen = session.scalars(select(Snapshot).where(Snapshot.kind == "checkpoint",
                                                    Snapshot.frozen.is_(True))).all()
    assert frozen
    values = {s.id: (s.spent, s.execution_rate, s.overall_status) for s in frozen}
    choose(session, unit.id, TREASURY, "finance", today=date(2025, 7, 6))
    session.expire_all()
    after = session.scalars(select(Snapshot).where(Snapshot.id.in_(list(values)))).all()
    assert {s.id: (s.spent, s.execution_rate, s.overall_status) for s in after} == values
    assert all(s.frozen and s.kind == "checkpoint" for s in after)
    p3 = session.scalar(select(Project.id).where(Project.code == fx.P3[0]))
    assert next(s for s in after if s.project_id == p3).spent == d("0.00")
    daily = session.scalar(select(Snapshot).where(Snapshot.kind == "daily", Snapshot.project_id == p3,
                                                  Snapshot.as_of == date(2025, 7, 6)))
    assert daily is not None and daily.spent == d("576550.00")  # the recomputation beside it


def test_an_alert_once_per_new_difference(session: Session, unit: Unit) -> None:
    import_ledger(session)
    result = import_treasury(session)
    assert result.differences == 2 and result.as_json()["reconcile_alerts"] == 2
    alerts = session.scalars(select(Alert).where(Alert.kind == "reconcile_difference")).all()
    assert len(alerts) == 2 and all("对账差异" in a.message for a in alerts)
    p3 = next(a for a in alerts if fx.P3[1] in a.message)
    assert "576,550.00" in p3.message
    # the same file again under another name: same differences, no new alert
    again = _imported(session, "支付明细2.csv", fx.payment_csv(treasury_txns(), title=False) + b"\r\n", None,
                      period="2025-01-01..2025-06-30", source=TREASURY)
    assert again.differences == 0
    # a new difference (another P3 payment) raises one new alert, for that project only
    more = [*treasury_txns(), replace(treasury_txns()[2], voucher="ZF-0006", debit=d("1.00"))]
    newer = _imported(session, "支付明细3.csv", fx.payment_csv(more, title=False), None,
                      period="2025-01-01..2025-06-30", source=TREASURY)
    assert newer.differences == 1
    assert session.scalar(select(func.count(Alert.id)).where(Alert.kind == "reconcile_difference")) == 3


def test_one_source_raises_no_alert_and_is_not_reconciled(session: Session, unit: Unit) -> None:
    assert import_ledger(session).differences == 0
    assert reconcile(session, date(2025, 6, 30)) == []
    assert len(reconcile(session, date(2025, 6, 30), unit.id)) == 3


def test_rows_behind_a_difference_come_from_both_sources(session: Session, unit: Unit) -> None:
    import_ledger(session)
    import_treasury(session)
    p1 = session.scalar(select(Project.id).where(Project.code == fx.P1[0]))
    rows = rows_behind(session, unit.id, p1, date(2025, 1, 1), date(2025, 6, 30))
    assert sorted((b.source, r.amount) for r, b in rows) == [
        (TREASURY, d("1178000.00")), (LEDGER, d("-500000.00")), (LEDGER, d("1178000.00"))]


def test_undo_of_the_counting_source_hands_counting_to_the_other(session: Session, unit: Unit) -> None:
    first = import_ledger(session)
    import_treasury(session)
    undo(session, first.batch.id, "test")
    assert session.get(Unit, unit.id).counting_source == TREASURY
    assert spent(session) == BY_TREASURY


def test_cli_reconcile_and_counting_source(runner, session: Session, unit: Unit) -> None:  # type: ignore[no-untyped-def]
    import_ledger(session)
    import_treasury(session)
    session.commit()
    result = runner("ledger", "reconcile", "--as-of", "2025-06-30", "--json")
    assert result.exit_code == 0, result.output
    lines = json.loads(result.output)
    assert lines[0]["project_code"] == fx.P3[0]
    assert {k: lines[0][k] for k in ("project_name", "unit", "ledger_yuan", "treasury_yuan",
                                    "difference_yuan", "counting_source")} == {
        "project_name": fx.P3[1], "unit": "604002 高新区科技局", "ledger_yuan": "0.00",
        "treasury_yuan": "576550.00", "difference_yuan": "-576550.00", "counting_source": LEDGER}
    switched = runner("ledger", "counting-source", "--unit", "高新区科技局", "--source", TREASURY)
    assert switched.exit_code == 0, switched.output
    assert "国库集中支付" in switched.output
    spending = json.loads(runner("export", "spending", "--as-of", "2025-06-30", "--json").output)
    assert {p["project_code"]: p["spent_yuan"] for p in spending}[fx.P3[0]] == "576550.00"
    unknown = runner("ledger", "counting-source", "--unit", "高新区科技局", "--source", "金蝶")
    assert unknown.exit_code != 0 and "没有来源为“金蝶”" in str(unknown.exception)


def test_a_source_whose_batches_were_all_undone_gives_way_to_the_next_import(session: Session, unit: Unit) -> None:
    """The counting source lost its only batch and no other source is left: the next import, of
    another source, counts at once (its rows reach the monthly totals)."""
    first = import_ledger(session)
    undo(session, first.batch.id, "test")
    assert session.get(Unit, unit.id).counting_source == LEDGER  # nothing else to count
    result = import_treasury(session)
    assert result.preview.counted_rows == 4 and not [f for f in result.preview.findings
                                                     if f["code"] == "second_source"]
    assert session.get(Unit, unit.id).counting_source == TREASURY
    assert spent(session) == BY_TREASURY


def test_cli_import_says_the_second_source_is_kept_and_raises_alerts(runner, session: Session, unit: Unit,  # type: ignore[no-untyped-def]
                                                                      tmp_path) -> None:
    session.commit()
    books, payments = tmp_path / "明细账.xlsx", tmp_path / "支付明细.csv"
    books.write_bytes(fx.yonyou_detail_ledger(ledger_txns(), period="2025年1月-6月"))
    payments.write_bytes(fx.payment_csv(treasury_txns(), title=False))
    first = runner("import", "ledger", str(books), "--unit", "高新区科技局", "--source", LEDGER)
    assert first.exit_code == 0, first.output
    assert "仅作核对" not in first.output and "对账差异" not in first.output
    second = runner("import", "ledger", str(payments), "--unit", "高新区科技局", "--source", TREASURY,
                    "--period", "2025-01-01..2025-06-30")
    assert second.exit_code == 0, second.output
    assert "本单位以“财务明细账”计入支出，此来源仅作核对：按自身规则计入的 4 行已保存，匹配到项目 4 行" in second.output
    assert "对账差异 2 项，已发预警" in second.output
