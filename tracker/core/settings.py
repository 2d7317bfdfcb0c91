"""Policy numbers that differ between provinces, with the defaults of DOMAIN.md.

Both settings objects are frozen, validate themselves on construction (``ValueError`` with a
Chinese message), and round-trip through a plain dict of JSON values (``from_dict`` /
``to_dict``) so the app can store them as JSON.  Numbers are ``Decimal``; ``from_dict`` accepts
JSON numbers or numeric strings.  A missing key keeps its default; an unknown key is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Mapping

TimeProgressMethod = Literal["month", "day"]
TIME_PROGRESS_METHODS: tuple[str, ...] = ("month", "day")

#: ``default_plan`` value meaning "use 序时进度" (the DOMAIN default).
TIME_PROGRESS_PLAN = "time_progress"


@dataclass(frozen=True)
class MonitoringSettings:
    """Settings of 绩效运行监控 (双监控).

    - ``red_below`` / ``yellow_below``: ratio v < red_below → red; < yellow_below → yellow;
      otherwise green.  Used for money (v = 执行率 ÷ planned% × 100) and for positive
      indicators (v = 当前值 ÷ expected-by-now × 100).  Defaults 60 / 80.
    - ``blue_from``: indicator v ≥ blue_from → blue (over-achievement).  Default 120.
    - ``time_progress_method``: 序时进度 = k/12 at the end of month k, linear by day between
      month ends (``"month"``, DOMAIN's curve) or day-of-year/365|366 (``"day"``).
    - ``default_plan``: the plan used when a project has none.  ``None`` = 序时进度 by
      ``time_progress_method`` (the default); otherwise cumulative percent at month ends,
      e.g. ``((6, Decimal(50)), (9, Decimal(75)), (12, Decimal(100)))``.
    - ``monitoring_month``: the cut-off month N of the monitoring round (6 in 河北, 7 central).
    """

    red_below: Decimal = Decimal("60")
    yellow_below: Decimal = Decimal("80")
    blue_from: Decimal = Decimal("120")
    time_progress_method: TimeProgressMethod = "month"
    default_plan: tuple[tuple[int, Decimal], ...] | None = None
    monitoring_month: int = 6

    def __post_init__(self) -> None:
        if not Decimal(0) < self.red_below < self.yellow_below <= self.blue_from:
            raise ValueError(
                "状态阈值应满足 0 < 红灯阈值 < 黄灯阈值 ≤ 蓝灯阈值，"
                f"当前为 {self.red_below} / {self.yellow_below} / {self.blue_from}"
            )
        if self.time_progress_method not in TIME_PROGRESS_METHODS:
            raise ValueError(
                f"序时进度计算方式应为“month”（按月）或“day”（按日），当前为“{self.time_progress_method}”"
            )
        if self.default_plan is not None:
            _validate_month_plan(self.default_plan)
        if isinstance(self.monitoring_month, bool) or self.monitoring_month not in range(1, 13):
            raise ValueError(f"监控截止月份应为1至12之间的整数，当前为 {self.monitoring_month!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitoringSettings:
        """Build from a JSON-style dict; ``default_plan`` may be ``"time_progress"``, null or
        a list of ``[month, percent]`` pairs."""
        values = _known_keys(cls, data, "监控设置")
        for key in ("red_below", "yellow_below", "blue_from"):
            if key in values:
                values[key] = _to_decimal(key, values[key])
        if "monitoring_month" in values:
            values["monitoring_month"] = _to_int("monitoring_month", values["monitoring_month"])
        if "default_plan" in values:
            values["default_plan"] = _to_month_plan(values["default_plan"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (Decimals as strings) that ``from_dict`` reads back unchanged."""
        plan = (
            TIME_PROGRESS_PLAN
            if self.default_plan is None
            else [[month, str(pct)] for month, pct in self.default_plan]
        )
        return {
            "red_below": str(self.red_below),
            "yellow_below": str(self.yellow_below),
            "blue_from": str(self.blue_from),
            "time_progress_method": self.time_progress_method,
            "default_plan": plan,
            "monitoring_month": self.monitoring_month,
        }


@dataclass(frozen=True)
class LedgerSettings:
    """Settings of ledger reconciliation (对账, issue #16).

    - ``reconcile_threshold``: a difference between a unit's sources (账面数 − 国库已支付数)
      whose absolute value exceeds it, in 元, is highlighted and raises an alert.  Default 0.01.
    """

    reconcile_threshold: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        if self.reconcile_threshold < 0:
            raise ValueError(f"对账差异阈值不能为负数，当前为 {self.reconcile_threshold}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LedgerSettings:
        values = _known_keys(cls, data, "台账设置")
        if "reconcile_threshold" in values:
            values["reconcile_threshold"] = _to_decimal("reconcile_threshold", values["reconcile_threshold"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {"reconcile_threshold": str(self.reconcile_threshold)}


@dataclass(frozen=True)
class EvaluationSettings:
    """Settings of 年终自评 (DOMAIN §3).  All numbers are points or percent.

    - weights (分值): ``output_weight`` 产出 50, ``effect_weight`` 效益 30,
      ``satisfaction_weight`` 满意度 10, ``execution_weight`` 预算执行率 10; they must sum to 100.
    - grade (等级) lower bounds: 优 ≥ ``excellent_from`` 90, 良 ≥ ``good_from`` 80,
      中 ≥ ``fair_from`` 60, otherwise 差.
    - qualitative bands in percent of the indicator's 分值: 达成 [``achieved_from`` 80, 100],
      部分达成 [``partial_from`` 60, ``achieved_from``), 未达成 [0, ``partial_from``).
    - ``over_achievement_from`` 130: A ≥ 130% of T needs an explanation (target set too low).
    - consistency warnings (not in DOMAIN; our defaults): indicator score ≥
      ``high_performance_from`` 90% of the indicator 分值 while 执行率 < ``low_execution_below``
      60%; 结余率 > ``surplus_rate_above`` 20%.
    """

    output_weight: Decimal = Decimal("50")
    effect_weight: Decimal = Decimal("30")
    satisfaction_weight: Decimal = Decimal("10")
    execution_weight: Decimal = Decimal("10")
    excellent_from: Decimal = Decimal("90")
    good_from: Decimal = Decimal("80")
    fair_from: Decimal = Decimal("60")
    achieved_from: Decimal = Decimal("80")
    partial_from: Decimal = Decimal("60")
    over_achievement_from: Decimal = Decimal("130")
    high_performance_from: Decimal = Decimal("90")
    low_execution_below: Decimal = Decimal("60")
    surplus_rate_above: Decimal = Decimal("20")

    def __post_init__(self) -> None:
        weights = (
            self.output_weight,
            self.effect_weight,
            self.satisfaction_weight,
            self.execution_weight,
        )
        if any(weight < 0 for weight in weights):
            raise ValueError("权重（分值）不能为负数")
        if sum(weights) != 100:
            raise ValueError(
                "产出、效益、满意度和预算执行率的权重合计应为100，" f"当前合计为 {sum(weights)}"
            )
        if not Decimal(0) < self.fair_from < self.good_from < self.excellent_from <= 100:
            raise ValueError(
                "等级分数线应满足 0 < 中 < 良 < 优 ≤ 100，"
                f"当前为 {self.fair_from} / {self.good_from} / {self.excellent_from}"
            )
        if not Decimal(0) < self.partial_from < self.achieved_from <= 100:
            raise ValueError(
                "定性指标档次应满足 0 < 部分达成下限 < 达成下限 ≤ 100，"
                f"当前为 {self.partial_from} / {self.achieved_from}"
            )
        if self.over_achievement_from <= 100:
            raise ValueError(f"超额完成提示线应大于100%，当前为 {self.over_achievement_from}")
        for name, value in (
            ("高绩效提示线", self.high_performance_from),
            ("低执行率提示线", self.low_execution_below),
            ("结余率提示线", self.surplus_rate_above),
        ):
            if not Decimal(0) <= value <= 100:
                raise ValueError(f"{name}应在0至100之间，当前为 {value}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationSettings:
        """Build from a JSON-style dict of numbers (or numeric strings)."""
        values = _known_keys(cls, data, "自评设置")
        return cls(**{key: _to_decimal(key, value) for key, value in values.items()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (Decimals as strings) that ``from_dict`` reads back unchanged."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


def _known_keys(cls: type, data: Mapping[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what}应为键值对（JSON 对象）")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{what}中有未知的设置项：{'、'.join(map(str, unknown))}")
    return dict(data)


def _to_decimal(key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"设置项“{key}”应为数字，当前为 {value!r}")
    try:
        # str() first: a JSON float 12.5 becomes Decimal("12.5"), not its binary expansion.
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"设置项“{key}”应为数字，当前为 {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"设置项“{key}”应为有限的数字，当前为 {value!r}")
    return number


def _to_int(key: str, value: Any) -> int:
    number = _to_decimal(key, value)
    if number != number.to_integral_value():
        raise ValueError(f"设置项“{key}”应为整数，当前为 {value!r}")
    return int(number)


def _to_month_plan(value: Any) -> tuple[tuple[int, Decimal], ...] | None:
    if value is None or value == TIME_PROGRESS_PLAN:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValueError(
            f"默认支出计划应为“{TIME_PROGRESS_PLAN}”（序时进度）或[月份, 累计百分比]的列表，当前为 {value!r}"
        )
    plan = []
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError(f"默认支出计划的每一项应为[月份, 累计百分比]，当前为 {item!r}")
        plan.append((_to_int("default_plan", item[0]), _to_decimal("default_plan", item[1])))
    return tuple(plan)


def _validate_month_plan(plan: tuple[tuple[int, Decimal], ...]) -> None:
    if not plan:
        raise ValueError("默认支出计划不能为空；使用序时进度请留空")
    months = [month for month, _ in plan]
    if any(isinstance(m, bool) or m not in range(1, 13) for m in months):
        raise ValueError(f"默认支出计划的月份应为1至12，当前为 {months}")
    if months != sorted(set(months)):
        raise ValueError(f"默认支出计划的月份应递增且不重复，当前为 {months}")
    percents = [pct for _, pct in plan]
    if any(not isinstance(p, Decimal) or not Decimal(0) <= p <= 100 for p in percents):
        raise ValueError("默认支出计划的累计百分比应在0至100之间")
    if percents != sorted(percents):
        raise ValueError("默认支出计划的累计百分比应逐月不减")
