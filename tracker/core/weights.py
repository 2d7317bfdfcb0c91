"""分值 (weight) of each indicator in the 自评 (DOMAIN §3).

Rules, with the decisions DOMAIN leaves open:

- 一级 categories: 产出 (output), 效益 (effect), 满意度 (satisfaction).  The 2021 framework's
  成本 一级 is weighed inside 产出 (成本 was a 二级 of 产出 before 2021, and the 产出 weight is
  meant to cover it).  Which 一级 a name is, and their names, come from ``core.categories``.
- A category with no indicators hands its weight to the other *indicator* categories in
  proportion to their weights: w'(c) = w(c) × (Σ all three) ÷ (Σ present).  The 预算执行率
  weight never changes.  E.g. no 满意度: 产出 50 × 90/80 = 56.25, 效益 30 × 90/80 = 33.75.
- Within a category an indicator keeps the 分值 the target table gives it; those without one
  share, evenly, what is left of the category weight after the given ones (never below 0).
  When every indicator has its own 分值 the category weight plays no part.
- DOMAIN §3: "Shown rounded to 2 decimals, the 分值 column still adds up to 100 exactly (the
  last indicator of each category takes the rounding)."  ``indicator_weights`` gives the 分值
  already to 2 places — shown, stored and scored alike (a full score never shows above its
  分值): an even share is rounded half-up and the last indicator without a given 分值 in the
  category takes what rounding left (50 ÷ 3 → 16.67, 16.67, 16.66).  Category weights that
  redistribution leaves with more places are rounded the same way, the last present
  category taking the rest, so the categories still add up to the indicator total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Collection, Literal, Sequence

from tracker.core.categories import LEVEL1_LABELS, level1_named, weighed_in
from tracker.core.scoring import round_score
from tracker.core.settings import EvaluationSettings

Category = Literal["output", "effect", "satisfaction"]
CATEGORIES: tuple[Category, ...] = ("output", "effect", "satisfaction")

CATEGORY_LABELS: dict[str, str] = {category: LEVEL1_LABELS[category] for category in CATEGORIES}


@dataclass(frozen=True)
class CategoryWeights:
    """Weight of each 一级 category after redistribution (points)."""

    output: Decimal
    effect: Decimal
    satisfaction: Decimal

    def of(self, category: Category) -> Decimal:
        """The weight of ``category`` ('output' / 'effect' / 'satisfaction')."""
        return getattr(self, category)


def category_of(level1: str) -> Category:
    """The weighting category of a 一级指标 name: 产出/成本 → output, 效益 → effect,
    满意度 → satisfaction (with or without the 指标 suffix)."""
    code = level1_named(level1)
    if code is None:
        raise ValueError(f"未知的一级指标：“{level1}”（应为产出、成本、效益或满意度指标）")
    return weighed_in(code)  # type: ignore[return-value]  # never 'cost'



def category_weights(
    present: Collection[Category], settings: EvaluationSettings
) -> CategoryWeights:
    """Category weights with empty categories redistributed:
    w'(c) = w(c) × (w产出 + w效益 + w满意度) ÷ Σ w(present), 0 for absent categories.

    If the present categories all weigh 0 in the settings, nothing can be redistributed and
    every category weighs its setting (0).
    """
    base = {
        "output": settings.output_weight,
        "effect": settings.effect_weight,
        "satisfaction": settings.satisfaction_weight,
    }
    total = sum(base.values())
    present_total = sum(base[c] for c in CATEGORIES if c in present)
    if present_total == 0:
        scaled = {c: (base[c] if c in present else Decimal(0)) for c in CATEGORIES}
    else:
        scaled = {
            c: (base[c] * total / present_total if c in present else Decimal(0))
            for c in CATEGORIES
        }
    return CategoryWeights(**scaled)


def indicator_weights(
    indicators: Sequence[tuple[str, Decimal | None]], settings: EvaluationSettings
) -> tuple[Decimal, ...]:
    """分值 of each indicator to 2 places, given (一级指标, 分值 from the target table or None),
    in order.

    Given 分值 are kept; the others share (category weight − Σ given in the category, floored
    at 0) evenly, each share rounded half-up to 0.01 and the last of them taking the rounding,
    so a category adds up to its weight and the 分值 column (with 预算执行率) to 100.
    """
    categories = [category_of(level1) for level1, _ in indicators]
    for _, weight in indicators:
        if weight is not None and weight < 0:
            raise ValueError(f"指标分值不能为负数，当前为 {weight}")
    weights = _rounded_categories(category_weights(set(categories), settings), set(categories))
    result: list[Decimal | None] = [weight for _, weight in indicators]
    for category in CATEGORIES:
        members = [index for index, c in enumerate(categories) if c == category]
        missing = [index for index in members if result[index] is None]
        if not missing:
            continue
        given = sum((result[index] for index in members if result[index] is not None), Decimal(0))
        left = max(weights[category] - given, Decimal(0))  # type: ignore[operator]
        share = round_score(left / len(missing))
        for index in missing[:-1]:
            result[index] = share
        result[missing[-1]] = left - share * (len(missing) - 1)
    return tuple(weight for weight in result if weight is not None)


def _rounded_categories(weights: CategoryWeights, present: Collection[Category]) -> dict[Category, Decimal]:
    """Category weights to 2 places, the last present category taking the rounding."""
    order = [c for c in CATEGORIES if c in present]
    rounded = {c: round_score(weights.of(c)) for c in CATEGORIES}
    if order:
        exact_total = sum((weights.of(c) for c in order), Decimal(0))
        rounded[order[-1]] = round_score(exact_total) - sum((rounded[c] for c in order[:-1]), Decimal(0))
    return rounded
