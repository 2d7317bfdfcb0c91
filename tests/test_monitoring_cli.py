"""The scripted 双监控 contract: ``tracker check``, ``tracker progress add``,
``tracker scheduler --once-at`` and the scheduler's catch-up."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker import jobs, scheduler
from tracker.models import Alert, MonitoringRound, ProgressReport, Snapshot
from tracker.services import rounds

PLAN = {"03-31": "10", "06-30": "40", "10-31": "70", "12-31": "100"}


def _setup(session):  # type: ignore[no-untyped-def]
    unit = make_unit(session, "测试科技局")
    ahead = make_project(session, unit, plan=PLAN, name="研发平台", budget="1000000")
    ahead.code = "P001"
    behind = make_project(session, unit, plan=PLAN, name="科普活动", budget="200000", indicators=[
        {"name": "举办活动场次", "target_raw": "≥10场", "target_number": Decimal(10), "target_unit": "场"},
        {"name": "群众满意度", "level1": "满意度指标", "level2": "服务对象满意度指标",
         "target_raw": "较高", "kind": "qualitative", "op": None},
        {"name": "年底前完成验收", "level2": "时效指标", "target_raw": "2025年12月31日前",
         "kind": "deadline", "op": None, "deadline": date(2025, 12, 31)},
    ])
    behind.code = "P002"
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(ahead, "2025-05-10", "450000"), (behind, "2025-06-01", "20000")])
    session.commit()
    return unit, ahead, behind


def test_check_prints_the_contract_for_every_project(runner, session) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    result = runner("check", "--as-of", "2025-06-30", "--json")
    assert result.exit_code == 0, result.output
    records = {r["project_code"]: r for r in json.loads(result.output)}
    # 研发平台: 450,000 / 1,000,000 = 45% against plan 40% → ratio 112.5 → green
    assert records["P001"] == {
        "project_id": records["P001"]["project_id"], "project_code": "P001", "project_name": "研发平台",
        "unit": {"code": records["P001"]["unit"]["code"], "name": "测试科技局"}, "as_of": "2025-06-30",
        "budget_yuan": "1000000.00", "planned_pct": "40.00", "spent_yuan": "450000.00",
        "execution_pct": "45.00", "gap_pp": "-5.00", "money_status": "green", "results_status": "grey",
        # DOMAIN §2: combined = the worse of money and results, red > yellow > grey > green > blue
        "status": "grey", "ledger_complete": True, "ledger_closed_through": "2025-06-30",
        # forecast by plan: 450,000 + 60% of the budget still planned = 1,050,000, capped at the
        # budget and flagged 超计划支出; 结余 never negative.  By run rate: 450,000 ÷ 50% = 900,000
        "forecast_yuan": "1000000.00", "carry_over_yuan": "0.00",
        "forecast_by_plan_yuan": "1000000.00", "forecast_by_run_rate_yuan": "900000.00",
        "carry_over_by_run_rate_yuan": "100000.00", "over_plan_by_plan": True, "over_plan_by_run_rate": False,
        "indicators": [],
    }
    # 科普活动: 20,000 / 200,000 = 10% against 40% → ratio 25 → red
    assert records["P002"]["execution_pct"] == "10.00" and records["P002"]["money_status"] == "red"
    assert records["P002"]["status"] == "red" and records["P002"]["gap_pp"] == "30.00"
    # per indicator: nothing reported 10 days after 3月底 → yellow 逾期未填报; a deadline not yet
    # due → green 按期推进
    assert records["P002"]["indicators"] == [
        {"name": "举办活动场次", "colour": "yellow", "ratio": None, "label": "逾期未填报"},
        {"name": "群众满意度", "colour": "yellow", "ratio": None, "label": "逾期未填报"},
        {"name": "年底前完成验收", "colour": "green", "ratio": None, "label": "按期推进"}]
    assert records["P002"]["results_status"] == "yellow"
    assert records["P002"]["forecast_by_run_rate_yuan"] == "40000.00"  # 20,000 ÷ 50%
    # a date the ledger does not cover: incomplete, not red
    later = {r["project_code"]: r for r in json.loads(runner("check", "--as-of", "2025-07-15", "--json").output)}
    assert later["P002"]["status"] == "incomplete" and later["P002"]["ledger_complete"] is False
    text = runner("check", "--as-of", "2025-06-30")
    assert "红灯\tP002\t科普活动" in text.output and "2025-06-30：2 个项目" in text.output


def test_check_save_stores_checkpoint_and_check_snapshots(runner, session) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    assert runner("check", "--as-of", "2025-06-30", "--save").exit_code == 0
    snapshots = session.scalars(select(Snapshot).order_by(Snapshot.project_id)).all()
    assert [(s.kind, s.as_of, s.frozen, s.late) for s in snapshots] == [
        ("checkpoint", date(2025, 6, 30), True, True)] * 2  # saved after the day: late
    assert runner("check", "--as-of", "2025-05-15", "--save").exit_code == 0
    assert runner("check", "--as-of", "2025-05-15", "--save").exit_code == 0  # replaces, no duplicate
    checks = session.scalars(select(Snapshot).where(Snapshot.kind == "check")).all()
    assert len(checks) == 2 and {s.as_of for s in checks} == {date(2025, 5, 15)}


def test_progress_add_by_kind(runner, session) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    ok = runner("progress", "add", "--project", "P002", "--indicator", "举办活动场次",
                "--value", "6", "--date", "2025-06-30")
    assert ok.exit_code == 0, ok.output
    assert runner("progress", "add", "--project", "科普活动", "--indicator", "满意度",
                  "--value", "部分达成目标并具有一定效果", "--date", "2025-06-30").exit_code == 0
    assert runner("progress", "add", "--project", "P002", "--indicator", "年底前完成验收",
                  "--value", "2025-06-20", "--date", "2025-06-30").exit_code == 0
    reports = session.scalars(select(ProgressReport).order_by(ProgressReport.id)).all()
    assert [(r.value, r.achievement, r.completed_on) for r in reports] == [
        (Decimal("6"), None, None), (None, "partial", None), (None, None, date(2025, 6, 20))]
    # history kept: a second value is a second report
    assert runner("progress", "add", "--project", "P002", "--indicator", "举办活动场次",
                  "--value", "8", "--date", "2025-07-31").exit_code == 0
    assert session.scalar(select(ProgressReport).order_by(ProgressReport.id.desc())).value == Decimal(8)
    # 6 of 10 × 6/12 → 120% at 06-30 → blue; the results status is the worst indicator (partial → yellow)
    record = next(r for r in json.loads(runner("check", "--as-of", "2025-06-30", "--json").output)
                  if r["project_code"] == "P002")
    assert record["results_status"] == "yellow"


def test_progress_add_refuses_clearly(runner, session) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    bad = runner("progress", "add", "--project", "P002", "--indicator", "举办活动场次",
                 "--value", "六", "--date", "2025-06-30")
    assert bad.exit_code != 0 and "当前完成值应为数字" in str(bad.exception or bad.output)
    missing = runner("progress", "add", "--project", "P999", "--indicator", "x", "--value", "1",
                     "--date", "2025-06-30")
    assert missing.exit_code != 0 and "没有项目编码、名称或 ID 为“P999”" in str(missing.exception)
    wrong_year = runner("progress", "add", "--project", "P002", "--indicator", "举办活动场次",
                        "--value", "1", "--date", "2024-06-30")
    assert wrong_year.exit_code != 0
    assert session.scalar(select(ProgressReport)) is None


def test_once_at_runs_the_jobs_due_at_that_minute(app, runner, session) -> None:  # type: ignore[no-untyped-def]
    config = app.extensions["tracker.config"]
    assert [j.id for j in scheduler.due_at(datetime(2025, 6, 30, 23, 30), config)] == [
        "checkpoint-evaluation", "alert-mail"]  # the mail after the job that raises alerts
    assert [j.id for j in scheduler.due_at(datetime(2025, 6, 30, 23, 45), config)] == ["monitoring-round"]
    assert [j.id for j in scheduler.due_at(datetime(2025, 7, 7, 8, 0), config)] == [
        "monitoring-reminders", "alert-mail"]  # a Monday
    assert [j.id for j in scheduler.due_at(datetime(2025, 7, 8, 8, 0), config)] == ["alert-mail"]
    assert scheduler.due_at(datetime(2025, 7, 8, 8, 5), config) == []
    assert [j.id for j in scheduler.due_at(datetime(2025, 7, 8, 1, 0), config)] == ["monitoring-daily", "alert-mail"]
    assert scheduler.due_at(datetime(2025, 6, 29, 23, 45), config) == []  # not the last day

    _setup(session)
    result = runner("scheduler", "--once-at", "2025-06-30T23:30")
    assert result.exit_code == 0, result.output
    assert "checkpoint-evaluation" in result.output
    snapshots = session.scalars(select(Snapshot)).all()
    assert {(s.as_of, s.frozen, s.late) for s in snapshots} == {(date(2025, 6, 30), True, False)}
    # the round opens at 23:45 on the last day of month N (6 by default)
    assert runner("scheduler", "--once-at", "2025-06-30 23:45").exit_code == 0
    opened = session.scalar(select(MonitoringRound))
    assert (opened.year, opened.month, opened.cutoff, opened.late) == (2025, 6, date(2025, 6, 30), False)
    notice = session.scalar(select(Alert).where(Alert.kind == "round_opened"))
    assert "2025年1-6月预算绩效运行监控已开始" in notice.message and "科普活动（红灯）" in notice.message
    assert runner("scheduler", "--once-at", "2025-07-31 23:45").exit_code == 0  # month 7: nothing new
    assert len(session.scalars(select(MonitoringRound)).all()) == 1
    assert runner("scheduler", "--once-at", "not a date").exit_code != 0


def test_catch_up_evaluates_missed_checkpoints_as_late(app, session) -> None:  # type: ignore[no-untyped-def]
    _unit, ahead, _behind = _setup(session)
    database, config = app.extensions["tracker.db"], app.extensions["tracker.config"]
    jobs.checkpoint_evaluation(database, config, today=date(2025, 3, 31))  # on time
    # the machine was off from April to mid-July: 06-30 23:30 and 06-30 23:45 were missed
    jobs.catch_up(database, config, today=date(2025, 7, 15))
    session.expire_all()
    by_date = {(s.project_id, s.as_of): s for s in session.scalars(select(Snapshot).where(Snapshot.kind == "checkpoint"))}
    march, june = by_date[(ahead.id, date(2025, 3, 31))], by_date[(ahead.id, date(2025, 6, 30))]
    assert (march.late, march.frozen) == (False, True)
    assert (june.late, june.frozen, june.evaluated_on) == (True, True, date(2025, 7, 15))
    assert june.spent == Decimal("450000.00")  # as of its date, not of the day it was caught up
    opened = session.scalar(select(MonitoringRound))
    assert opened.late and opened.opened_on == date(2025, 7, 15)
    assert session.scalar(select(Snapshot).where(Snapshot.kind == "daily")) is not None
    # running the catch-up again changes nothing
    jobs.catch_up(database, config, today=date(2025, 7, 16))
    session.expire_all()
    assert len(session.scalars(select(Snapshot).where(Snapshot.kind == "checkpoint")).all()) == 4
    assert rounds.due_round(session, date(2025, 7, 16)) is None
