from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.core.money import execution_rate, judge_money, ledger_covers, money_status
from tracker.core.settings import MonitoringSettings

SETTINGS = MonitoringSettings()


@pytest.mark.parametrize(
    ("spent", "budget", "expected"),
    [
        (D("50"), D("200"), D("25")),
        (D("200"), D("200"), D("100")),
        (D("250"), D("200"), D("125")),
        (D("0"), D("200"), D("0")),
        (D("-10"), D("200"), D("-5")),  # only 红字 reversals booked
        (D("10"), D("0"), None),  # budget 0
        (D("0"), D("0"), None),
    ],
)
def test_execution_rate(spent: D, budget: D, expected: D | None) -> None:
    assert execution_rate(spent, budget) == expected


def test_execution_rate_rejects_negative_budget() -> None:
    with pytest.raises(ValueError, match="预算数"):
        execution_rate(D(1), D(-1))


@pytest.mark.parametrize(
    ("actual", "planned", "covered", "status", "ratio", "gap", "note"),
    [
        (D("29.995"), D("50"), True, "red", D("59.99"), D("20.005"), None),
        (D("30"), D("50"), True, "yellow", D("60"), D("20"), None),  # exactly 60 → yellow
        (D("39.995"), D("50"), True, "yellow", D("79.99"), D("10.005"), None),
        (D("40"), D("50"), True, "green", D("80"), D("10"), None),  # exactly 80 → green
        (D("50"), D("50"), True, "green", D("100"), D("0"), None),
        (D("90"), D("50"), True, "green", D("180"), D("-40"), None),  # ahead of plan
        (D("100"), D("100"), True, "green", D("100"), D("0"), None),  # 100% is not overspent
        (D("101"), D("50"), True, "overspent", D("202"), D("-51"), "执行率超过100%（超支）"),
        (D("101"), D("0"), True, "overspent", None, D("-101"), "执行率超过100%（超支）"),
        (D("0"), D("0"), True, "green", None, D("0"), "未到计划支出时点"),
        (D("5"), D("0"), True, "green", None, D("-5"), "未到计划支出时点（已提前支出，不属于进度滞后）"),
        (D("-2"), D("0"), True, "green", None, D("2"), "未到计划支出时点"),
        (D("-2"), D("50"), True, "red", D("-4"), D("52"), None),  # reversal-only ledger
        (D("0"), D("50"), True, "red", D("0"), D("50"), None),
        (D("10"), D("50"), False, "grey", D("20"), D("40"), "台账未覆盖"),  # never red
        (D("120"), D("50"), False, "grey", D("240"), D("-70"), "台账未覆盖；已入账支出已超过全年预算数"),
        (None, D("50"), True, "grey", None, None, "全年预算数为0，无法计算执行率"),
        (None, D("50"), False, "grey", None, None, "台账未覆盖"),
    ],
)
def test_money_status(actual, planned, covered, status, ratio, gap, note) -> None:
    result = money_status(actual, planned, SETTINGS, covered)
    assert (result.status, result.ratio, result.gap_points, result.note) == (status, ratio, gap, note)
    assert result.execution_rate == actual
    assert result.planned_pct == planned


@pytest.mark.parametrize(
    ("status", "colour", "label"),
    [
        ("overspent", "red", "超支"),
        ("red", "red", "红灯"),
        ("yellow", "yellow", "黄灯"),
        ("green", "green", "绿灯"),
        ("grey", "grey", "无法判断"),
    ],
)
def test_money_colour_and_label(status: str, colour: str, label: str) -> None:
    actual = {"overspent": D(110), "red": D(10), "yellow": D(35), "green": D(45), "grey": None}
    result = money_status(actual[status], D(50), SETTINGS, True)
    assert (result.status, result.colour, result.label) == (status, colour, label)


def test_money_status_uses_settings_thresholds() -> None:
    strict = MonitoringSettings(red_below=D(70), yellow_below=D(90))
    assert money_status(D(34), D(50), strict, True).status == "red"  # v = 68
    assert money_status(D(44), D(50), strict, True).status == "yellow"  # v = 88
    assert money_status(D(45), D(50), strict, True).status == "green"  # v = 90


def test_money_status_rejects_negative_plan() -> None:
    with pytest.raises(ValueError, match="计划进度"):
        money_status(D(10), D(-1), SETTINGS, True)


@pytest.mark.parametrize(
    ("spent", "budget", "covered", "status", "rate", "note"),
    [
        (D("60"), D("200"), True, "yellow", D("30"), None),  # v = 30 / 50 × 100 = 60
        (D("0"), D("0"), True, "grey", None, "全年预算数为0，无法计算执行率"),
        (D("-3"), D("0"), True, "grey", None, "全年预算数为0，无法计算执行率"),
        (D("5"), D("0"), True, "overspent", None, "全年预算数为0但已有支出（超支）"),
        (D("5"), D("0"), False, "grey", None, "台账未覆盖"),
        (D("210"), D("200"), True, "overspent", D("105"), "执行率超过100%（超支）"),
    ],
)
def test_judge_money(spent, budget, covered, status, rate, note) -> None:
    result = judge_money(spent, budget, D(50), SETTINGS, covered)
    assert (result.status, result.execution_rate, result.note) == (status, rate, note)


@pytest.mark.parametrize(
    ("closed_through", "checkpoint", "expected"),
    [
        (date(2023, 6, 30), date(2023, 6, 30), True),
        (date(2023, 7, 31), date(2023, 6, 30), True),
        (date(2023, 6, 29), date(2023, 6, 30), False),
        (None, date(2023, 6, 30), False),
    ],
)
def test_ledger_covers(closed_through, checkpoint, expected: bool) -> None:
    assert ledger_covers(closed_through, checkpoint) is expected


# --- one round_money, one 万元 formatter (issue #18) ---------------------------------------


def test_round_money_and_wan_are_half_up_and_exact() -> None:
    from tracker.core.money import round_money, wan_text, yuan_to_wan

    assert round_money(D("0.125")) == D("0.13") and round_money(D("-0.125")) == D("-0.13")
    assert yuan_to_wan(D("12345678.90")) == D("1234.56789")  # exact, nothing rounded
    assert wan_text(D("12345678.90")) == "1234.57"
    assert wan_text(D("12345678.90"), grouped=True) == "1,234.57"
    assert wan_text(D("50.00")) == "0.01"  # 0.005 万元 rounds up
    assert wan_text(D("-0.40")) == "0.00" and wan_text(D("-0.40"), grouped=True) == "0.00"


def test_round_money_and_the_wan_conversion_are_written_once() -> None:
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "tracker"
    copies = [f"{path.relative_to(package)}:{n}"
              for path in sorted(package.rglob("*.py")) if path != package / "core" / "money.py"
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if re.search(r"def (round_money|wan|wan_text)\(|\s/\s*(Decimal\()?10000\b|scaleb\(-4\)", line)]
    assert copies == []


def test_decimal_text_never_shows_an_exponent() -> None:
    from tracker.core.money import decimal_text

    assert [decimal_text(D(t)) for t in ("100", "100.00", "12.50", "0.0400", "20")] == [
        "100", "100", "12.5", "0.04", "20"]


def test_templates_show_numbers_through_the_plain_filter() -> None:
    """``Decimal.normalize()`` alone prints 100 as 1E+2: templates use ``|plain``."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = [str(path) for path in templates.rglob("*.html") if ".normalize()" in path.read_text("utf-8")]
    assert offenders == []
