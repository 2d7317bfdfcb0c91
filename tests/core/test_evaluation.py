from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.core.evaluation import IndicatorResult, evaluate, score_indicator, surplus_rate
from tracker.core.settings import EvaluationSettings
from tracker.core.weights import CategoryWeights

SETTINGS = EvaluationSettings()


def codes(result) -> list[str]:
    return [w.code for w in result.warnings]


def test_full_table() -> None:
    indicators = [
        IndicatorResult("产出指标", "培训人数", "quantitative", ">=", D(100), D(100)),
        IndicatorResult("产出指标", "人均成本", "reverse", "<=", D(100), D(150),
                        deviation_reason="物价上涨"),
        IndicatorResult("效益指标", "能力提升", "qualitative", achievement="达成年度指标"),
        IndicatorResult("满意度指标", "满意度", "quantitative", ">=", D(90), D(90)),
    ]
    result = evaluate(indicators, D(95), D(100), SETTINGS)
    # 分值 25 / 25 / 30 / 10; 得分 25 + 12.5 + 30 + 10 = 77.5; 执行率 95% × 10 = 9.5
    assert [s.weight for s in result.indicators] == [D(25), D(25), D(30), D(10)]
    assert [s.score for s in result.indicators] == [D(25), D("12.5"), D(30), D(10)]
    assert (result.execution_rate, result.execution_score) == (D(95), D("9.5"))
    assert (result.indicator_total, result.total, result.rounded_total) == (D("77.5"), D(87), D("87.00"))
    assert result.grade == "良"
    assert result.category_weights == CategoryWeights(D(50), D(30), D(10))
    assert result.warnings == ()
    assert result.lacking_explanation == ()


def test_satisfaction_empty_redistributes() -> None:
    indicators = [
        IndicatorResult("产出指标", "完成数", "quantitative", ">=", D(100), D(100)),
        IndicatorResult("效益指标", "效果", "qualitative", achievement="部分达成年度指标并具有一定效果"),
    ]
    result = evaluate(indicators, D(100), D(100), SETTINGS)
    # 56.25 + (33.75 × 80% − 0.01 = 26.99) + 10
    assert [s.score for s in result.indicators] == [D("56.25"), D("26.99")]
    assert result.total == D("93.24")
    assert result.grade == "优"
    assert codes(result) == ["missing_deviation_reason"]
    assert [s.indicator.name for s in result.lacking_explanation] == ["效果"]


@pytest.mark.parametrize(
    ("spent", "total", "grade_"),
    [
        (D(0), D(90), "优"),  # indicators 90 + 执行率 0
        (D("99.9"), D("99.99"), "优"),
    ],
)
def test_total_and_grade(spent: D, total: D, grade_: str) -> None:
    indicators = [IndicatorResult("产出指标", "数量", "quantitative", ">=", D(1), D(1), weight=D(90))]
    result = evaluate(indicators, spent, D(100), SETTINGS)
    assert (result.total, result.grade) == (total, grade_)


def test_consistency_warnings_high_score_low_execution_and_surplus() -> None:
    indicators = [IndicatorResult("产出指标", "数量", "quantitative", ">=", D(1), D(1), weight=D(90))]
    result = evaluate(indicators, D(0), D(100), SETTINGS)
    assert codes(result) == ["high_score_low_execution", "high_surplus"]
    assert "100.00%" in result.warnings[1].message


@pytest.mark.parametrize(
    ("actual", "spent", "expected"),
    [
        # score share exactly 90% (81 of 90), 执行率 59.99% → warned
        (D(90), D("59.99"), ["high_score_low_execution", "high_surplus"]),
        # 执行率 exactly 60% → not low
        (D(90), D(60), ["high_surplus"]),
        # share 89% → not high
        (D(89), D("59.99"), ["high_surplus"]),
        # 结余率 exactly 20% → not above
        (D(100), D(80), []),
        (D(100), D(79), ["high_surplus"]),  # 结余率 21%
    ],
)
def test_consistency_warning_boundaries(actual: D, spent: D, expected: list[str]) -> None:
    indicators = [
        IndicatorResult("产出指标", "数量", "quantitative", ">=", D(100), actual, weight=D(90),
                        deviation_reason="原因")
    ]
    assert codes(evaluate(indicators, spent, D(100), SETTINGS)) == expected


def test_even_split_rounding_does_not_warn() -> None:
    # 50 ÷ 3 per 产出 indicator: the sum carries a tiny remainder, shown as 100.00
    indicators = [
        *(IndicatorResult("产出指标", f"产出{i}", "quantitative", ">=", D(1), D(1)) for i in range(3)),
        IndicatorResult("效益指标", "效益", "quantitative", ">=", D(1), D(1)),
        IndicatorResult("满意度指标", "满意度", "quantitative", ">=", D(1), D(1)),
    ]
    result = evaluate(indicators, D(100), D(100), SETTINGS)
    assert result.indicators[0].rounded_score == D("16.67")
    assert result.rounded_total == D("100.00")
    assert result.grade == "优"
    assert result.warnings == ()


def test_weights_not_adding_to_100() -> None:
    indicators = [
        IndicatorResult("产出指标", "a", "quantitative", ">=", D(1), D(1), weight=D(40)),
        IndicatorResult("效益指标", "b", "quantitative", ">=", D(1), D(1), weight=D(40)),
    ]
    result = evaluate(indicators, D(100), D(100), SETTINGS)
    assert codes(result) == ["weights_not_100"]
    assert "90.00" in result.warnings[0].message


def test_budget_zero() -> None:
    indicators = [IndicatorResult("产出指标", "a", "quantitative", ">=", D(1), D(1), weight=D(90))]
    result = evaluate(indicators, D(5), D(0), SETTINGS)
    assert (result.execution_rate, result.execution_score, result.total) == (None, D(0), D(90))
    assert codes(result) == ["budget_zero"]


def test_no_indicators() -> None:
    result = evaluate([], D(100), D(100), SETTINGS)
    assert (result.total, result.grade) == (D(10), "差")
    assert codes(result) == ["weights_not_100"]


@pytest.mark.parametrize(
    ("reason", "lacks", "expected_codes"),
    [
        ("", True, ["over_achievement_unexplained"]),
        ("  ", True, ["over_achievement_unexplained"]),
        ("指标值按上年实际设定", False, []),
    ],
)
def test_over_achievement_needs_explanation(reason: str, lacks: bool, expected_codes) -> None:
    indicators = [
        IndicatorResult("产出指标", "a", "quantitative", ">=", D(100), D(130), weight=D(90),
                        deviation_reason=reason)
    ]
    result = evaluate(indicators, D(100), D(100), SETTINGS)
    score = result.indicators[0]
    assert (score.score, score.over_achieved, score.needs_deviation_reason) == (D(90), True, False)
    assert score.lacks_explanation is lacks
    assert codes(result) == expected_codes


@pytest.mark.parametrize(
    ("indicator", "score", "note", "over"),
    [
        (IndicatorResult("产出指标", "a", "quantitative", ">=", D(10), None), D(0), "未填报实际完成值", False),
        (IndicatorResult("产出指标", "a", "quantitative", ">=", D(10), D(5)), D(10), None, False),
        (IndicatorResult("产出指标", "a", "quantitative", None, D(10), D(13)), D(20), "完成值达到指标值的130%以上，请说明指标值是否设置偏低", True),
        (IndicatorResult("产出指标", "a", "quantitative", "=", D(10), D(5)), D(10), None, False),
        (IndicatorResult("产出指标", "a", "quantitative", "=", D(0), D(1)), D(0), None, False),
        (IndicatorResult("成本指标", "a", "quantitative", "<=", D(10), D(15)), D(10), None, False),
        (IndicatorResult("成本指标", "a", "reverse", None, D(10), D(20)), D(0), None, False),
        (IndicatorResult("成本指标", "a", "quantitative", "<", D(10), D(10)), D(20), None, False),
        (IndicatorResult("效益指标", "a", "qualitative"), D(0), "未选择完成情况", False),
        (IndicatorResult("效益指标", "a", "qualitative", achievement="达成目标"), D(20), None, False),
        (IndicatorResult("效益指标", "a", "qualitative", achievement="达成目标", edited_score=D(17)), D(17), None, False),
        (IndicatorResult("效益指标", "a", "qualitative", achievement="未达成目标且效果较差"), D("11.99"), None, False),
        (IndicatorResult("产出指标", "a", "deadline", deadline=date(2023, 9, 30), completed_on=date(2023, 9, 30)), D(20), None, False),
        (IndicatorResult("产出指标", "a", "deadline", deadline=date(2023, 9, 30), completed_on=date(2023, 10, 1)), D(0), "未按期完成", False),
        (IndicatorResult("产出指标", "a", "deadline", deadline=date(2023, 9, 30)), D(0), "未按期完成", False),
    ],
)
def test_score_indicator(indicator: IndicatorResult, score: D, note, over: bool) -> None:
    result = score_indicator(indicator, D(20), SETTINGS)
    assert (result.score, result.note, result.over_achieved) == (score, note, over)
    assert result.needs_deviation_reason is (score < 20)


def test_edited_score_outside_band_is_rejected() -> None:
    indicator = IndicatorResult("效益指标", "a", "qualitative", achievement="达成目标", edited_score=D(15))
    with pytest.raises(ValueError, match="得分应在"):
        evaluate([indicator], D(100), D(100), SETTINGS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "ratio"}, "类型"),
        ({"kind": "quantitative", "operator": "≥", "target": D(1)}, "运算符"),
        ({"kind": "reverse", "operator": ">", "target": D(1)}, "反向指标"),
        ({"kind": "quantitative"}, "年度指标值"),
        ({"kind": "deadline"}, "完成时限"),
        ({"kind": "quantitative", "target": D(1), "edited_score": D(1)}, "不能修改"),
    ],
)
def test_indicator_result_validation(kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IndicatorResult("产出指标", "a", **kwargs)


def test_unknown_level1_is_rejected() -> None:
    with pytest.raises(ValueError, match="一级指标"):
        evaluate([IndicatorResult("其他", "a", "qualitative")], D(1), D(1), SETTINGS)


@pytest.mark.parametrize(
    ("spent", "budget", "expected"),
    [(D(80), D(100), D(20)), (D(100), D(100), D(0)), (D(110), D(100), D(-10)), (D(5), D(0), None)],
)
def test_surplus_rate(spent: D, budget: D, expected) -> None:
    assert surplus_rate(spent, budget) == expected


def test_execution_weight_20() -> None:
    settings = EvaluationSettings(output_weight=D(40), execution_weight=D(20))
    indicators = [IndicatorResult("产出指标", "a", "quantitative", ">=", D(1), D(1))]
    result = evaluate(indicators, D(50), D(100), settings)
    # only 产出 present: 40 × 80/40 = 80; 执行率 50% × 20 = 10
    assert (result.indicators[0].weight, result.execution_score, result.total) == (D(80), D(10), D(90))
