"""The 年终自评 of one project: 项目支出绩效自评表 scores, total, grade, flags and warnings.

Total = Σ indicator 得分 + 执行率得分, in full precision; ``rounded_total`` (2 places,
ROUND_HALF_UP) is what the form shows and what the grade is read from.  Indicator scores are
rounded for display only, so the shown parts may differ from the shown total by 0.01.

Flags (DOMAIN §3): an indicator below full marks needs 偏差原因分析及改进措施; one with
A ≥ 130% of T needs an explanation too; both are satisfied by ``deviation_reason``.
Consistency warnings (thresholds are settings, our defaults): indicator score ≥ 90% of the
indicator 分值 while 执行率 < 60%; 结余率 > 20%; 分值 not adding up to 100; budget 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Sequence

from tracker.core.indicators import KINDS, OPERATORS, REVERSE_OPERATORS, IndicatorKind, Operator
from tracker.core.money import execution_rate
from tracker.core.scoring import (
    Grade,
    deadline_score,
    exact_score,
    execution_score,
    grade,
    is_over_achieved,
    positive_score,
    qualitative_score,
    reverse_score,
    round_score,
)
from tracker.core.settings import EvaluationSettings
from tracker.core.weights import (
    Category,
    CategoryWeights,
    category_of,
    category_weights,
    indicator_weights,
)

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class IndicatorResult:
    """One 绩效指标 at year end, as the 自评 form needs it.

    ``target`` = T (年度指标值), ``actual`` = A (实际完成值, None = not filled in);
    ``achievement`` = the qualitative choice; ``edited_score`` = a qualitative score typed by
    the user (must lie in its band); ``weight`` = 分值 from the target table, if any.
    """

    level1: str
    name: str
    kind: IndicatorKind
    operator: Operator | None = None
    target: Decimal | None = None
    actual: Decimal | None = None
    achievement: str | None = None
    edited_score: Decimal | None = None
    deadline: date | None = None
    completed_on: date | None = None
    weight: Decimal | None = None
    deviation_reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"指标“{self.name}”的类型未知：“{self.kind}”")
        if self.operator is not None and self.operator not in OPERATORS:
            raise ValueError(f"指标“{self.name}”的运算符未知：“{self.operator}”")
        if self.kind == "reverse" and self.operator not in (None, *REVERSE_OPERATORS):
            raise ValueError(f"反向指标“{self.name}”的运算符应为 ≤ 或 <")
        if self.kind in ("quantitative", "reverse") and self.target is None:
            raise ValueError(f"定量指标“{self.name}”缺少年度指标值")
        if self.kind == "deadline" and self.deadline is None:
            raise ValueError(f"时限指标“{self.name}”缺少完成时限，请按定性指标评分")
        if self.edited_score is not None and self.kind != "qualitative":
            raise ValueError(f"指标“{self.name}”不是定性指标，得分按公式计算，不能修改")


@dataclass(frozen=True)
class IndicatorScore:
    """得分 of one indicator (full precision) with its 分值 and flags."""

    indicator: IndicatorResult
    category: Category
    weight: Decimal
    score: Decimal
    over_achieved: bool = False
    note: str | None = None

    @property
    def rounded_score(self) -> Decimal:
        """得分 as shown: 2 places, ROUND_HALF_UP."""
        return round_score(self.score)

    @property
    def needs_deviation_reason(self) -> bool:
        """Scored below full marks → 偏差原因分析及改进措施 required."""
        return self.score < self.weight

    @property
    def lacks_explanation(self) -> bool:
        """Needs a deviation reason or an over-achievement explanation, and has none."""
        needs = self.needs_deviation_reason or self.over_achieved
        return needs and not self.indicator.deviation_reason.strip()


@dataclass(frozen=True)
class EvaluationWarning:
    """A consistency warning for the reviewer; ``code`` is stable, ``message`` is Chinese."""

    code: str
    message: str


@dataclass(frozen=True)
class SelfEvaluation:
    """The scored 项目支出绩效自评表."""

    indicators: tuple[IndicatorScore, ...]
    category_weights: CategoryWeights
    execution_rate: Decimal | None  # 执行率 in percent, unclamped; None when budget is 0
    execution_weight: Decimal
    execution_score: Decimal
    indicator_total: Decimal
    total: Decimal
    grade: Grade
    warnings: tuple[EvaluationWarning, ...]

    @property
    def rounded_total(self) -> Decimal:
        """总分 as shown (and graded): 2 places, ROUND_HALF_UP."""
        return round_score(self.total)

    @property
    def lacking_explanation(self) -> tuple[IndicatorScore, ...]:
        """Indicators that need 偏差原因分析及改进措施 (or an over-achievement note) and lack it."""
        return tuple(score for score in self.indicators if score.lacks_explanation)


def surplus_rate(spent: Decimal, budget: Decimal) -> Decimal | None:
    """结余率 = (全年预算数 − 全年执行数) ÷ 全年预算数 × 100; None when the budget is 0."""
    rate = execution_rate(spent, budget)
    return None if rate is None else HUNDRED - rate


def score_indicator(
    indicator: IndicatorResult, weight: Decimal, settings: EvaluationSettings
) -> IndicatorScore:
    """得分 of one indicator with 分值 ``weight``: positive / reverse / ``=`` / qualitative /
    deadline formulas of ``tracker.core.scoring``; nothing filled in → 0 with a note."""
    category = category_of(indicator.level1)
    if indicator.kind == "qualitative":
        if indicator.achievement is None or not indicator.achievement.strip():
            return IndicatorScore(indicator, category, weight, Decimal(0), note="未选择完成情况")
        score = qualitative_score(
            indicator.achievement, weight, settings, indicator.edited_score
        )
        return IndicatorScore(indicator, category, weight, score)
    if indicator.kind == "deadline":
        score = deadline_score(indicator.deadline, indicator.completed_on, weight)
        note = None if score == weight else "未按期完成"
        return IndicatorScore(indicator, category, weight, score, note=note)
    actual, target = indicator.actual, indicator.target
    if actual is None:
        return IndicatorScore(indicator, category, weight, Decimal(0), note="未填报实际完成值")
    if indicator.kind == "reverse" or indicator.operator in REVERSE_OPERATORS:
        return IndicatorScore(indicator, category, weight, reverse_score(actual, target, weight))
    if indicator.operator == "=":
        score = exact_score(actual, target, weight)
    else:
        score = positive_score(actual, target, weight)
    over = is_over_achieved(actual, target, settings)
    note = (
        f"完成值达到指标值的{settings.over_achievement_from}%以上，请说明指标值是否设置偏低"
        if over
        else None
    )
    return IndicatorScore(indicator, category, weight, score, over, note)


def evaluate(
    indicators: Sequence[IndicatorResult],
    spent: Decimal,
    budget: Decimal,
    settings: EvaluationSettings,
) -> SelfEvaluation:
    """年终自评 of one project.

    总分 = Σ 指标得分 + 执行率得分, 执行率得分 = min(全年执行数 ÷ 全年预算数, 100%) × 执行率分值;
    分值 per ``tracker.core.weights``; 等级 from the rounded total.  ``spent`` = 全年执行数,
    ``budget`` = 全年预算数 (same money unit).
    """
    weights = indicator_weights([(i.level1, i.weight) for i in indicators], settings)
    scores = tuple(
        score_indicator(indicator, weight, settings)
        for indicator, weight in zip(indicators, weights)
    )
    rate = execution_rate(spent, budget)
    points = execution_score(spent, budget, settings.execution_weight)
    indicator_total = sum((s.score for s in scores), Decimal(0))
    total = indicator_total + points
    return SelfEvaluation(
        indicators=scores,
        category_weights=category_weights({s.category for s in scores}, settings),
        execution_rate=rate,
        execution_weight=settings.execution_weight,
        execution_score=points,
        indicator_total=indicator_total,
        total=total,
        grade=grade(total, settings),
        warnings=_warnings(scores, rate, spent, budget, settings),
    )


def _warnings(
    scores: tuple[IndicatorScore, ...],
    rate: Decimal | None,
    spent: Decimal,
    budget: Decimal,
    settings: EvaluationSettings,
) -> tuple[EvaluationWarning, ...]:
    warnings: list[EvaluationWarning] = []
    weight_sum = sum((s.weight for s in scores), Decimal(0)) + settings.execution_weight
    if round_score(weight_sum) != HUNDRED:  # given 分值 that do not fill (or overfill) a category
        warnings.append(
            EvaluationWarning(
                "weights_not_100", f"指标分值与预算执行率分值合计为{round_score(weight_sum)}，不等于100"
            )
        )
    if rate is None:
        warnings.append(EvaluationWarning("budget_zero", "全年预算数为0，预算执行率得分记0分"))
    else:
        indicator_weight = weight_sum - settings.execution_weight
        if indicator_weight > 0:
            share = sum((s.score for s in scores), Decimal(0)) * HUNDRED / indicator_weight
            if share >= settings.high_performance_from and rate < settings.low_execution_below:
                warnings.append(
                    EvaluationWarning(
                        "high_score_low_execution",
                        f"绩效指标得分率{round_score(share)}%较高，但预算执行率仅{round_score(rate)}%，请核实",
                    )
                )
        surplus = surplus_rate(spent, budget)
        if surplus > settings.surplus_rate_above:
            warnings.append(
                EvaluationWarning(
                    "high_surplus",
                    f"结余率{round_score(surplus)}%超过{settings.surplus_rate_above}%，请说明原因",
                )
            )
    lacking = [s.indicator.name for s in scores if s.needs_deviation_reason and s.lacks_explanation]
    if lacking:
        warnings.append(
            EvaluationWarning(
                "missing_deviation_reason",
                f"以下指标未得满分，需填写偏差原因分析及改进措施：{'、'.join(lacking)}",
            )
        )
    unexplained = [s.indicator.name for s in scores if s.over_achieved and s.lacks_explanation]
    if unexplained:
        warnings.append(
            EvaluationWarning(
                "over_achievement_unexplained",
                f"以下指标完成值达到指标值的{settings.over_achievement_from}%以上，需说明原因：{'、'.join(unexplained)}",
            )
        )
    return tuple(warnings)
