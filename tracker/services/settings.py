"""Settings with DOMAIN.md defaults; stored values override them key by key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Setting

#: Every policy number of DOMAIN.md, with its default.  Keys are stable identifiers.
DEFAULT_SETTINGS: dict[str, Any] = {
    # 双监控 — money status by the ratio v = 执行率 ÷ planned% × 100
    "money_red_below": 60,
    "money_yellow_below": 80,
    # indicator progress colours
    "indicator_red_below": 60,
    "indicator_yellow_below": 80,
    "indicator_blue_from": 120,
    # 序时进度: "month" (month/12) or "day" (days/365)
    "time_progress_method": "month",
    # default plan when a target table has none: "time_progress" (序时进度 at each quarter end)
    "default_plan": "time_progress",
    # monitoring round cut-off month N (河北 6, central style 7)
    "monitoring_month": 6,
    # self-evaluation weights (产出, 效益, 满意度, 预算执行率)
    "weights": {"产出指标": 50, "效益指标": 30, "满意度指标": 10, "预算执行率": 10},
    # grade bands: lower bounds
    "grade_bands": {"优": 90, "良": 80, "中": 60, "差": 0},
    # qualitative bands, percent of the indicator weight
    "qualitative_bands": {
        "达成年度指标": [80, 100],
        "部分达成年度指标并具有一定效果": [60, 80],
        "未达成年度指标且效果较差": [0, 60],
    },
}


def get_settings(session: Session) -> dict[str, Any]:
    values = dict(DEFAULT_SETTINGS)
    for row in session.scalars(select(Setting)):
        if row.key in values:
            values[row.key] = row.value
    return values
