"""DOMAIN.md §2 and §3 as now written, one test per rule: each docstring quotes the sentence
the test holds the code to."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest

from tracker.core.evaluation import IndicatorResult, evaluate
from tracker.core.forecast import forecast_year_end
from tracker.core.indicators import ReportedIndicator, indicator_status, is_level, results_status
from tracker.core.money import judge_money, money_status
from tracker.core.plan import (
    PlanCheckpoint,
    PlanCurve,
    default_plan_for,
    month_end,
    project_plan,
    time_elapsed_progress,
    time_progress,
)
from tracker.core.scoring import deadline_score, qualitative_score
from tracker.core.settings import EvaluationSettings, MonitoringSettings
from tracker.core.status import overall_status
from tracker.core.weights import indicator_weights

SETTINGS = MonitoringSettings()
Q2 = D("0.01")
JUNE = date(2025, 6, 30)


def two(value: D) -> D:
    return value.quantize(Q2, rounding=ROUND_HALF_UP)


# --- Curves -------------------------------------------------------------------------------


def test_plan_given_only_at_year_end_is_a_straight_line_from_zero() -> None:
    """“at 2025-06-30 a plan given only as 100% at 12月底 reads 181/365 = 49.59%.”"""
    curve = project_plan([(date(2025, 12, 31), D(100), False)], 2025, PlanCurve(default_plan_for(2025, SETTINGS)))
    assert curve.at(JUNE) == D(181) * 100 / 365
    assert two(curve.at(JUNE)) == D("49.59")


def test_blank_checkpoints_are_skipped_never_zero() -> None:
    """“A project's plan curve has its given checkpoints as points (blank ones skipped)”; §1: a blank
    checkpoint is passed “by interpolation between the given neighbours, **never as 0%**”."""
    default = PlanCurve(default_plan_for(2025, SETTINGS))
    stored = [(date(2025, 3, 31), D(0), True), (date(2025, 6, 30), D(0), True),
              (date(2025, 10, 31), D(0), True), (date(2025, 12, 31), D(100), False)]
    curve = project_plan(stored, 2025, default)
    assert two(curve.at(date(2025, 3, 31))) == D("24.66")  # 90/365
    assert two(curve.at(JUNE)) == D("49.59")
    # a blank between two given points: interpolated between them
    between = project_plan([(date(2025, 3, 31), D(20), False), (date(2025, 6, 30), D(0), True),
                            (date(2025, 10, 31), D(80), False)], 2025, default)
    assert between.at(JUNE) == D(20) + D(60) * 91 / 214
    # a given 0% stays a point at 0%
    zero = project_plan([(date(2025, 6, 30), D(0), False), (date(2025, 12, 31), D(100), False)], 2025, default)
    assert zero.at(JUNE) == 0
    # nothing but blanks: the default plan
    assert project_plan([(JUNE, D(0), True)], 2025, default) is default


def test_time_elapsed_progress_is_linear_by_day_between_month_ends() -> None:
    """“The 序时进度 curve has k/12 at the end of month k (50.00% on 30 Jun; 37.37% on 15 May).”"""
    assert time_elapsed_progress(JUNE) == D(50)
    assert two(time_elapsed_progress(date(2025, 5, 15))) == D("37.37")
    for month in range(1, 13):
        assert time_elapsed_progress(month_end(2025, month)) == D(month) * 100 / 12
    assert two(time_elapsed_progress(date(2024, 2, 29))) == D("16.67")  # leap year: end of February


def test_one_function_for_every_use_of_time_elapsed_progress() -> None:
    """“One function computes 序时进度 for every use: the default plan, prorating indicators, the
    cockpit.”  The default plan's curve, the indicators' prorating and ``time_progress`` (the
    cockpit's) agree on every day of a year."""
    default = PlanCurve(default_plan_for(2025, SETTINGS))
    day = date(2025, 1, 1)
    while day.year == 2025:
        expected = time_elapsed_progress(day)
        assert default.at(day) == expected, day
        assert time_progress(day, SETTINGS.time_progress_method) == expected, day
        status = indicator_status(ReportedIndicator("quantitative", ">=", D(1200), D(1), unit="个"), day, SETTINGS)
        assert status.expected == D(1200) * expected / 100, day
        day = date.fromordinal(day.toordinal() + 1)


# --- Money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spent", "colour"),
    [(D("59.99"), "red"), (D(60), "yellow"), (D("79.99"), "yellow"), (D(80), "green"), (D(100), "green")],
)
def test_money_boundaries(spent: D, colour: str) -> None:
    """“red v < 60, yellow 60 ≤ v < 80, green v ≥ 80”."""
    assert judge_money(spent / 2, D(100), D(50), SETTINGS, True).colour == colour


def test_planned_zero_is_green_not_yet_due() -> None:
    """“planned% = 0 → green, shown as 未到计划支出时点.”"""
    status = money_status(D(0), D(0), SETTINGS, True)
    assert (status.colour, status.note) == ("green", "未到计划支出时点")


def test_over_100_is_red_and_ledger_incomplete_is_grey() -> None:
    """“执行率 > 100% → red (超支).” … “otherwise the result says "ledger incomplete", not red.”"""
    assert money_status(D("100.01"), D(50), SETTINGS, True).colour == "red"
    assert money_status(D(1), D(50), SETTINGS, False).colour == "grey"


def test_forecasts_side_by_side_capped_flagged_and_carry_over_never_negative() -> None:
    """“by plan = spent + 全年预算数 × (100% − planned%); by run rate = spent ÷ 序时进度.  Each is
    capped at 全年预算数 … a forecast that reaches the cap is flagged 超计划支出).  预计结转结余 =
    全年预算数 − forecast, never negative.”  The issue's case: a plan given only at 12月底 no longer
    reads 0% at mid-year, so the forecast no longer exceeds the budget."""
    budget = D(1_000_000)
    plan = [PlanCheckpoint(date(2025, 12, 31), D(100))]
    result = forecast_year_end(D(297_000), budget, plan, JUNE)
    assert result.by_plan == D(297_000) + budget * (100 - D(18100) / 365) / 100
    assert result.by_run_rate == D(594_000)  # 297,000 ÷ 50%
    assert not (result.over_plan_by_plan or result.over_plan_by_run_rate)
    assert result.carry_over_by_plan >= 0 and result.carry_over_by_run_rate == D(406_000)
    # with the old reading (0% until November) the plan forecast was 1,297,000: now capped
    zero_plan = [PlanCheckpoint(date(2025, 10, 31), D(0)), PlanCheckpoint(date(2025, 12, 31), D(100))]
    capped = forecast_year_end(D(297_000), budget, zero_plan, JUNE)
    assert (capped.by_plan, capped.over_plan_by_plan, capped.carry_over_by_plan) == (budget, True, D(0))


# --- Results ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "operator", "unit", "level"),
    [
        ("企业满意度", ">=", "%", True),
        ("验收合格率", "=", "%", True),
        ("补助企业数量", "=", "家", True),  # every = indicator
        ("下发资金标准", None, "万元/家", True),  # a rate
        ("服务对象满意度", ">=", None, True),
        ("项目评审得分", ">=", "分", True),
        ("补助企业数量", ">=", "家", False),
        ("年度培训人次", ">=", "人次", False),  # 年度 is not …度
        ("完成预算支出", None, "万元", False),
        ("开展活动", ">=", "次", False),
    ],
)
def test_counts_and_levels(name: str, operator: str | None, unit: str | None, level: bool) -> None:
    """“A positive indicator whose unit counts things or money (个 家 项 次 人 户 篇 万元 …) is
    prorated … A level — unit % (百分比), or a rate, ratio or score (…率, …度, 满意度, 合格率, 覆盖率),
    and every `=` indicator — is compared with the full annual value at any date”."""
    assert is_level(operator, unit, name) is level


def test_levels_are_not_prorated() -> None:
    """“v = 当前值 ÷ 年度指标值 × 100 (92% against ≥ 90% is green).”  The issue: 企业满意度 92% at
    06-30 showed blue (v = 204); 验收合格率 100% against = 100% showed blue (v = 200)."""
    satisfaction = indicator_status(
        ReportedIndicator("quantitative", ">=", D(90), D(92), unit="%", name="企业满意度"), JUNE, SETTINGS)
    assert (satisfaction.colour, two(satisfaction.ratio)) == ("green", D("102.22"))
    accepted = indicator_status(
        ReportedIndicator("quantitative", "=", D(100), D(100), unit="%", name="验收合格率"), JUNE, SETTINGS)
    assert (accepted.colour, accepted.ratio) == ("green", D(100))
    count = indicator_status(ReportedIndicator("quantitative", ">=", D(10), D(5), unit="家", name="扶持企业"),
                             JUNE, SETTINGS)
    assert (count.colour, count.ratio, count.expected) == ("green", D(100), D(5))  # 5 ÷ (10 × 50%)


@pytest.mark.parametrize(
    ("current", "colour"),
    [(D(0), "red"), (D("5.99"), "red"), (D(6), "yellow"), (D("7.99"), "yellow"), (D(8), "green"),
     (D("11.99"), "green"), (D(12), "blue")],
)
def test_indicator_boundaries(current: D, colour: str) -> None:
    """“red v < 60, yellow 60 ≤ v < 80, green 80 ≤ v < 120, blue v ≥ 120” … “A reported 0 → red”."""
    indicator = ReportedIndicator("quantitative", ">=", D(10), current, unit="%", name="覆盖率")
    assert indicator_status(indicator, JUNE, SETTINGS).colour == colour


def test_reverse_and_qualitative() -> None:
    """“Reverse (≤, <): 当前值 within target → green, else red.”  “Qualitative: reporter picks 达成目标
    / 部分达成目标并具有一定效果 / 未达成目标且效果较差 → green / yellow / red.”"""
    assert indicator_status(ReportedIndicator("reverse", "<=", D(30), D(30)), JUNE, SETTINGS).colour == "green"
    assert indicator_status(ReportedIndicator("reverse", "<=", D(30), D(31)), JUNE, SETTINGS).colour == "red"
    for word, colour in (("达成目标", "green"), ("部分达成目标并具有一定效果", "yellow"), ("未达成目标且效果较差", "red")):
        assert indicator_status(ReportedIndicator("qualitative", achievement=word), JUNE, SETTINGS).colour == colour


@pytest.mark.parametrize(
    ("completed_on", "as_of", "likelihood", "colour", "label"),
    [
        (date(2025, 9, 30), date(2025, 10, 31), None, "green", "已完成"),
        (None, JUNE, None, "green", "按期推进"),
        (None, JUNE, "certain", "green", "按期推进"),
        (None, JUNE, "possible", "yellow", "完成目标可能性：有可能"),
        (None, JUNE, "有可能", "yellow", "完成目标可能性：有可能"),
        (None, JUNE, "impossible", "red", "完成目标可能性：完全不可能"),
        (None, date(2025, 10, 1), "certain", "red", "逾期"),
        (date(2025, 10, 2), date(2025, 10, 31), None, "red", "逾期完成"),
    ],
)
def test_deadline_colours(completed_on, as_of, likelihood, colour, label) -> None:  # type: ignore[no-untyped-def]
    """“Deadline: met on or before the date → green; not yet due → green (按期推进) unless the
    reporter's 完成目标可能性 says 有可能 (yellow) or 完全不可能 (red); due and not met → red (逾期).”"""
    indicator = ReportedIndicator("deadline", deadline=date(2025, 9, 30), completed_on=completed_on,
                                  likelihood=likelihood)
    status = indicator_status(indicator, as_of, SETTINGS)
    assert (status.colour, status.label) == (colour, label)


def test_project_result_status() -> None:
    """“Project result status = worst colour among reported indicators (red > yellow > green > blue);
    an indicator still unreported after the reporting deadline (setting: the 10th day after a
    checkpoint) counts as yellow (逾期未填报); no indicator reported at all → grey.”"""
    deadline = date(2025, 4, 10)  # 10 days after 3月底
    unreported = ReportedIndicator("quantitative", ">=", D(10), unit="家")
    green = ReportedIndicator("quantitative", ">=", D(10), D(3), unit="家")
    blue = ReportedIndicator("quantitative", ">=", D(10), D(9), unit="家")
    on_time = [indicator_status(i, deadline, SETTINGS, deadline) for i in (unreported, green, blue)]
    assert results_status(on_time) == "green"  # the unreported one is grey: not counted yet
    late = [indicator_status(i, date(2025, 4, 11), SETTINGS, deadline) for i in (unreported, green, blue)]
    assert late[0].label == "逾期未填报" and results_status(late) == "yellow"
    assert results_status([indicator_status(unreported, deadline, SETTINGS, deadline)]) == "grey"
    assert results_status([indicator_status(blue, deadline, SETTINGS, deadline)]) == "blue"


@pytest.mark.parametrize(
    ("money", "results", "combined"),
    [("green", "grey", "grey"), ("grey", "green", "grey"), ("grey", "blue", "grey"), ("grey", "yellow", "yellow"),
     ("red", "grey", "red"), ("blue", "green", "green"), ("yellow", "red", "red"), ("blue", "blue", "blue")],
)
def test_combined_status(money: str, results: str, combined: str) -> None:
    """“Combined 双监控 status = the worse of money and results (red > yellow > grey > green > blue);
    'ledger incomplete' → grey.”"""
    assert overall_status(money, results) == combined  # type: ignore[arg-type]


# --- 自评 ---------------------------------------------------------------------------------


def test_weights_remainder_split_evenly_and_column_adds_up_to_100() -> None:
    """“what the category weight leaves is split evenly among the indicators without one.  Shown
    rounded to 2 decimals, the 分值 column still adds up to 100 exactly (the last indicator of each
    category takes the rounding).”  (Today's 16.67 × 3 = 100.01 in the issue.)"""
    settings = EvaluationSettings()
    weights = indicator_weights([("产出", None)] * 3 + [("效益", D(10)), ("效益", None), ("效益", None)]
                                + [("满意度", None)] * 3, settings)
    assert weights == (D("16.67"), D("16.67"), D("16.66"), D(10), D(10), D(10),
                       D("3.33"), D("3.33"), D("3.34"))
    assert sum(weights) + settings.execution_weight == 100
    assert all(w == two(w) for w in weights)
    # redistribution leaving three places (30 × 90/70 = 38.571…): still exactly 100
    odd = indicator_weights([("产出", None)] * 7 + [("效益", None)] * 3, EvaluationSettings(
        output_weight=D(40), effect_weight=D(30), satisfaction_weight=D(20), execution_weight=D(10)))
    assert sum(odd) == 90 and all(w == two(w) for w in odd)


def test_qualitative_default_is_top_of_band() -> None:
    """“Default score = top of the band (for the two half-open bands, the upper limit less 0.01
    point), editable within it.”"""
    settings = EvaluationSettings()
    assert qualitative_score("达成年度指标", D(10), settings) == D(10)
    assert qualitative_score("部分达成年度指标并具有一定效果", D(10), settings) == D("7.99")
    assert qualitative_score("未达成年度指标且效果较差", D(10), settings) == D("5.99")


def test_deadline_scoring() -> None:
    """“Deadline indicator: met on or before the date → W; met late or not met → 0.”"""
    deadline = date(2025, 9, 30)
    assert deadline_score(deadline, deadline, D(5)) == D(5)
    assert deadline_score(deadline, date(2025, 10, 1), D(5)) == 0
    assert deadline_score(deadline, None, D(5)) == 0


def test_evaluation_weights_shown_add_up_to_100() -> None:
    """“the 分值 column still adds up to 100 exactly” — in the whole 自评, with 执行率 10."""
    indicators = [IndicatorResult(level1="产出指标", name=f"指标{i}", kind="qualitative", achievement="达成年度指标")
                  for i in range(3)] + [
        IndicatorResult(level1="效益指标", name="效益", kind="qualitative", achievement="达成年度指标"),
        IndicatorResult(level1="满意度指标", name="满意度", kind="qualitative", achievement="达成年度指标")]
    result = evaluate(indicators, D(100), D(100), EvaluationSettings())
    assert sum(two(s.weight) for s in result.indicators) + result.execution_weight == 100
    assert result.total == 100
