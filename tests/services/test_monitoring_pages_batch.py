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
