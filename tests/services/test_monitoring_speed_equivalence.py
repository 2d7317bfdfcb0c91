"""The bulk evaluation (grouped queries, stored integers, plan curves, memoised judgements)
gives exactly what a straightforward project-by-project computation from the raw rows gives,
on hand-built projects covering every branch the bulk path takes, at month ends and inside
months."""

from __future__ import annotations

import gc
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.core.forecast import forecast_year_end
from tracker.core.indicators import IndicatorStatus, ReportedIndicator, indicator_status, results_status
from tracker.core.money import judge_money, ledger_covers
from tracker.core.plan import (
    PlanCheckpoint,
    default_plan_for,
    is_blank_checkpoint,
    is_monotone,
    monitoring_cutoff,
    monotone_envelope,
    planned_pct,
)
from tracker.core.status import overall_status
from tracker.models import (
    DeviationExplanation,
    Indicator,
    LedgerBatch,
    LedgerRow,
    PlanPoint,
    ProgressReport,
    Project,
)
from tracker.services import spending
from tracker.services.gc_pause import collector_paused
from tracker.services.monitoring.evaluate import ProjectEvaluation, evaluate, evaluate_dates
from tracker.services.monitoring.settings import reminder_settings
from tracker.services.settings import monitoring_settings
from tracker.services.spending import closed_through, refresh_month_totals, spent_through

D = date.fromisoformat
DATES = ["2025-01-01", "2025-02-28", "2025-03-31", "2025-04-10", "2025-05-31", "2025-06-15",
         "2025-06-29", "2025-06-30", "2025-07-20", "2025-12-31"]


def straightforward(session: Session, project: Project, as_of: date) -> dict[str, Any]:
    """One project at ``as_of`` read object by object, spending summed from its ledger rows."""
    settings, reminders = monitoring_settings(session), reminder_settings(session)
    own = [p for p in session.scalars(select(PlanPoint).where(PlanPoint.project_id == project.id))
           if p.checkpoint.year == project.year]
    points = [p for p in own if not is_blank_checkpoint(p.raw)]  # blank checkpoints: no point
    plan = tuple(PlanCheckpoint(p.checkpoint, p.cumulative_pct) for p in points) \
        or default_plan_for(project.year, settings)
    if points and not is_monotone(plan):
        plan = monotone_envelope(plan)
    given = {p.checkpoint for p in own if not p.is_default}
    first_checkpoint = min(given | {monitoring_cutoff(project.year, settings)}) if given \
        else min(date(project.year, 3, 31), monitoring_cutoff(project.year, settings))

    spent = Decimal("0.00")
    for row in session.scalars(select(LedgerRow).where(LedgerRow.project_id == project.id)):
        batch = session.get(LedgerBatch, row.batch_id)
        if (row.counts and row.superseded_by_batch_id is None and batch is not None
                and batch.status == "active" and date(as_of.year, 1, 1) <= row.date <= as_of):
            spent += row.amount
    closed = closed_through(session, project.unit_id)
    covered = ledger_covers(closed, as_of)
    money = judge_money(spent, project.annual_budget, planned_pct(plan, as_of), settings, covered)

    explanations = [e for e in session.scalars(select(DeviationExplanation).where(
        DeviationExplanation.project_id == project.id)) if date(as_of.year, 1, 1) <= e.as_of <= as_of]
    latest_explanation = max(explanations, key=lambda e: (e.as_of, e.id), default=None)
    indicators = []
    for indicator in session.scalars(select(Indicator).where(Indicator.project_id == project.id)
                                     .order_by(Indicator.position, Indicator.id)):
        reports = [r for r in session.scalars(select(ProgressReport).where(
            ProgressReport.indicator_id == indicator.id)) if r.reported_on <= as_of]
        latest = max(reports, key=lambda r: (r.reported_on, r.id), default=None)
        try:
            status = indicator_status(ReportedIndicator(
                kind=indicator.kind, operator=indicator.op, target=indicator.target_number,  # type: ignore[arg-type]
                deadline=indicator.deadline, current=latest.value if latest else None,
                achievement=latest.achievement if latest else None,
                completed_on=latest.completed_on if latest else None,
                unit=indicator.target_unit, name=indicator.name,
                likelihood=latest_explanation.likelihood if latest_explanation else None,
            ), as_of, settings, first_checkpoint + timedelta(days=reminders.progress_due_days))
        except ValueError as error:
            status = IndicatorStatus("grey", "无法判断", note=str(error))
        report_values = None if latest is None else (
            latest.id, latest.reported_on, latest.value, latest.achievement, latest.completed_on)
        indicators.append((indicator.id, report_values, status))
    results = results_status(status for _, _, status in indicators)
    return {
        "spent": str(spent), "budget": str(project.annual_budget), "money": money,
        "covered": covered, "closed": closed,
        "forecast": forecast_year_end(spent, project.annual_budget, plan, as_of,
                                      settings.time_progress_method),
        "indicators": indicators, "results": results,
        "overall": overall_status(money.colour, results),
    }


def bulk(evaluation: ProjectEvaluation) -> dict[str, Any]:
    return {
        "spent": str(evaluation.spent), "budget": str(evaluation.budget), "money": evaluation.money,
        "covered": evaluation.ledger_covered, "closed": evaluation.ledger_closed_through,
        "forecast": evaluation.forecast,
        "indicators": [(i.indicator_id, None if i.report is None else tuple(i.report), i.status)
                       for i in evaluation.indicators],
        "results": evaluation.results, "overall": evaluation.overall,
    }


@pytest.fixture()
def projects(session: Session) -> list[Project]:
    return mixed_projects(session)


def mixed_projects(session: Session) -> list[Project]:
    """Projects, plans, indicators, reports, explanations and ledger batches covering every
    branch of the bulk evaluation (flushed, not committed)."""
    unit, other_unit = make_unit(session), make_unit(session, "教育局")
    quarters = make_project(session, unit, budget="1000000", plan={
        "03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}, indicators=[
        {"name": "企业数", "target_number": Decimal(10)},
        {"name": "覆盖率", "target_number": Decimal("95.5")},
        {"name": "成本", "kind": "reverse", "op": "<=", "target_number": Decimal(50)},
        {"name": "严格成本", "kind": "reverse", "op": "<", "target_number": Decimal(50)},
        {"name": "满意度", "kind": "qualitative", "op": None, "target_number": None},
        {"name": "时限", "kind": "deadline", "op": None, "target_number": None,
         "deadline": D("2025-05-31")},
        {"name": "无法解析", "target_number": None},
        {"name": "未填报", "target_number": Decimal(3)},
        {"name": "目标为0", "target_number": Decimal(0)},
        {"name": "验收合格率", "op": "=", "target_number": Decimal(100), "target_unit": "%"},
        {"name": "补助标准", "op": None, "target_number": Decimal(10), "target_unit": "万元/家"},
        {"name": "补助企业", "target_number": Decimal(10), "target_unit": "家"},
        {"name": "年底前完成", "kind": "deadline", "op": None, "target_number": None,
         "deadline": D("2025-12-31")},
    ])
    blank = make_project(session, other_unit, budget="300000", plan={
        "03-31": "", "06-30": "", "10-31": "", "12-31": "100"}, indicators=[
        {"name": "企业满意度", "target_number": Decimal(90), "target_unit": "%"},
        {"name": "当年完成", "kind": "deadline", "op": None, "target_number": None,
         "deadline": D("2025-12-31")}])
    dipping = make_project(session, unit, budget="250000.50", plan={
        "03-31": "30", "06-30": "60", "10-31": "50", "12-31": "100"}, indicators=[
        {"name": "同一天两次填报", "target_number": Decimal(8)},
        {"name": "判断日之后才完成", "kind": "deadline", "op": None, "target_number": None,
         "deadline": D("2025-06-20")}])
    default_points = make_project(session, unit, plan={"06-30": "40", "12-31": "100"},
                                  default_plan=True)
    no_plan = make_project(session, unit, budget="80000")
    zero_budget = make_project(session, other_unit, budget="0", indicators=[
        {"name": "企业数", "target_number": Decimal(10)}])
    one_point = make_project(session, other_unit, budget="1000", plan={"09-30": "100"})

    q = quarters.indicators
    report(session, q[0], "2025-03-20", value="2")
    report(session, q[0], "2025-06-10", value="4.5")
    report(session, q[0], "2025-07-15", value="9")  # after some dates: not counted there
    report(session, q[1], "2025-06-01", value="47.75")
    report(session, q[2], "2025-05-01", value="50")
    report(session, q[3], "2025-05-01", value="50")
    report(session, q[4], "2025-04-01", achievement="部分达成目标并具有一定效果")
    report(session, q[4], "2025-06-20", achievement="达成目标")
    report(session, q[5], "2025-06-02", completed_on="2025-06-02")
    report(session, q[8], "2025-02-01", value="0")
    d = dipping.indicators
    report(session, d[0], "2025-06-01", value="1")
    report(session, d[0], "2025-06-01", value="7")  # same day: the one entered last counts
    report(session, d[1], "2025-06-01", completed_on="2025-06-25")
    report(session, zero_budget.indicators[0], "2025-06-30", value="10")
    report(session, q[9], "2025-06-01", value="100")
    report(session, q[10], "2025-06-01", value="9")
    report(session, q[11], "2025-06-01", value="4")
    report(session, blank.indicators[0], "2025-06-01", value="92")
    for project, day, likelihood in ((quarters, "2025-03-31", "possible"), (quarters, "2025-06-30", "impossible"),
                                     (blank, "2025-06-30", "certain"), (no_plan, "2024-12-31", "impossible")):
        session.add(DeviationExplanation(project_id=project.id, as_of=D(day), causes=["other"],
                                         likelihood=likelihood, actor="test"))

    first = add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [
        (quarters, "2025-01-01", "100000"), (quarters, "2025-02-28", "0.01"),
        (quarters, "2025-03-31", "-2500.25"), (quarters, "2025-06-14", "120000"),
        (quarters, "2025-06-15", "33.33"), (quarters, "2025-06-16", "1"),
        (quarters, "2025-06-30", "200000"), (dipping, "2025-04-10", "70000"),
        (dipping, "2025-06-15", "80000.49"), (default_points, "2025-05-31", "12345.67"),
        (no_plan, "2025-06-29", "40000"), (no_plan, "2025-07-20", "999")])
    rows = list(session.scalars(select(LedgerRow).where(LedgerRow.batch_id == first.id)
                                .order_by(LedgerRow.row_number)))
    rows[1].counts = False  # a row that does not count
    rows[4].project_id = None  # an unmatched row
    replacing = add_ledger(session, unit, ("2025-06-01", "2025-06-30"), [
        (quarters, "2025-06-15", "5000")])
    rows[5].superseded_by_batch_id = replacing.id  # replaced by the newer batch
    undone = add_ledger(session, other_unit, ("2025-01-01", "2025-07-31"), [
        (zero_budget, "2025-03-01", "10")])
    undone.status = "undone"
    add_ledger(session, other_unit, ("2025-01-01", "2025-06-15"), [
        (one_point, "2025-06-15", "500"), (zero_budget, "2025-06-01", "0")])
    session.flush()
    refresh_month_totals(session, [p.id for p in (quarters, dipping, default_points, no_plan,
                                                  zero_budget, one_point)])
    session.expire_all()  # read back what is stored (100000 as 100000.00), as a fresh request would
    return [quarters, dipping, default_points, no_plan, zero_budget, one_point, blank]


@pytest.mark.parametrize("day", DATES)
def test_bulk_evaluation_equals_the_straightforward_one(session, projects, day: str) -> None:  # type: ignore[no-untyped-def]
    as_of = D(day)
    everything = evaluate(session, as_of)
    assert sorted(everything) == sorted(p.id for p in projects)
    for project in projects:
        expected = straightforward(session, project, as_of)
        assert bulk(everything[project.id]) == expected, project.name
        assert bulk(evaluate(session, as_of, [project.id])[project.id]) == expected
    assert {pid: e.spent for pid, e in everything.items() if e.spent} == \
        {pid: spent for pid, spent in spent_through(session, as_of).items() if spent}


@pytest.mark.parametrize("day", ["2025-06-15", "2025-06-30", "2025-07-20"])
def test_current_status_judges_money_at_each_units_ledger_date(session, projects, day: str) -> None:  # type: ignore[no-untyped-def]
    as_of = D(day)
    current = evaluate(session, as_of, money_at_ledger_date=True)
    for project in projects:
        evaluation = current[project.id]
        money_day = evaluation.money_as_of
        assert money_day == min(as_of, closed_through(session, project.unit_id) or as_of)
        expected = straightforward(session, project, money_day)
        got = bulk(evaluation)
        assert (got["spent"], got["money"], got["forecast"]) == \
            (expected["spent"], expected["money"], expected["forecast"])


@pytest.mark.parametrize("day", ["2025-02-28", "2025-06-15", "2025-06-30"])
def test_spent_through_equals_the_rows_summed_one_by_one(session, projects, day: str) -> None:  # type: ignore[no-untyped-def]
    """The one reading of "spent by a date" (month totals, and the rows of a partial month)
    equals the straightforward sum of each project's counted rows, for every project and for
    a list of them, with the same exponent."""
    as_of = D(day)
    ids = [projects[0].id, projects[3].id]
    expected = {p.id: straightforward(session, p, as_of)["spent"] for p in projects}
    everything = spent_through(session, as_of)
    assert {pid: str(everything.get(pid, Decimal("0.00"))) for pid in expected} == expected
    listed = spent_through(session, as_of, ids)
    assert set(listed) <= set(ids)
    assert {pid: str(listed.get(pid, Decimal("0.00"))) for pid in ids} == {pid: expected[pid] for pid in ids}
    assert any(amount for amount in everything.values())


@pytest.mark.parametrize("day", ["2025-06-14", "2025-06-15", "2025-06-29"])
def test_month_so_far_by_id_sums_the_same_rows(session, projects, day: str) -> None:  # type: ignore[no-untyped-def]
    """The SQLite shape (rows picked by the ids the date index gives) and the plain date range
    sum the same rows, on every database."""
    as_of = D(day)
    days = {"start": as_of.replace(day=1), "day": as_of}
    plain = session.execute(spending._month_so_far(True), days).all()
    by_id = session.execute(spending._month_so_far(True, by_id=True), days).all()
    assert plain and sorted(map(tuple, by_id)) == sorted(map(tuple, plain))


def test_identical_inputs_share_one_judgement(session, projects) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "财政局")
    twins = [make_project(session, unit, indicators=[{"name": "企业数", "target_number": Decimal(10)}])
             for _ in range(2)]
    for twin in twins:
        report(session, twin.indicators[0], "2025-06-01", value="5")
    result = evaluate(session, D("2025-06-30"))
    first, second = (result[t.id].indicators[0] for t in twins)
    assert first.status is second.status
    assert first.report != second.report  # each keeps its own report


def test_collector_pause_resumes_and_leaves_others_alone() -> None:
    """The evaluation pauses the cyclic collector and resumes it with nothing left frozen;
    a collector paused by the caller stays paused, and objects the caller froze stay frozen."""
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with collector_paused():
        assert not gc.isenabled()
        made = [[index] for index in range(2000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0 and len(made) == 2000

    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

    del made
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            made = [[index] for index in range(2000)]
        assert gc.isenabled() and gc.get_freeze_count() > frozen // 2  # not unfrozen (0)
    finally:
        gc.unfreeze()


def test_evaluating_several_dates_at_once_equals_one_date_at_a_time(session, projects) -> None:  # type: ignore[no-untyped-def]
    """``evaluate_dates`` (a project page: today and each checkpoint) shares the reads that do
    not depend on the date; every date's result is still ``evaluate``'s, for all projects, for
    a list of them, and for the current status."""
    days = [D(day) for day in DATES] + [D("2024-12-31")]  # a year without projects
    ids = [projects[0].id, projects[4].id]
    for project_ids, at_ledger in ((None, False), (ids, False), (ids, True), (None, True)):
        together = evaluate_dates(session, reversed(days), project_ids, money_at_ledger_date=at_ledger)
        assert sorted(together) == sorted(days)
        for day in days:
            alone = evaluate(session, day, project_ids, money_at_ledger_date=at_ledger)
            assert {pid: bulk(e) for pid, e in together[day].items()} == \
                {pid: bulk(e) for pid, e in alone.items()}, day
    assert evaluate_dates(session, [D("2025-06-30")], [])[D("2025-06-30")] == {}


def test_the_report_that_counts_is_the_newest_by_date_then_the_last_entered(session) -> None:  # type: ignore[no-untyped-def]
    """The latest-report read (a LATERAL probe of ix_progress_report_latest on PostgreSQL, a
    correlated subquery on SQLite) picks, among the reports on or before the date, the newest
    date and, of several on that date, the highest id, whether every project or some are
    evaluated; a later report, entered before an earlier-dated one, never counts early."""
    unit = make_unit(session)
    project = make_project(session, unit, indicators=[
        {"name": "企业数", "target_number": Decimal(10)}, {"name": "未填报", "target_number": Decimal(5)}])
    other = make_project(session, unit, indicators=[{"name": "企业数", "target_number": Decimal(10)}])
    first, _ = project.indicators
    late = report(session, first, "2025-07-01", value="9")  # entered first, dated last
    report(session, first, "2025-06-01", value="1")
    last_entered = report(session, first, "2025-06-01", value="7")
    report(session, other.indicators[0], "2025-06-01", value="3")
    expected = {"2025-05-31": None, "2025-06-01": (last_entered.id, Decimal(7)),
                "2025-06-30": (last_entered.id, Decimal(7)), "2025-07-01": (late.id, Decimal(9))}
    for day, counted in expected.items():
        for evaluations in (evaluate(session, D(day)), evaluate(session, D(day), [project.id])):
            indicators = evaluations[project.id].indicators
            got = indicators[0].report
            assert (None if got is None else (got.report_id, got.value)) == counted, day
            assert indicators[1].report is None
