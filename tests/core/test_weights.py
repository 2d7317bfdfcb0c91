from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker.core.settings import EvaluationSettings
from tracker.core.weights import CategoryWeights, category_of, category_weights, indicator_weights

SETTINGS = EvaluationSettings()


@pytest.mark.parametrize(
    ("level1", "expected"),
    [
        ("产出指标", "output"),
        ("产出", "output"),
        ("成本指标", "output"),  # 2021 framework 成本 is weighed inside 产出
        ("成本", "output"),
        (" 效益指标 ", "effect"),
        ("满意度指标", "satisfaction"),
        ("满意度", "satisfaction"),
    ],
)
def test_category_of(level1: str, expected: str) -> None:
    assert category_of(level1) == expected


@pytest.mark.parametrize("level1", ["数量指标", "", "其他指标"])
def test_category_of_rejects(level1: str) -> None:
    with pytest.raises(ValueError, match="一级指标"):
        category_of(level1)


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({"output", "effect", "satisfaction"}, CategoryWeights(D(50), D(30), D(10))),
        # 满意度 empty: 50 × 90/80, 30 × 90/80
        ({"output", "effect"}, CategoryWeights(D("56.25"), D("33.75"), D(0))),
        # 效益 empty: 50 × 90/60, 10 × 90/60
        ({"output", "satisfaction"}, CategoryWeights(D(75), D(0), D(15))),
        ({"output"}, CategoryWeights(D(90), D(0), D(0))),
        (set(), CategoryWeights(D(0), D(0), D(0))),
    ],
)
def test_category_weights_redistribute(present, expected: CategoryWeights) -> None:
    assert category_weights(present, SETTINGS) == expected


def test_category_weights_zero_weight_category() -> None:
    settings = EvaluationSettings(output_weight=D(60), satisfaction_weight=D(0))
    assert category_weights({"satisfaction"}, settings) == CategoryWeights(D(0), D(0), D(0))


@pytest.mark.parametrize(
    ("indicators", "expected"),
    [
        (
            [("产出指标", None), ("产出指标", None), ("效益指标", None), ("效益指标", None),
             ("效益指标", None), ("满意度指标", None)],
            (D(25), D(25), D(10), D(10), D(10), D(10)),
        ),
        # 满意度 empty: 56.25 split three ways; 效益 33.75
        (
            [("产出指标", None), ("产出指标", None), ("产出指标", None), ("效益指标", None)],
            (D("18.75"), D("18.75"), D("18.75"), D("33.75")),
        ),
        # 成本 一级 shares the 产出 weight
        (
            [("产出指标", None), ("成本指标", None), ("效益指标", None), ("满意度指标", None)],
            (D(25), D(25), D(30), D(10)),
        ),
        # given 分值 kept; the rest share what is left: (56.25 − 20) ÷ 2 = 18.125 → 18.13, and
        # the last takes the rounding (DOMAIN §3: the column adds up exactly)
        (
            [("产出指标", D(20)), ("产出指标", None), ("产出指标", None), ("效益指标", None)],
            (D(20), D("18.13"), D("18.12"), D("33.75")),
        ),
        # given 分值 exceed the category: the rest get 0, never negative
        (
            [("产出指标", D(60)), ("产出指标", None), ("效益指标", None), ("满意度指标", None)],
            (D(60), D(0), D(30), D(10)),
        ),
        # all given: category weights play no part
        ([("产出指标", D(45)), ("效益指标", D(45))], (D(45), D(45))),
        ([], ()),
    ],
)
def test_indicator_weights(indicators, expected) -> None:
    assert indicator_weights(indicators, SETTINGS) == expected


def test_indicator_weights_reject_negative() -> None:
    with pytest.raises(ValueError, match="分值"):
        indicator_weights([("产出指标", D(-1))], SETTINGS)
