"""领导驾驶舱 figures and numbers from evaluated projects (no database)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from tracker.core.plan import month_end
from tracker.core.settings import MonitoringSettings
from tracker.reports.cockpit import (
    HEAT_UNITS,
    MAX_BARS,
    AlertLine,
    CockpitInput,
    ExplanationFacts,
    IndicatorResult,
    TEXT,
    ProjectRow,
    aggregate,
    build_cockpit,
    department_curve,
    indicator_summary,
    laggards,
    number_text,
    pct_text,
    ranking,
    totals,
    unit_heatmap,
)

SETTINGS = MonitoringSettings()
AS_OF = date(2025, 6, 30)
CHECKPOINTS = [date(2025, 3, 31), date(2025, 6, 30), date(2025, 10, 31), date(2025, 12, 31)]


class FakeLinks:
    def project(self, project_id: int, as_of: date) -> str:
        return f"/p/{project_id}?d={as_of.isoformat()}"

    def overview(self, as_of: date, status: str | None = None) -> str:
        return f"/o?d={as_of.isoformat()}&s={status or ''}"

    def cockpit(self, as_of: date, unit_id: int | None) -> str:
        return f"/c?d={as_of.isoformat()}&u={unit_id or ''}"


def row(pid: int, *, unit: int = 1, budget: str = "1000000", spent: str = "0", planned: str = "50",
        money: str | None = None, covered: bool = True, overall: str | None = None,
        name: str | None = None) -> ProjectRow:
    budget_d, spent_d, planned_d = Decimal(budget), Decimal(spent), Decimal(planned)
    rate = spent_d * 100 / budget_d if budget_d else None
    ratio = rate * 100 / planned_d if rate is not None and planned_d else None
    if money is None:
        money = "grey" if not covered else ("red" if ratio is not None and ratio < 60 else
                                            "yellow" if ratio is not None and ratio < 80 else "green")
    return ProjectRow(pid, unit, name or f"项目{pid}", budget_d, spent_d, rate, planned_d, ratio,
                      None if rate is None else planned_d - rate, money, "grey", overall or money,
                      covered, forecast=spent_d, carry_over=budget_d - spent_d)


def data(projects: list[ProjectRow], month_ends: dict[date, list[ProjectRow]] | None = None,
         **extra: object) -> CockpitInput:
    ends = {month_end(2025, m): projects for m in range(1, 13)}
    ends.update(month_ends or {})
    values: dict[str, object] = dict(
        year=2025, as_of=AS_OF, settings=SETTINGS, units={1: "科技局", 2: "财政局"},
        projects=projects, month_ends=ends, checkpoints=CHECKPOINTS, cutoff=date(2025, 6, 30))
    values.update(extra)
    return CockpitInput(**values)  # type: ignore[arg-type]


def test_a_group_is_weighted_by_budget_and_judged_only_when_every_ledger_covers_it() -> None:
    rows = [row(1, budget="3000000", spent="300000", planned="20"),
            row(2, budget="1000000", spent="500000", planned="60")]
    group = aggregate(rows, AS_OF, SETTINGS)
    assert group.budget == Decimal("4000000") and group.spent == Decimal("800000")
    assert group.execution_rate == Decimal(20)  # 80万 ÷ 400万
    assert group.planned_pct == Decimal(30)  # (300万×20% + 100万×60%) ÷ 400万
    assert group.vs_plan is not None and group.vs_plan.status == "yellow"  # v = 66.67
    assert group.vs_plan.gap_points == Decimal(10)

    half = aggregate([rows[0], replace(rows[1], ledger_covered=False)], AS_OF, SETTINGS)
    assert half.vs_plan is not None and half.vs_plan.status == "grey"
    assert half.uncovered_units == frozenset({1}) and not half.covered
    assert aggregate([], AS_OF, SETTINGS).vs_plan is None


def test_totals_compare_execution_with_the_plan_and_with_time_elapsed() -> None:
    result = totals(data([row(1, spent="400000", planned="50")]))
    assert result.time_progress == Decimal(50)  # June: 6/12
    assert result.now.vs_plan is not None and result.now.vs_plan.status == "green"  # v = 80
    assert result.vs_time is not None and result.vs_time.status == "green"
    assert result.carry_over == Decimal("600000")
    late = totals(data([row(1, spent="200000", planned="30")], as_of=date(2025, 9, 15)))
    # DOMAIN §2: 序时进度 is linear by day between month ends: (8 + 15/30) ÷ 12 = 70.83% on 15 Sep
    assert round(late.time_progress, 2) == Decimal("70.83")
    assert late.vs_time is not None and late.vs_time.status == "red"  # 20 ÷ 70.83 < 60%
    assert late.now.vs_plan is not None and late.now.vs_plan.status == "yellow"  # 20 ÷ 30


def test_the_curve_shows_actual_only_up_to_the_date() -> None:
    projects = [row(1, spent="100000", planned="40")]
    ends = {month_end(2025, m): [row(1, spent=str(m * 10000), planned=str(m * 8))] for m in range(1, 13)}
    curve = department_curve(data(projects, ends, as_of=date(2025, 5, 20)))
    days = [p.day for p in curve]
    assert days == sorted(days) and date(2025, 5, 20) in days and len(days) == 13
    by_day = {p.day: p for p in curve}
    assert by_day[date(2025, 4, 30)].execution_rate == Decimal(4)
    assert by_day[date(2025, 4, 30)].planned_pct == Decimal(32)
    assert by_day[date(2025, 5, 20)].execution_rate == Decimal(10)
    assert by_day[date(2025, 5, 31)].execution_rate is None  # after the date: plan only
    assert by_day[date(2025, 12, 31)].planned_pct == Decimal(96)


def test_heatmap_cells_per_unit_and_checkpoint() -> None:
    march = [row(1, unit=1, spent="200000", planned="25"),
             row(2, unit=2, spent="0", planned="25", covered=False)]
    june = [row(1, unit=1, spent="150000", planned="50"), row(2, unit=2, spent="500000", planned="50")]
    heat = unit_heatmap(data(june, {date(2025, 3, 31): march, date(2025, 6, 30): june}))
    assert heat.rows == ((None, "合计"), (1, "科技局"), (2, "财政局"))
    assert [c.month for c in heat.checkpoints] == [3, 6, 10, 12]
    total, first, second = heat.cells
    assert (first[0].colour, first[0].text) == ("green", "20.00%")  # v = 80
    assert first[1].colour == "red"  # 15% against 50%: v = 30
    assert (second[0].state, second[0].text, second[0].colour) == ("uncovered", "未覆盖", "grey")
    assert second[1].colour == "green"
    assert total[0].state == "uncovered"  # 财政局's ledger did not reach 3月底
    assert (total[1].text, total[1].colour) == ("32.50%", "yellow")  # 65万 ÷ 200万 against 50%
    assert all(c.state == "future" and c.text == "未到" for line in heat.cells for c in line[2:])


def test_ranking_puts_the_worst_first_and_laggards_carry_their_explanation() -> None:
    rows = [row(1, spent="500000", planned="50"),  # green
            row(2, spent="100000", planned="50"),  # red, v 20
            row(3, spent="350000", planned="50"),  # yellow, v 70
            row(4, spent="1200000", planned="50", money="overspent"),
            row(5, spent="0", planned="50", covered=False),  # grey
            row(6, spent="50000", planned="50")]  # red, v 10
    assert [r.project_id for r in ranking(rows)] == [4, 6, 2, 3, 1, 5]
    why = ExplanationFacts(date(2025, 6, 30), ("经费保障",), "有可能", "资金晚到", "加快支付", "张三")
    found = laggards(data(rows, explanations={2: why}))
    assert [lag.row.project_id for lag in found] == [6, 2, 3]
    assert found[0].behind == Decimal("450000.00") and found[0].explanation is None
    assert found[1].explanation == why


def test_indicator_results_by_level_and_colour() -> None:
    results = [IndicatorResult(1, "效益指标", "a", "≥1", "red", "红灯"),
               IndicatorResult(1, "产出指标", "b", "≥1", "green", "绿灯"),
               IndicatorResult(2, "满意度指标", "c", "≥90%", "grey", "未填报", overdue=True),
               IndicatorResult(2, "产出指标", "d", "≥1", "blue", "蓝灯"),
               IndicatorResult(2, "自定义", "e", "是", "grey", "未填报")]
    summary = indicator_summary(results)
    assert summary.levels == ("产出指标", "效益指标", "满意度指标", "自定义")
    assert summary.counts["产出指标"]["green"] == 1 and summary.counts["产出指标"]["blue"] == 1
    assert summary.totals == {"red": 1, "yellow": 0, "green": 1, "blue": 1, "grey": 2}
    assert summary.overdue == 1 and [i.name for i in summary.listed["grey"]] == ["c", "e"]


def test_money_text_is_formatted_from_decimal_half_up() -> None:
    assert TEXT["wan"](Decimal("12345678.90")) == "1,234.57"
    assert TEXT["wan"](Decimal("50.00")) == "0.01"  # 0.005 万元 rounds up
    assert pct_text(Decimal("12.345")) == "12.35%" and pct_text(None) == "—"
    assert number_text(Decimal("-0.125")) == "-0.13" and number_text(Decimal("1234.5")) == "1,234.50"


def test_figures_link_to_what_they_are_made_of() -> None:
    rows = [row(7, name="<a href='/x'>超长的项目名称用来测试截断</a>", budget="1234567.89",
                spent="617283.95"),
            row(8, unit=2, spent="100000")]
    indicators = [IndicatorResult(8, "产出指标", "支持企业数", "≥10家", "red", "红灯")]
    page = build_cockpit(data(rows, indicators=indicators,
                              alerts=[AlertLine(1, "转为红灯", "red", AS_OF, "m", 8)]), FakeLinks())
    figures = page.figures
    assert set(figures) == {"curve", "heatmap", "ranking", "indicators"}
    json.dumps(figures)  # plain JSON values only

    bars = figures["ranking"]["data"][0]
    assert bars["type"] == "bar" and bars["orientation"] == "h"
    assert [c[0] for c in bars["customdata"]] == ["/p/8?d=2025-06-30", "/p/7?d=2025-06-30"]
    assert bars["marker"]["color"] == ["#c62828", "#2e7d32"]  # red (v 20), green (v 100)
    assert bars["customdata"][1][7] == "123.46" and bars["customdata"][1][8] == "61.73"  # 万元, from Decimal
    # cut to 12 characters, and shown as written (Plotly would read <a> as a link)
    assert bars["y"][1] == "2. &lt;a href='/x…"
    assert bars["customdata"][1][1] == "&lt;a href='/x'&gt;超长的项目名称用来测试截断&lt;/a&gt;"
    assert "<a" not in json.dumps(figures, ensure_ascii=False)

    heat = figures["heatmap"]["data"][0]
    assert heat["y"] == ["合计", "科技局", "财政局"]
    assert heat["customdata"][1][0][0] == "/c?d=2025-03-31&u=1"
    assert heat["customdata"][0][1][0] == "/c?d=2025-06-30&u="
    assert heat["customdata"][1][2][0] == ""  # 10月底: not reached, no link
    assert heat["z"][1][:2] == [2, 2] and heat["z"][2][:2] == [0, 0] and heat["z"][0][3] == 4

    curve = figures["curve"]
    assert [t["name"] for t in curve["data"]] == ["计划进度", "序时进度", "实际执行率", "检查点"]
    actual = curve["data"][2]
    assert actual["x"][-1] == "2025-06-30" and actual["customdata"][-1][0] == "/o?d=2025-06-30&s="
    lines = [s["x0"] for s in curve["layout"]["shapes"]]
    assert lines == ["2025-03-31", "2025-06-30", "2025-10-31", "2025-12-31", "2025-06-30"]
    red = figures["indicators"]["data"][0]
    assert (red["name"], red["y"], red["x"], red["customdata"]) == (
        "红灯", ["产出指标"], [1], ["#indicators-red"])
    assert page.counts == {"red": 1, "yellow": 0, "green": 1, "blue": 0, "grey": 0}


def test_the_ranking_draws_at_most_max_bars() -> None:
    rows = [row(i, spent=str(i * 1000)) for i in range(1, MAX_BARS + 11)]
    page = build_cockpit(data(rows), FakeLinks())
    assert len(page.ranking) == MAX_BARS + 10 and page.ranking_shown == MAX_BARS
    assert len(page.figures["ranking"]["data"][0]["x"]) == MAX_BARS
    assert page.figures["ranking"]["layout"]["height"] == 60 + 26 * MAX_BARS


def test_the_heatmap_of_many_units_draws_the_ones_most_in_need_of_attention() -> None:
    """Beyond ``HEAT_UNITS`` units the figure draws 合计 and the worst units at the latest
    checkpoint reached (red, yellow, grey, then green, lowest share of the plan first); the
    data under it still lists every unit."""
    units = HEAT_UNITS + 5
    # unit u spends u % of a 50 % plan: units 1–29 red (v < 60), 30–39 yellow, none green;
    # unit 3 has no ledger at the date (grey)
    rows = [row(u, unit=u, spent=str(u * 10_000), covered=u != 3) for u in range(1, units + 1)]
    names = {u: f"单位{u}" for u in range(1, units + 1)}
    heat = unit_heatmap(data(rows, {date(2025, 3, 31): rows, date(2025, 6, 30): rows}, units=names))
    assert heat.units == units and heat.trimmed and len(heat.lines) == units + 1
    drawn = [heat.rows[index][0] for index in heat.drawn]
    assert drawn[0] is None and len(drawn) == HEAT_UNITS + 1  # 合计 first
    reds = [u for u in range(1, 30) if u != 3]
    assert drawn[1:] == (reds + list(range(30, 40)) + [3])[:HEAT_UNITS]
    figure = build_cockpit(data(rows, {date(2025, 3, 31): rows, date(2025, 6, 30): rows}, units=names),
                           FakeLinks()).figures["heatmap"]
    assert figure["data"][0]["y"] == ["合计"] + [names[u] for u in drawn[1:]]

    few = unit_heatmap(data(rows[:3], units=names))
    assert not few.trimmed and [uid for uid, _name in few.rows] == [None, 1, 2, 3]


def test_the_plan_ticks_of_the_ranking_carry_no_second_copy_of_the_hover_data() -> None:
    figure = build_cockpit(data([row(i, spent=str(i * 1000)) for i in range(1, 6)]), FakeLinks()).figures["ranking"]
    bars, ticks = figure["data"]
    assert len(bars["customdata"]) == 5 and "customdata" not in ticks and ticks["hoverinfo"] == "skip"
