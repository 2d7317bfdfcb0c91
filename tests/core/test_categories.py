"""The 一级 rule, written once (issue #18): which 一级 an indicator falls in, their order, names."""

from __future__ import annotations

import pytest

from tracker.core.categories import (
    LEVEL1_LABELS,
    LEVEL1_ORDER,
    level1_named,
    level1_of,
    level1_position,
    weighed_in,
)
from tracker.core.weights import CATEGORY_LABELS, category_of


@pytest.mark.parametrize(("text", "expected"), [
    ("产出指标", "output"), ("产出", "output"), (" 成本指标 ", "cost"), ("效益", "effect"),
    ("满意度指标", "satisfaction"), ("效果指标", None), ("数量指标", None), ("", None), ("满意", None),
])
def test_named_is_strict(text: str, expected: str | None) -> None:
    assert level1_named(text) == expected


@pytest.mark.parametrize(("level1", "level2", "expected"), [
    ("产出指标", "成本指标", "output"),  # the 一级 decides before the 二级
    ("成本指标", "经济成本指标", "cost"),
    ("效果指标", "社会效益指标", "effect"),  # 效果: the older word for 效益
    ("1-效益指标（30分）", "", "effect"),
    ("服务对象满意度", "", "satisfaction"),
    ("", "数量指标", "output"),
    ("", "时效指标", "output"),
    ("", "可持续影响指标", "effect"),
    ("", "服务对象满意度指标", "satisfaction"),
    ("其他", "", None),
    ("", "", None),
])
def test_of_reads_the_level1_then_the_level2(level1: str, level2: str, expected: str | None) -> None:
    assert level1_of(level1, level2) == expected


def test_order_and_names() -> None:
    assert [LEVEL1_LABELS[c] for c in LEVEL1_ORDER] == ["产出指标", "成本指标", "效益指标", "满意度指标"]
    texts = ["满意度指标", "其他", "效益指标", "成本指标", "产出指标"]
    assert sorted(texts, key=level1_position) == ["产出指标", "成本指标", "效益指标", "满意度指标", "其他"]
    assert level1_position("未分类") == len(LEVEL1_ORDER)


def test_cost_is_weighed_inside_output() -> None:
    assert [weighed_in(c) for c in LEVEL1_ORDER] == ["output", "output", "effect", "satisfaction"]
    assert category_of("成本指标") == "output"
    assert CATEGORY_LABELS == {"output": "产出指标", "effect": "效益指标", "satisfaction": "满意度指标"}
