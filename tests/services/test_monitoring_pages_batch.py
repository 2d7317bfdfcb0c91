"""A project's monitoring page evaluates it at its date and at each checkpoint from one read of
each input (``pages.project_at_dates``); it gives exactly what ``evaluate_dates`` gives."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.services.test_monitoring_speed_equivalence import DATES, projects  # noqa: F401 (fixture)
from tracker.models import DeviationExplanation, ProgressReport
from tracker.services.monitoring.evaluate import evaluate_dates
from tracker.services.monitoring.pages import project_at_dates
from tracker.services.settings import monitoring_settings


def _batched(session, project, as_of: date):  # type: ignore[no-untyped-def]
    reports = list(session.scalars(select(ProgressReport).where(ProgressReport.project_id == project.id)
                                   .order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc())))
    explanations = list(session.scalars(select(DeviationExplanation).where(
        DeviationExplanation.project_id == project.id)))
    return project_at_dates(session, project, as_of, monitoring_settings(session), reports, explanations)


@pytest.mark.parametrize("day", DATES)
def test_the_pages_batched_evaluation_equals_evaluate_dates(session, projects, day: str) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    as_of = date.fromisoformat(day)
    for project in projects:
        checkpoints, got = _batched(session, project, as_of)
        expected = evaluate_dates(session, [as_of, *checkpoints], [project.id])
        assert checkpoints and set(got) == {as_of, *checkpoints}
        for when, evaluation in got.items():
            assert evaluation == expected[when][project.id], (project.name, when)
            assert str(evaluation.spent) == str(expected[when][project.id].spent)


def test_the_pages_batched_evaluation_reads_each_dates_adjusted_version(session) -> None:  # type: ignore[no-untyped-def]
    """Budget, plan and target adjustments: each date reads the version valid then."""
    from decimal import Decimal

    from tests.monitoring_builders import add_ledger, make_project, make_unit, report
    from tracker.services.adjustments import AdjustmentForm, adjust

    unit = make_unit(session)
    project = make_project(session, unit, budget="1000000", plan={
        "03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}, indicators=[
        {"name": "支持企业数", "target_raw": "≥10家", "target_number": Decimal(10), "target_unit": "家"},
        {"name": "年底前完成", "kind": "deadline", "op": None, "target_number": None,
         "deadline": date(2025, 12, 31)}])
    add_ledger(session, unit, ("2025-01-01", "2025-09-30"), [(project, "2025-05-10", "300000")])
    report(session, project.indicators[0], "2025-06-01", value="12")
    for day, likelihood in (("2024-12-31", "impossible"), ("2025-06-30", "possible")):  # last year's: not read
        session.add(DeviationExplanation(project_id=project.id, as_of=date.fromisoformat(day), causes=["other"],
                                         likelihood=likelihood, actor="test"))
    base = {"reason": "年中调整", "approver": "财政局"}
    adjust(session, project, AdjustmentForm(**{**base, "effective_on": "2025-04-01", "budget": "1200000"}),  # type: ignore[arg-type]
           "财务")
    adjust(session, project, AdjustmentForm(**{  # type: ignore[arg-type]
        **base, "effective_on": "2025-09-01", "budget": "600000", "plan": "03-31 10\n06-30 20\n10-31 50\n12-31 100",
        "targets": {str(project.indicators[0].id): "≥20家"}}), "财务")
    for day in ("2025-03-15", "2025-06-30", "2025-09-20", "2025-12-31"):
        as_of = date.fromisoformat(day)
        checkpoints, got = _batched(session, project, as_of)
        expected = evaluate_dates(session, [as_of, *checkpoints], [project.id])
        assert {d: e for d, e in got.items()} == {d: expected[d][project.id] for d in got}
    assert got[date(2025, 6, 30)].indicators[0].status != got[date(2025, 12, 31)].indicators[0].status
