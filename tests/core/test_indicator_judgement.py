"""``judge_indicator`` (plain values, for judging many indicators) gives exactly what
``indicator_status(ReportedIndicator(...))`` gives, error messages included."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from itertools import product

import pytest

from tracker.core.indicators import ReportedIndicator, indicator_status, is_level, judge_indicator
from tracker.core.settings import MonitoringSettings

JUNE = date(2023, 6, 30)
DAY = MonitoringSettings(time_progress_method="day", blue_from=D(150))
KINDS = ["quantitative", "reverse", "qualitative", "deadline", "ratio"]
OPERATORS = [None, ">=", ">", "=", "<=", "<", "≥"]
TARGETS = [None, D(-5), D(0), D("95.5"), D(100)]
CURRENTS = [None, D(-1), D(0), D("29.995"), D("47.75"), D(130)]
ACHIEVEMENTS = [None, "  ", " 部分达成年度指标并具有一定效果 ", "较好"]
DEADLINES = [(None, None), (date(2023, 5, 31), None), (date(2023, 5, 31), date(2023, 5, 31)),
             (date(2023, 5, 31), date(2023, 6, 2)), (date(2023, 7, 31), date(2023, 7, 2)),
             (date(2023, 7, 31), None)]


def through_dataclass(kind, operator, target, current, achievement, deadline, completed_on,  # type: ignore[no-untyped-def]
                      as_of, settings, reporting_deadline):
    try:
        reported = ReportedIndicator(kind, operator, target, current, achievement, deadline,  # type: ignore[arg-type]
                                     completed_on)
        return indicator_status(reported, as_of, settings, reporting_deadline)
    except ValueError as error:
        return ("ValueError", str(error))


def directly(kind, operator, target, current, achievement, deadline, completed_on,  # type: ignore[no-untyped-def]
             as_of, settings, reporting_deadline):
    try:
        return judge_indicator(kind, operator, target, deadline, current, achievement, completed_on,
                               as_of, settings, reporting_deadline, level=is_level(operator, None, None))
    except ValueError as error:
        return ("ValueError", str(error))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("as_of", "settings"), [(JUNE, MonitoringSettings()), (date(2024, 7, 1), DAY)])
def test_judge_indicator_equals_indicator_status(kind: str, as_of: date, settings: MonitoringSettings) -> None:
    cases = 0
    for operator, target, current, achievement, (deadline, completed_on), reporting_deadline in product(
            OPERATORS, TARGETS, CURRENTS, ACHIEVEMENTS, DEADLINES, [None, date(2023, 6, 1)]):
        args = (kind, operator, target, current, achievement, deadline, completed_on, as_of, settings,
                reporting_deadline)
        assert directly(*args) == through_dataclass(*args), args
        cases += 1
    assert cases == 7 * 5 * 6 * 4 * 6 * 2


def test_statuses_without_indicator_values_are_shared_and_frozen() -> None:
    first = judge_indicator("reverse", "<=", D(10), None, D(5), None, None, JUNE, MonitoringSettings())
    second = judge_indicator("quantitative", "<", D(50), None, D(1), None, None, JUNE, MonitoringSettings())
    assert first == second and first.note == "在指标值以内"
    with pytest.raises(AttributeError):
        first.colour = "red"  # type: ignore[misc]
