"""领导驾驶舱 (leadership cockpit): the numbers and Plotly figures of one year, unit filter and
date, built from projects already evaluated by 双监控.

Input ``CockpitInput`` (gathered by ``tracker.services.cockpit``): every project at ``as_of``
and at every month end of the year, the indicators' results, the newest 偏差说明 of the
projects and the open alerts.  Output ``Cockpit``: totals, counts by status, the cumulative
curve, the unit × checkpoint matrix, the ranking, the laggards, indicator results, and each
chart as a Plotly figure dict (``figures``) ready to embed as JSON.

Decisions (DOMAIN §2 defines the rules per project; these extend them to a group):

- 执行率 of a group = Σ 累计支出 ÷ Σ 全年预算数 × 100; its 计划进度 = Σ (全年预算数 × 计划%) ÷
  Σ 全年预算数 (the budget-weighted plan).  Its status against the plan and against 序时进度
  is ``money_status`` of those numbers with the same thresholds, and grey “台账未覆盖” unless
  the ledger of every project covers the date (a group is not judged on half its books).
- The checkpoints of the matrix are the standard 3月底 / 6月底 / 10月底 / 12月底 and the
  monitoring cut-off; a checkpoint after ``as_of`` is “未到”.
- The ranking orders projects by money status (超支, 红, 黄, 绿, 无法判断), then by
  v = 执行率 ÷ 计划进度 ascending; bars are coloured by money status.
- Laggards (滞后项目) are money red or yellow (超支 is not lagging), lowest v first; 滞后金额 =
  全年预算数 × 计划进度 − 累计支出.

Money stays ``Decimal``; every text (hover labels included) is formatted from it, and floats
appear only as chart coordinates.  URLs come from a ``Links`` object, so nothing here needs
the web framework.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import partial
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import plotly.graph_objects as go

from tracker.core.categories import level1_position
from tracker.core.labels import COLOUR_LABELS, MONEY_STATUS_LABELS
from tracker.core.money import MoneyStatus, money_status, round_money, wan_text
from tracker.core.plan import time_progress
from tracker.core.settings import MonitoringSettings

ZERO = Decimal(0)
HUNDRED = Decimal(100)

STATUS_COLOURS = {"red": "#c62828", "overspent": "#c62828", "yellow": "#f9a825",
                  "green": "#2e7d32", "blue": "#1565c0", "grey": "#9e9e9e"}
INK, BRAND, MUTED, FUTURE = "#1f2933", "#1d4e89", "#616e7c", "#e4e9f0"
FONT = '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif'

OVERALL_ORDER = ("red", "yellow", "green", "blue", "grey")
MONEY_ORDER = ("overspent", "red", "yellow", "green", "grey")

# What one screen holds (the whole province has 50,000 projects and 200 units): the rest is
# one click away, in the paged list of 运行监控 or the cockpit of one unit.
MAX_BARS = 30  # the ranking draws at most this many projects (worst first)
HEAT_UNITS = 30  # the heat map draws at most this many units (most in need of attention first)
LAGGARDS = 10
ALERTS_SHOWN = 10  # unread alerts listed on the page (with the count of all)
ALERTS_COUNTED = 10_000  # unread alerts counted at most (beyond: "超过 10,000 条")
INDICATORS_LISTED = 10  # per colour, in the list under the indicator chart
LABEL_CHARS = 12  # axis labels are cut to this many characters (full text on hover)


def alert_count_text(total: int) -> str:
    """The count of unread alerts (at most ``ALERTS_COUNTED + 1``) as the page and the export
    print it after 本年度 / 共: " 26 条", or "超过 10,000 条" past ``ALERTS_COUNTED``."""
    return f"超过 {ALERTS_COUNTED:,} 条" if total > ALERTS_COUNTED else f" {total} 条"


# --- input --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRow:
    """One project evaluated at one date: money in 元, percents on the 0–100 scale."""

    project_id: int
    unit_id: int
    name: str
    budget: Decimal  # 全年预算数
    spent: Decimal  # 累计支出
    execution_rate: Decimal | None
    planned_pct: Decimal
    ratio: Decimal | None  # v = 执行率 ÷ 计划进度 × 100
    gap_points: Decimal | None  # 计划进度 − 执行率
    money_status: str  # red / yellow / green / grey / overspent
    results: str  # colour of the indicators
    overall: str  # 双监控 overall colour
    ledger_covered: bool
    forecast: Decimal = ZERO  # 全年预计执行数 (by plan)
    carry_over: Decimal = ZERO  # 预计结转结余 (by plan)
    money_note: str | None = None


class MonthEndMoney(NamedTuple):
    """One project's money at a month end (all the curve and the matrix need)."""

    project_id: int
    unit_id: int
    budget: Decimal
    spent: Decimal
    planned_pct: Decimal
    ledger_covered: bool


Money = ProjectRow | MonthEndMoney


class IndicatorResult(NamedTuple):
    """One 绩效指标 of a project at ``as_of`` (a named tuple: a cockpit holds 100,000)."""

    project_id: int
    level1: str
    name: str
    target: str  # 年度指标值 as printed
    colour: str
    label: str
    overdue: bool = False  # nothing reported and the reporting deadline has passed


@dataclass(frozen=True)
class ExplanationFacts:
    """The newest 偏差说明 of a project on or before ``as_of``."""

    as_of: date
    causes: tuple[str, ...]  # labels
    likelihood: str  # label
    reason: str | None
    corrective_actions: str | None  # 纠偏措施
    actor: str


@dataclass(frozen=True)
class AlertLine:
    alert_id: int
    kind: str  # label
    severity: str
    as_of: date
    message: str
    project_id: int | None


@dataclass(frozen=True)
class CockpitInput:
    year: int
    as_of: date
    settings: MonitoringSettings
    units: Mapping[int, str]  # the units shown (id → name)
    projects: Sequence[ProjectRow]  # at as_of
    month_ends: Mapping[date, Sequence[Money]]  # every month end of the year
    checkpoints: Sequence[date]
    cutoff: date  # end of the monitoring month
    indicators: Sequence[IndicatorResult] = ()
    explanations: Mapping[int, ExplanationFacts] = field(default_factory=dict)
    alerts: Sequence[AlertLine] = ()  # open alerts, newest first (the newest ``ALERTS_READ``)
    alerts_total: int = 0  # how many open alerts there are in all
    unit_id: int | None = None  # the unit filter, if any


class Links(Protocol):
    """Where each figure's parts lead (the web layer builds the URLs)."""

    def project(self, project_id: int, as_of: date) -> str: ...

    def overview(self, as_of: date, status: str | None = None) -> str: ...

    def cockpit(self, as_of: date, unit_id: int | None) -> str: ...


# --- numbers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Aggregate:
    """A group of projects at one date."""

    day: date
    count: int
    budget: Decimal
    spent: Decimal
    execution_rate: Decimal | None  # None without budget
    planned_pct: Decimal | None
    covered: bool  # every project's ledger covers ``day``
    uncovered_units: frozenset[int]
    vs_plan: MoneyStatus | None

    @property
    def colour(self) -> str:
        if self.vs_plan is None:
            return "grey"
        return self.vs_plan.colour


def aggregate(rows: Sequence[Money], day: date, settings: MonitoringSettings) -> Aggregate:
    """执行率 and budget-weighted 计划进度 of ``rows``, judged like one project."""
    budget = sum((r.budget for r in rows), ZERO)
    spent = sum((r.spent for r in rows), ZERO)
    covered = all(r.ledger_covered for r in rows)
    rate = planned = status = None
    if budget > 0:
        rate = spent * HUNDRED / budget
        planned = sum((r.budget * r.planned_pct for r in rows), ZERO) / budget
        status = money_status(rate, planned, settings, covered)
    return Aggregate(day, len(rows), budget, spent, rate, planned, covered,
                     frozenset(r.unit_id for r in rows if not r.ledger_covered), status)


@dataclass(frozen=True)
class Totals:
    now: Aggregate
    time_progress: Decimal  # 序时进度 at as_of
    vs_time: MoneyStatus | None  # 执行率 against 序时进度
    forecast: Decimal
    carry_over: Decimal


def totals(data: CockpitInput) -> Totals:
    now = aggregate(data.projects, data.as_of, data.settings)
    progress = time_progress(data.as_of, data.settings.time_progress_method)
    vs_time = None if now.execution_rate is None else money_status(
        now.execution_rate, progress, data.settings, now.covered)
    return Totals(now, progress, vs_time, sum((r.forecast for r in data.projects), ZERO),
                  sum((r.carry_over for r in data.projects), ZERO))


def status_counts(rows: Sequence[ProjectRow], attribute: str, order: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(order, 0)
    for row in rows:
        counts[getattr(row, attribute)] += 1
    return counts


@dataclass(frozen=True)
class CurvePoint:
    day: date
    planned_pct: Decimal | None
    execution_rate: Decimal | None  # None after as_of
    time_progress: Decimal
    covered: bool


def department_curve(data: CockpitInput) -> tuple[CurvePoint, ...]:
    """Plan and 序时进度 at every month end; 执行率 at the month ends up to ``as_of`` and at
    ``as_of`` itself."""
    days: dict[date, Sequence[Money]] = dict(data.month_ends)
    days[data.as_of] = data.projects
    points = []
    for day in sorted(days):
        group = aggregate(days[day], day, data.settings)
        reached = day <= data.as_of
        points.append(CurvePoint(day, group.planned_pct, group.execution_rate if reached else None,
                                 time_progress(day, data.settings.time_progress_method),
                                 group.covered if reached else True))
    return tuple(points)


@dataclass(frozen=True)
class HeatCell:
    unit_id: int | None  # None: all units shown (合计)
    checkpoint: date
    state: str  # judged / uncovered / future / empty
    group: Aggregate | None
    colour: str  # red / yellow / green / grey, or "future"
    text: str  # what the cell says


@dataclass(frozen=True)
class Heatmap:
    checkpoints: tuple[date, ...]
    rows: tuple[tuple[int | None, str], ...]  # (unit id or None for 合计, name)
    cells: tuple[tuple[HeatCell, ...], ...]  # [row][checkpoint]
    drawn: tuple[int, ...] = ()  # the rows the figure draws (indexes into ``rows``)

    @property
    def lines(self) -> list[tuple[int | None, str, tuple[HeatCell, ...]]]:
        """(unit id, name, cells) per row."""
        return [(uid, name, cells) for (uid, name), cells in zip(self.rows, self.cells)]

    @property
    def units(self) -> int:
        """Units in the map (the 合计 row not counted)."""
        return sum(1 for uid, _name in self.rows if uid is not None)

    @property
    def trimmed(self) -> bool:
        """The figure draws only some of the units."""
        return len(self.drawn) < len(self.rows)


HEAT_ORDER = {"red": 0, "yellow": 1, "grey": 2, "green": 3, "future": 4}


def _attention(cells: Sequence[HeatCell]) -> tuple[Any, ...]:
    """How much a unit's row needs attention, by its latest checkpoint reached: red, yellow,
    grey (未覆盖 / 无预算), green, then the lowest share of the plan completed."""
    reached = [cell for cell in cells if cell.state != "future"]
    if not reached:
        return (HEAT_ORDER["future"], 0, ZERO)
    cell = reached[-1]
    ratio = cell.group.vs_plan.ratio if cell.group is not None and cell.group.vs_plan is not None else None
    return (HEAT_ORDER[cell.colour], ratio is None, ratio if ratio is not None else ZERO)


def unit_heatmap(data: CockpitInput, limit: int = HEAT_UNITS) -> Heatmap:
    """Each unit's 执行率 against its plan at each checkpoint (with a 合计 row above several).
    More than ``limit`` units: the figure draws 合计 and the ``limit`` units most in need of
    attention (``_attention``), worst first; the data below it lists them all."""
    checkpoints = tuple(sorted(set(data.checkpoints)))
    units_with_projects = {r.unit_id for r in data.projects}
    rows: list[tuple[int | None, str]] = [
        (uid, name) for uid, name in data.units.items() if uid in units_with_projects]
    if len(rows) > 1:
        rows.insert(0, (None, "合计"))
    by_unit: dict[tuple[date, int | None], list[Money]] = defaultdict(list)
    for checkpoint in checkpoints:
        for money in data.month_ends.get(checkpoint, ()):
            by_unit[checkpoint, money.unit_id].append(money)
            by_unit[checkpoint, None].append(money)
    cells = [tuple(_heat_cell(unit_id, checkpoint, by_unit[checkpoint, unit_id], data)
                   for checkpoint in checkpoints) for unit_id, _name in rows]
    drawn = list(range(len(rows)))
    units = [index for index, (uid, _name) in enumerate(rows) if uid is not None]
    if len(units) > limit:
        worst = sorted(units, key=lambda index: (_attention(cells[index]), index))[:limit]
        drawn = [index for index in drawn if rows[index][0] is None] + worst
    return Heatmap(checkpoints, tuple(rows), tuple(cells), tuple(drawn))


def _heat_cell(unit_id: int | None, checkpoint: date, rows: Sequence[Money],
               data: CockpitInput) -> HeatCell:
    if checkpoint > data.as_of:
        return HeatCell(unit_id, checkpoint, "future", None, "future", "未到")
    group = aggregate(rows, checkpoint, data.settings)
    if group.vs_plan is None:
        return HeatCell(unit_id, checkpoint, "empty", group, "grey", "无预算")
    if not group.covered:
        return HeatCell(unit_id, checkpoint, "uncovered", group, "grey", "未覆盖")
    return HeatCell(unit_id, checkpoint, "judged", group, group.colour, pct_text(group.execution_rate))


def ranking(rows: Sequence[ProjectRow]) -> tuple[ProjectRow, ...]:
    """Worst first: by money status (超支, 红, 黄, 绿, 无法判断), then by v ascending."""
    order = {status: index for index, status in enumerate(MONEY_ORDER)}
    return tuple(sorted(rows, key=lambda r: (
        order[r.money_status], r.ratio is None, r.ratio if r.ratio is not None else ZERO,
        -(r.gap_points or ZERO), r.project_id)))


@dataclass(frozen=True)
class Laggard:
    row: ProjectRow
    behind: Decimal  # 滞后金额, 元: 全年预算数 × 计划进度 − 累计支出
    explanation: ExplanationFacts | None


def laggards(data: CockpitInput, limit: int = LAGGARDS) -> tuple[Laggard, ...]:
    lagging = [r for r in ranking(data.projects) if r.money_status in ("red", "yellow")]
    return tuple(Laggard(r, round_money(r.budget * r.planned_pct / HUNDRED - r.spent),
                         data.explanations.get(r.project_id)) for r in lagging[:limit])


@dataclass(frozen=True)
class IndicatorSummary:
    levels: tuple[str, ...]  # 一级 in display order
    counts: Mapping[str, Mapping[str, int]]  # 一级 → colour → indicators
    totals: Mapping[str, int]  # colour → indicators
    listed: Mapping[str, tuple[IndicatorResult, ...]]  # colour → the first INDICATORS_LISTED
    overdue: int


def indicator_summary(results: Sequence[IndicatorResult]) -> IndicatorSummary:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLOUR_LABELS, 0))
    listed: dict[str, list[IndicatorResult]] = {colour: [] for colour in COLOUR_LABELS}
    for result in results:
        level = result.level1.strip() or "未分类"
        counts[level][result.colour] += 1
        if len(listed[result.colour]) < INDICATORS_LISTED:
            listed[result.colour].append(result)

    totals = {colour: sum(c[colour] for c in counts.values()) for colour in COLOUR_LABELS}
    levels = tuple(sorted(counts, key=lambda level: (level1_position(level), level)))  # 产出, 成本, 效益, 满意度, others
    return IndicatorSummary(levels, dict(counts), totals,
                            {c: tuple(items) for c, items in listed.items()},
                            sum(1 for r in results if r.overdue))


# --- text ---------------------------------------------------------------------------------


def pct_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{round_money(value)}%"


def number_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{round_money(value):,}"


#: The text formats of the page (half up, like the hover labels), for the template.
TEXT = {"wan": partial(wan_text, grouped=True), "pct": pct_text, "num": number_text}


def checkpoint_label(day: date, cutoff: date | None = None) -> str:
    return f"{day.month}月底" + ("（监控截止）" if day == cutoff else "")


def short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def plain(text: str) -> str:
    """Text for a Plotly label or hover: Plotly reads ``<b>``, ``<a href>`` … in them as
    markup, so a name from a document is shown as written, never as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- figures ------------------------------------------------------------------------------


def _layout(height: int, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none", "height": height, "autosize": True,
        "font": {"family": FONT, "size": 12, "color": INK},
        "margin": {"l": 10, "r": 16, "t": 10, "b": 10, "pad": 2},
        "paper_bgcolor": "#fff", "plot_bgcolor": "#fff", "hovermode": "closest",
        "hoverlabel": {"font": {"family": FONT}}, "dragmode": False,
    }
    layout.update(extra)
    return layout


def _figure_dict(traces: Sequence[Any], layout: dict[str, Any]) -> dict[str, Any]:
    """The figure, checked by ``plotly.graph_objects``, as plain JSON values (what
    ``Plotly.newPlot`` takes).  Built in one constructor call: adding traces and updating
    the layout one by one validates everything again each time."""
    return json.loads(go.Figure(data=list(traces), layout=layout).to_json())


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def curve_figure(curve: Sequence[CurvePoint], data: CockpitInput, links: Links) -> dict[str, Any]:
    """Cumulative plan, 执行率 and 序时进度 of the group through the year, with the checkpoints
    and the date marked; a point leads to the project list at its date."""
    start = date(data.year, 1, 1)
    days = [start.isoformat()] + [p.day.isoformat() for p in curve]

    def hover(p: CurvePoint) -> list[str]:
        return [links.overview(p.day), p.day.isoformat(), pct_text(p.planned_pct),
                pct_text(p.execution_rate), pct_text(p.time_progress),
                "" if p.covered else "（部分单位台账未覆盖，实际数偏低）"]

    origin = ["", "年初", "0.00%", "0.00%", "0.00%", ""]
    template = ("%{customdata[1]}<br>计划进度 %{customdata[2]}<br>实际执行率 %{customdata[3]}"
                "<br>序时进度 %{customdata[4]}%{customdata[5]}<extra></extra>")
    reached = [p for p in curve if p.execution_rate is not None]
    traces: list[Any] = []
    traces.append(go.Scatter(
        name="计划进度", x=days, y=[0.0] + [_f(p.planned_pct) for p in curve], mode="lines",
        line={"color": BRAND, "width": 2.5}, customdata=[origin] + [hover(p) for p in curve],
        hovertemplate=template))
    traces.append(go.Scatter(
        name="序时进度", x=days, y=[0.0] + [_f(p.time_progress) for p in curve], mode="lines",
        line={"color": MUTED, "width": 1.5, "dash": "dash"},
        customdata=[origin] + [hover(p) for p in curve], hovertemplate=template))
    traces.append(go.Scatter(
        name="实际执行率", x=[start.isoformat()] + [p.day.isoformat() for p in reached],
        y=[0.0] + [_f(p.execution_rate) for p in reached], mode="lines+markers",
        line={"color": "#e65100", "width": 3},
        marker={"size": [0] + [8 for _ in reached], "color": "#e65100",
                "symbol": ["circle"] + ["circle" if p.covered else "circle-open" for p in reached]},
        customdata=[origin] + [hover(p) for p in reached], hovertemplate=template))
    marks = [p for p in curve if p.day in set(data.checkpoints)]
    traces.append(go.Scatter(
        name="检查点", x=[p.day.isoformat() for p in marks], y=[_f(p.planned_pct) for p in marks],
        mode="markers", marker={"symbol": "diamond", "size": 11, "color": BRAND,
                                "line": {"color": "#fff", "width": 1}},
        customdata=[hover(p) for p in marks], hovertemplate=template))
    top = max([105.0] + [float(v) + 5 for p in curve
                         for v in (p.planned_pct, p.execution_rate) if v is not None])
    shapes, notes = [], []
    for day in sorted(set(data.checkpoints)):
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": day.isoformat(),
                       "x1": day.isoformat(), "y0": 0, "y1": 1,
                       "line": {"color": "#b0bac5", "width": 1, "dash": "dot"}})
        notes.append({"x": day.isoformat(), "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom",
                      "text": checkpoint_label(day), "showarrow": False,
                      "font": {"size": 11, "color": MUTED}})
    shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": data.as_of.isoformat(),
                   "x1": data.as_of.isoformat(), "y0": 0, "y1": 1, "line": {"color": INK, "width": 1.5}})
    notes.append({"x": data.as_of.isoformat(), "y": 0.98, "xref": "x", "yref": "paper",
                  "xanchor": "right" if data.as_of.month > 6 else "left", "yanchor": "top",
                  "text": f"截至{data.as_of.month}月{data.as_of.day}日", "showarrow": False,
                  "bgcolor": "rgba(255,255,255,.8)", "font": {"size": 11}})
    layout = _layout(
        340, shapes=shapes, annotations=notes,
        margin={"l": 10, "r": 16, "t": 24, "b": 10, "pad": 2},
        legend={"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
        xaxis={"type": "date", "range": [start.isoformat(), date(data.year, 12, 31).isoformat()],
               "tickformat": "%-m月", "showgrid": False, "automargin": True, "fixedrange": True},
        yaxis={"range": [0, top], "ticksuffix": "%", "gridcolor": "#eef2f7", "automargin": True,
               "fixedrange": True, "zeroline": False})
    return _figure_dict(traces, layout)


def ranking_figure(rows: Sequence[ProjectRow], data: CockpitInput, progress: Decimal,
                   links: Links) -> dict[str, Any]:
    """Every project (worst first, at most ``MAX_BARS``): a bar of 执行率 coloured by money
    status with a tick at its 计划进度; a bar leads to the project's monitoring page."""
    shown = rows[:MAX_BARS]
    labels = [f"{index}. {plain(short(r.name))}" for index, r in enumerate(shown, start=1)]
    customdata = [[links.project(r.project_id, data.as_of), plain(r.name),
                   plain(data.units.get(r.unit_id, "")),
                   pct_text(r.execution_rate), pct_text(r.planned_pct), pct_text(r.ratio),
                   MONEY_STATUS_LABELS.get(r.money_status, r.money_status),
                   wan_text(r.budget, grouped=True), wan_text(r.spent, grouped=True)] for r in shown]
    template = ("<b>%{customdata[1]}</b><br>%{customdata[2]}<br>执行率 %{customdata[3]}，"
                "计划进度 %{customdata[4]}<br>完成计划 %{customdata[5]}（%{customdata[6]}）"
                "<br>预算 %{customdata[7]} 万元，已支出 %{customdata[8]} 万元<extra></extra>")
    rates = [float(r.execution_rate) if r.execution_rate is not None else 0.0 for r in shown]
    traces: list[Any] = []
    traces.append(go.Bar(
        name="执行率", orientation="h", x=rates, y=labels, customdata=customdata,
        marker={"color": [STATUS_COLOURS[r.money_status] for r in shown]},
        hovertemplate=template))
    traces.append(go.Scatter(  # the bar under it says everything on hover and leads on
        name="计划进度", x=[float(r.planned_pct) for r in shown], y=labels, mode="markers",
        marker={"symbol": "line-ns-open", "size": 16, "color": INK, "line": {"width": 3, "color": INK}},
        hoverinfo="skip"))
    top = max([105.0] + [rate + 5 for rate in rates] + [float(r.planned_pct) + 5 for r in shown])
    layout = _layout(
        60 + 26 * max(len(shown), 1), showlegend=False, barmode="overlay", bargap=0.25,
        margin={"l": 10, "r": 16, "t": 10, "b": 24, "pad": 2},
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": float(progress),
                 "x1": float(progress), "y0": 0, "y1": 1,
                 "line": {"color": MUTED, "width": 1.5, "dash": "dash"}}],
        annotations=[{"x": float(progress), "y": 0, "xref": "x", "yref": "paper", "yanchor": "top",
                      "text": f"序时进度 {pct_text(progress)}", "showarrow": False,
                      "font": {"size": 11, "color": MUTED}}],
        xaxis={"range": [0, top], "ticksuffix": "%", "gridcolor": "#eef2f7", "side": "top",
               "automargin": True, "fixedrange": True, "zeroline": False},
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True,
               "tickfont": {"size": 12}})
    return _figure_dict(traces, layout)


HEAT_CODES = {"red": 0, "yellow": 1, "green": 2, "grey": 3, "future": 4}
HEAT_SCALE = [[0.0, STATUS_COLOURS["red"]], [0.2, STATUS_COLOURS["red"]],
              [0.2, STATUS_COLOURS["yellow"]], [0.4, STATUS_COLOURS["yellow"]],
              [0.4, STATUS_COLOURS["green"]], [0.6, STATUS_COLOURS["green"]],
              [0.6, "#bdbdbd"], [0.8, "#bdbdbd"], [0.8, FUTURE], [1.0, FUTURE]]


def heatmap_figure(heatmap: Heatmap, data: CockpitInput, links: Links) -> dict[str, Any]:
    """Units × checkpoints coloured by the unit's money status there (the rows ``drawn``); a
    cell leads to the cockpit of that unit at that checkpoint."""
    columns = [checkpoint_label(day) for day in heatmap.checkpoints]
    drawn = heatmap.drawn or tuple(range(len(heatmap.rows)))
    names = [plain(short(heatmap.rows[index][1], 8)) for index in drawn]
    z, text, customdata = [], [], []
    for index in drawn:
        (unit_id, name), line = heatmap.rows[index], heatmap.cells[index]
        z.append([HEAT_CODES[cell.colour] for cell in line])
        text.append([cell.text for cell in line])
        customdata.append([[links.cockpit(cell.checkpoint, unit_id) if cell.state != "future" else "",
                            _heat_hover(name, cell, data.cutoff)] for cell in line])
    traces = [go.Heatmap(
        z=z, x=columns, y=names, text=text, texttemplate="%{text}", customdata=customdata,
        hovertemplate="%{customdata[1]}<extra></extra>", colorscale=HEAT_SCALE, zmin=-0.5,
        zmax=4.5, showscale=False, xgap=3, ygap=3, textfont={"size": 12})]
    layout = _layout(
        70 + 44 * max(len(names), 1),
        xaxis={"side": "top", "fixedrange": True, "automargin": True, "showgrid": False},
        yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True, "showgrid": False})
    return _figure_dict(traces, layout)


def _heat_hover(name: str, cell: HeatCell, cutoff: date) -> str:
    head = f"<b>{plain(name)}</b> · {cell.checkpoint.isoformat()} {checkpoint_label(cell.checkpoint, cutoff)}"
    if cell.group is None:
        return f"{head}<br>未到检查点"
    group = cell.group
    lines = [head, f"项目 {group.count} 个，预算 {wan_text(group.budget, grouped=True)} 万元，"
                   f"已支出 {wan_text(group.spent, grouped=True)} 万元",
             f"执行率 {pct_text(group.execution_rate)}，计划进度 {pct_text(group.planned_pct)}"]
    if group.vs_plan is not None:
        lines.append(f"完成计划 {pct_text(group.vs_plan.ratio)}，{group.vs_plan.label}")
    if not group.covered:
        lines.append("台账未覆盖该日期，不作红黄判断")
    return "<br>".join(lines)


def indicator_figure(summary: IndicatorSummary) -> dict[str, Any]:
    """Indicators by 一级 and colour, stacked; a segment leads to its list below the chart."""
    traces: list[Any] = []
    for colour, label in COLOUR_LABELS.items():
        counts = [summary.counts[level][colour] for level in summary.levels]
        traces.append(go.Bar(
            name=label, orientation="h", y=[plain(level) for level in summary.levels], x=counts,
            marker={"color": STATUS_COLOURS[colour]}, text=[c or "" for c in counts],
            textposition="inside", insidetextanchor="middle", textangle=0,
            customdata=[f"#indicators-{colour}"] * len(counts),
            hovertemplate=f"%{{y}}：{label} %{{x}} 项<extra></extra>"))
    layout = _layout(
        50 + 44 * max(len(summary.levels), 1), barmode="stack", showlegend=False,
        xaxis={"fixedrange": True, "gridcolor": "#eef2f7", "automargin": True, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True})
    return _figure_dict(traces, layout)


# --- the page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cockpit:
    data: CockpitInput
    totals: Totals
    counts: dict[str, int]  # overall colour → projects
    money_counts: dict[str, int]  # money status → projects
    curve: tuple[CurvePoint, ...]
    heatmap: Heatmap
    ranking: tuple[ProjectRow, ...]
    laggards: tuple[Laggard, ...]
    indicators: IndicatorSummary
    figures: dict[str, dict[str, Any]]

    @property
    def ranking_shown(self) -> int:
        return min(len(self.ranking), MAX_BARS)

    @property
    def uncovered_units(self) -> list[str]:
        return [self.data.units.get(uid, str(uid)) for uid in sorted(self.totals.now.uncovered_units)]


def build_cockpit(data: CockpitInput, links: Links) -> Cockpit:
    """Every number and figure of the cockpit page."""
    summary = totals(data)
    curve = department_curve(data)
    heatmap = unit_heatmap(data)
    ranked = ranking(data.projects)
    indicators = indicator_summary(data.indicators)
    figures = {
        "curve": curve_figure(curve, data, links),
        "heatmap": heatmap_figure(heatmap, data, links),
        "ranking": ranking_figure(ranked, data, summary.time_progress, links),
        "indicators": indicator_figure(indicators),
    }
    return Cockpit(data, summary, status_counts(data.projects, "overall", OVERALL_ORDER),
                   status_counts(data.projects, "money_status", MONEY_ORDER), curve, heatmap,
                   ranked, laggards(data), indicators, figures)


__all__ = ["AlertLine", "MonthEndMoney", "Cockpit", "CockpitInput", "ExplanationFacts",
           "IndicatorResult", "Links", "ProjectRow", "build_cockpit"]
