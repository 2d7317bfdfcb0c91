"""调整: versions of budget, plan and targets; monitoring uses the version valid at each date;
frozen snapshots keep what was valid then."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.errors import ValidationFailed
from tracker.models import Adjustment, AuditEntry, Snapshot
from tracker.services.monitoring.evaluate import evaluate, evaluate_dates
from tracker.services.monitoring.snapshots import freeze_checkpoints
from tracker.services.adjustments import AdjustmentForm, adjust, parse_plan, versions_at

PLAN = {"03-31": "10", "06-30": "40", "10-31": "70", "12-31": "100"}
D = date.fromisoformat


def _project(session):  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project = make_project(session, unit, plan=PLAN, budget="1000000", indicators=[
        {"name": "支持企业数", "target_raw": "≥10家", "target_number": Decimal(10), "target_unit": "家"}])
    add_ledger(session, unit, ("2025-01-01", "2025-09-30"), [(project, "2025-05-10", "300000")])
    return project


def _form(**values: object) -> AdjustmentForm:
    base = {"effective_on": "2025-07-01", "reason": "年中追加预算", "approver": "财政局"}
    return AdjustmentForm(**{**base, **values})  # type: ignore[arg-type]


def test_budget_adjustment_applies_from_its_date_only(session) -> None:  # type: ignore[no-untyped-def]
    project = _project(session)
    adj = adjust(session, project, _form(budget="1,500,000"), "财务")
    assert (adj.budget_before, adj.budget_after) == (Decimal("1000000.00"), Decimal("1500000.00"))
    assert project.annual_budget == Decimal("1500000")
    # before the adjustment's date the old budget counts: 300,000 / 1,000,000 = 30%
    june = evaluate(session, D("2025-06-30"), [project.id])[project.id]
    assert june.budget == Decimal("1000000.00") and june.money.execution_rate == Decimal(30)
    # from 07-01 on the new one: 300,000 / 1,500,000 = 20%
    july = evaluate(session, D("2025-07-31"), [project.id])[project.id]
    assert july.budget == Decimal("1500000.00") and july.money.execution_rate == Decimal(20)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "adjust_project"))
    assert entry.entity_id == project.id


def test_plan_and_target_versions(session) -> None:  # type: ignore[no-untyped-def]
    project = _project(session)
    indicator = project.indicators[0]
    adjust(session, project, _form(effective_on="2025-08-01", plan="03-31 10\n06-30 20\n10-31 50\n12-31 100",
                                   targets={str(indicator.id): "≥20家"}), "财务")
    assert indicator.target_number == Decimal(20) and indicator.target_raw == "≥20家"
    versions = versions_at(session, D("2025-06-30"), [project.id])
    assert versions[project.id].budget is None
    assert [str(p.cumulative_pct) for p in versions[project.id].plan] == ["10", "40", "70", "100"]
    assert versions[project.id].targets[indicator.id]["target_raw"] == "≥10家"
    assert versions_at(session, D("2025-08-01"), [project.id]) == {}
    june = evaluate(session, D("2025-06-30"), [project.id])[project.id]
    assert june.money.planned_pct == Decimal(40)  # the plan valid on 06-30
    october = evaluate(session, D("2025-10-31"), [project.id])[project.id]
    assert october.money.planned_pct == Decimal(50)


def test_two_adjustments_chain(session) -> None:  # type: ignore[no-untyped-def]
    project = _project(session)
    adjust(session, project, _form(effective_on="2025-04-01", budget="1200000"), "财务")
    adjust(session, project, _form(effective_on="2025-09-01", budget="600000"), "财务")
    budgets = {day: evaluate(session, D(day), [project.id])[project.id].budget
               for day in ("2025-03-31", "2025-06-30", "2025-09-30")}
    assert budgets == {"2025-03-31": Decimal("1000000.00"), "2025-06-30": Decimal("1200000.00"),
                       "2025-09-30": Decimal("600000.00")}
    with pytest.raises(ValidationFailed, match="不能早于"):
        adjust(session, project, _form(effective_on="2025-05-01", budget="1"), "财务")


def test_frozen_snapshot_keeps_what_was_valid_then(session) -> None:  # type: ignore[no-untyped-def]
    project = _project(session)
    freeze_checkpoints(session, D("2025-07-05"))
    june = session.scalar(select(Snapshot).where(Snapshot.project_id == project.id, Snapshot.as_of == D("2025-06-30")))
    assert june.frozen and june.budget == Decimal("1000000.00")
    adjust(session, project, _form(effective_on="2025-06-01", budget="3000000"), "财务")
    freeze_checkpoints(session, D("2025-07-06"))
    session.refresh(june)
    assert june.budget == Decimal("1000000.00") and june.execution_rate == Decimal(30)
    # today's recomputation of 06-30 uses the adjusted budget, effective 06-01
    assert evaluate(session, D("2025-06-30"), [project.id])[project.id].budget == Decimal("3000000.00")


@pytest.mark.parametrize(("values", "message"), [
    ({"budget": "abc"}, "全年预算数应为金额"),
    ({"budget": "-5"}, "不小于 0"),
    ({"effective_on": "2024-12-31", "budget": "1"}, "项目年度"),
    ({"reason": " ", "budget": "1"}, "调整原因"),
    ({"approver": "", "budget": "1"}, "批准人"),
    ({}, "没有需要调整的内容"),
    ({"budget": "1000000"}, "没有需要调整的内容"),
    ({"plan": "06-30 40\n03-31 50"}, "逐期不减"),
    ({"plan": "06-30 140"}, "0 到 100"),
    ({"plan": "2024-06-30 40"}, "2025年内"),
    ({"plan": "六月 40"}, "无法识别"),
])
def test_bad_adjustments_change_nothing(session, values, message) -> None:  # type: ignore[no-untyped-def]
    project = _project(session)
    with pytest.raises(ValidationFailed, match=message):
        adjust(session, project, _form(**values), "财务")
    assert session.scalar(select(Adjustment)) is None
    assert project.annual_budget == Decimal("1000000")


def test_parse_plan_accepts_full_dates_and_percent_signs() -> None:
    plan = parse_plan("2025-03-31 10%\n06-30：40\n\n12-31 100", 2025)
    assert [(p.checkpoint.isoformat(), str(p.cumulative_pct)) for p in plan] == [
        ("2025-03-31", "10"), ("2025-06-30", "40"), ("2025-12-31", "100")]


def test_several_dates_at_once_use_each_dates_version(session) -> None:  # type: ignore[no-untyped-def]
    project = _project(session)
    indicator = project.indicators[0]
    adjust(session, project, _form(effective_on="2025-04-01", budget="1200000"), "财务")
    adjust(session, project, _form(effective_on="2025-09-01", budget="600000",
                                   plan="03-31 10\n06-30 20\n10-31 50\n12-31 100",
                                   targets={str(indicator.id): "≥20家"}), "财务")
    days = [D("2025-03-31"), D("2025-06-30"), D("2025-09-30"), D("2025-12-31")]
    together = evaluate_dates(session, days, [project.id])
    assert [together[d][project.id].budget for d in days] == [
        Decimal("1000000.00"), Decimal("1200000.00"), Decimal("600000.00"), Decimal("600000.00")]
    assert together[D("2025-06-30")][project.id].money.planned_pct == Decimal(40)
    # 09-30 lies 92 of the 123 days from 06-30 (20%) to 10-31 (50%) of the plan valid from 09-01
    assert together[D("2025-09-30")][project.id].money.planned_pct == Decimal(20) + Decimal(30) * 92 / 123
    for day in days:
        assert together[day][project.id] == evaluate(session, day, [project.id])[project.id]


def test_the_plan_before_an_adjustment_skips_blank_checkpoints(session) -> None:  # type: ignore[no-untyped-def]
    """DOMAIN §1: a blank checkpoint is passed “by interpolation between the given neighbours,
    never as 0%” — also in the plan kept as valid before an adjustment."""
    unit = make_unit(session)
    project = make_project(session, unit, budget="1000000", plan={
        "03-31": "", "06-30": "", "10-31": "", "12-31": "100"})
    add_ledger(session, unit, ("2025-01-01", "2025-09-30"), [(project, "2025-05-10", "300000")])
    adjust(session, project, _form(effective_on="2025-08-01", plan="06-30 30\n12-31 100"), "财务")
    june = evaluate(session, D("2025-06-30"), [project.id])[project.id]
    assert round(june.money.planned_pct, 2) == Decimal("49.59")  # 181/365: the plan before 08-01
    august = evaluate(session, D("2025-08-31"), [project.id])[project.id]
    assert august.money.planned_pct > 30  # the adjusted plan from 08-01 on
