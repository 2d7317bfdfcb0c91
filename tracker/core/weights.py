"""分值 (weight) of each indicator in the 自评 (DOMAIN §3).

Rules, with the decisions DOMAIN leaves open:

- 一级 categories: 产出 (output), 效益 (effect), 满意度 (satisfaction).  The 2021 framework's
  成本 一级 is weighed inside 产出 (成本 was a 二级 of 产出 before 2021, and the 产出 weight is
  meant to cover it).
- A category with no indicators hands its weight to the other *indicator* categories in
  proportion to their weights: w'(c) = w(c) × (Σ all three) ÷ (Σ present).  The 预算执行率
  weight never changes.  E.g. no 满意度: 产出 50 × 90/80 = 56.25, 效益 30 × 90/80 = 33.75.
- Within a category an indicator keeps the 分值 the target table gives it; those without one
  share, evenly, what is left of the category weight after the given ones (never below 0).
  When every indicator has its own 分值 the category weight plays no part.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Collection, Literal, Sequence

from tracker.core.settings import EvaluationSettings

Category = Literal["output", "effect", "satisfaction"]
CATEGORIES: tuple[Category, ...] = ("output", "effect", "satisfaction")

CATEGORY_LABELS: dict[str, str] = {
    "output": "产出指标",
    "effect": "效益指标",
    "satisfaction": "满意度指标",
}

_LEVEL1: dict[str, Category] = {
    "产出": "output",
    "成本": "output",
    "效益": "effect",
    "满意度": "satisfaction",
}


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
    name = level1.strip()
    name = name.removesuffix("指标")
    if name not in _LEVEL1:
        raise ValueError(f"未知的一级指标：“{level1}”（应为产出、成本、效益或满意度指标）")
    return _LEVEL1[name]


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
    """分值 of each indicator, given (一级指标, 分值 from the target table or None), in order.

    Given 分值 are kept; the others get (category weight − Σ given in the category, floored
    at 0) ÷ (number without 分值 in the category).
    """
    categories = [category_of(level1) for level1, _ in indicators]
    for _, weight in indicators:
        if weight is not None and weight < 0:
            raise ValueError(f"指标分值不能为负数，当前为 {weight}")
    weights = category_weights(set(categories), settings)
    shares: dict[Category, Decimal] = {}
    for category in set(categories):
        given = [w for (_, w), c in zip(indicators, categories) if c == category and w is not None]
        missing = sum(1 for (_, w), c in zip(indicators, categories) if c == category and w is None)
        if missing:
            left = max(weights.of(category) - sum(given, Decimal(0)), Decimal(0))
            shares[category] = left / missing
    return tuple(
        weight if weight is not None else shares[category]
        for (_, weight), category in zip(indicators, categories)
    )
