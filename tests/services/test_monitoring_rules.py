"""DOMAIN §2 rules through the bulk evaluation (``monitoring.evaluate.evaluate``) on SQLite and
PostgreSQL: each test quotes the sentence it holds the product to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.models import DeviationExplanation
from tracker.services.monitoring.evaluate import evaluate

D = date.fromisoformat
PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}


def _explain(session: Session, project, day: str, likelihood: str) -> None:  # type: ignore[no-untyped-def]
    session.add(DeviationExplanation(project_id=project.id, as_of=D(day), causes=["other"],
                                     likelihood=likelihood, actor="test"))
    session.flush()


def test_levels_are_compared_with_the_annual_value_counts_are_prorated(session) -> None:  # type: ignore[no-untyped-def]
    """“Counts accumulate, levels do not … (92% against ≥ 90% is green).”  The issue: 企业满意度 92%
    at 06-30 showed blue (v = 204), 验收合格率 100% against = 100% blue (v = 200)."""
    unit = make_unit(session)
    project = make_project(session, unit, plan=PLAN, indicators=[
        {"name": "企业满意度", "target_raw": "≥90%", "target_number": Decimal(90), "target_unit": "%"},
        {"name": "验收合格率", "target_raw": "=100%", "op": "=", "target_number": Decimal(100),
         "target_unit": "%"},
        {"name": "补助企业数量", "target_raw": "≥10家", "target_number": Decimal(10), "target_unit": "家"},
        {"name": "服务对象满意度", "target_raw": "≥95", "target_number": Decimal(95), "target_unit": None}])
    for indicator, value in zip(project.indicators, ("92", "100", "5", "80")):
        report(session, indicator, "2025-06-20", value=value)
    statuses = [i.status for i in evaluate(session, D("2025-06-30"))[project.id].indicators]
    assert [(s.colour, round(s.ratio, 2)) for s in statuses] == [
        ("green", Decimal("102.22")), ("green", Decimal("100.00")),
        ("green", Decimal("100.00")),  # 5 ÷ (10 × 50%)
        ("green", Decimal("84.21"))]  # 80 ÷ 95: a …度 name is a level too (prorated: 168, blue)


def test_unreported_after_the_reporting_deadline_counts_yellow(session) -> None:  # type: ignore[no-untyped-def]
    """“an indicator still unreported after the reporting deadline (setting: the 10th day after a
    checkpoint) counts as yellow (逾期未填报); no indicator reported at all → grey.  Combined …
    (red > yellow > grey > green > blue)”."""
    unit = make_unit(session)
    project = make_project(session, unit, plan=PLAN, indicators=[
        {"name": "企业满意度", "target_number": Decimal(90), "target_unit": "%"},
        {"name": "补助企业数量", "target_number": Decimal(10), "target_unit": "家"}])
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "150000")])
    on_time = evaluate(session, D("2025-04-10"))[project.id]  # 3月底 + 10 days: still on time
    assert on_time.money.colour == "green"  # 15% spent of 14.40% planned
    assert [i.status.colour for i in on_time.indicators] == ["grey", "grey"]
    assert (on_time.results, on_time.overall) == ("grey", "grey")  # green money, nothing judged
    late = evaluate(session, D("2025-04-11"))[project.id]
    assert [(i.status.colour, i.status.label) for i in late.indicators] == [("yellow", "逾期未填报")] * 2
    assert (late.results, late.overall) == ("yellow", "yellow")
    report(session, project.indicators[0], "2025-04-11", value="95")
    report(session, project.indicators[1], "2025-04-11", value="10")  # 10 of 10 × 3.3/12: blue
    both = evaluate(session, D("2025-04-11"))[project.id]
    assert [i.status.colour for i in both.indicators] == ["green", "blue"]
    assert (both.results, both.overall) == ("green", "green")


def test_ledger_incomplete_is_grey_in_the_combined_status(session) -> None:  # type: ignore[no-untyped-def]
    """“Combined 双监控 status = the worse of money and results (red > yellow > grey > green > blue);
    'ledger incomplete' → grey.”"""
    unit = make_unit(session)
    project = make_project(session, unit, plan=PLAN, indicators=[
        {"name": "企业满意度", "target_number": Decimal(90), "target_unit": "%"}])
    add_ledger(session, unit, ("2025-01-01", "2025-05-31"), [(project, "2025-03-01", "100000")])
    report(session, project.indicators[0], "2025-06-01", value="95")
    e = evaluate(session, D("2025-06-30"))[project.id]
    assert (e.money.colour, e.money.note, e.results, e.overall) == ("grey", "台账未覆盖", "green", "grey")


def test_deadline_reads_the_reporters_likelihood(session) -> None:  # type: ignore[no-untyped-def]
    """“Deadline: met on or before the date → green; not yet due → green (按期推进) unless the
    reporter's 完成目标可能性 says 有可能 (yellow) or 完全不可能 (red); due and not met → red (逾期).”
    The likelihood is the project's newest 偏差说明 dated on or before the date judged."""
    unit = make_unit(session)
    deadline = {"name": "年底前完成验收", "kind": "deadline", "op": None, "target_number": None,
                "deadline": D("2025-09-30")}
    project = make_project(session, unit, plan=PLAN, indicators=[deadline])
    neighbour = make_project(session, unit, plan=PLAN, indicators=[deadline])
    _explain(session, project, "2025-03-31", "possible")
    _explain(session, project, "2025-06-30", "impossible")
    _explain(session, neighbour, "2025-06-30", "certain")

    def status(day: str, which=project):  # type: ignore[no-untyped-def]
        s = evaluate(session, D(day), [which.id])[which.id].indicators[0].status
        assert s == evaluate(session, D(day))[which.id].indicators[0].status  # bulk = single
        return s.colour, s.label

    assert status("2025-03-30") == ("green", "按期推进")
    assert status("2025-04-15") == ("yellow", "完成目标可能性：有可能")
    assert status("2025-07-01") == ("red", "完成目标可能性：完全不可能")
    assert status("2025-07-01", neighbour) == ("green", "按期推进")
    assert status("2025-10-01") == ("red", "逾期")
    report(session, project.indicators[0], "2025-09-20", completed_on="2025-09-20")
    assert status("2025-10-01") == ("green", "已完成")


def test_forecasts_capped_and_flagged_carry_over_never_negative(session) -> None:  # type: ignore[no-untyped-def]
    """“Each is capped at 全年预算数 (… a forecast that reaches the cap is flagged 超计划支出).
    预计结转结余 = 全年预算数 − forecast, never negative.”"""
    unit = make_unit(session)
    project = make_project(session, unit, budget="1000000", plan={"10-31": "0", "12-31": "100"})
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-05-10", "297000")])
    e = evaluate(session, D("2025-06-30"))[project.id]
    assert (e.money.colour, e.money.note) == ("green", "未到计划支出时点（已提前支出，不属于进度滞后）")
    f = e.forecast
    assert (f.by_plan, f.over_plan_by_plan, f.carry_over_by_plan) == (Decimal("1000000.00"), True, 0)
    assert (f.by_run_rate, f.over_plan_by_run_rate) == (Decimal("594000"), False)  # ÷ 50%
    assert f.carry_over_by_run_rate == Decimal("406000")
    values = e.snapshot_values()
    assert (values["forecast"], values["carry_over"]) == (Decimal("1000000.00"), Decimal("0.00"))
