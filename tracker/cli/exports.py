"""``tracker export …`` (JSON arrays) and ``tracker department …`` (部门整体 indicators)."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.context import Context, echo_json, json_object_option, pass_context
from tracker.cli.help import TrackerGroup


@click.group("export", cls=TrackerGroup, help="导出数据")
def export_group() -> None:
    pass


@export_group.command("projects", help="导出项目、支出计划、指标和审核发现")
@click.option("--year", type=int)
@click.option("--json", "as_json", is_flag=True, required=True, help="输出 JSON（目前唯一格式）")
@pass_context
def export_projects(ctx: Context, year: int | None, as_json: bool) -> None:
    from tracker.services.projects import export_projects as export

    with ctx.transaction() as session:
        echo_json(export(session, year))


@export_group.command("spending", help="导出各项目截至某日的累计支出")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--json", "as_json", is_flag=True, required=True, help="输出 JSON（目前唯一格式）")
@pass_context
def export_spending(ctx: Context, as_of: Any, as_json: bool) -> None:
    from tracker.services.ledger_queue import export_spending as export

    with ctx.transaction() as session:
        echo_json(export(session, as_of.date()))


@export_group.command("department-indicators", help="导出部门整体绩效指标（从分项绩效目标读出）及审核发现")
@click.option("--year", type=int)
@click.option("--unit", help="单位编码或名称")
@click.option("--json", "as_json", is_flag=True, required=True, help="输出 JSON（目前唯一格式）")
@pass_context
def export_department_indicators(ctx: Context, year: int | None, unit: str | None, as_json: bool) -> None:
    from tracker.services.department import export_rows

    with ctx.transaction() as session:
        echo_json(export_rows(session, year, unit))


@click.group("department", cls=TrackerGroup, help="部门整体绩效指标（从分项绩效目标读出）")
def department_group() -> None:
    pass


@department_group.command("correct", help="更正或补充一个部门整体绩效指标（留痕；再次导入目标文件不覆盖）")
@click.option("--unit", required=True, help="单位编码或名称")
@click.option("--year", required=True, type=int)
@click.option("--indicator", "position", required=True, type=int, help="指标序号（export department-indicators 的顺序，从 1 起）")
@click.option("--name", default="", help="三级指标名称")
@click.option("--level1", default="", help="一级指标：产出指标、成本指标、效益指标或满意度指标")
@click.option("--level2", default="", help="二级指标")
@click.option("--value", default="", help="年度指标值，如 ≥10项、95%、2025年12月31日前")
@click.option("--weight", default="", help="分值（不给出时按一级指标平均分配）")
@click.option("--reason", required=True, help="更正原因")
@json_object_option
@pass_context
def department_correct(ctx: Context, unit: str, year: int, position: int, name: str, level1: str, level2: str,
                       value: str, weight: str, reason: str, as_json: bool) -> None:
    from tracker.services import department

    with ctx.transaction() as session:
        record = department.find_department_year(session, unit, year)
        row = department.find_indicator(session, record, position, empty_goal=True)
        department.correct(session, row, actor="cli", reason=reason, name=name, level1=level1, level2=level2,
                           target=value, weight=weight)
        if as_json:
            echo_json({"unit": record.unit.name, "year": year, "indicator": position, "name": row.name,
                       "level1": row.level1, "level2": row.level2, "target": row.target_raw,
                       "weight": None if row.weight is None else str(row.weight), "findings": list(row.finding_list)})
            return
        left = "；".join(row.finding_list) or "无审核发现"
        click.echo(f"已更正：{record.unit.name} {year}年 第{position}个指标“{row.name}”，指标值“{row.target_raw}”"
                   f"（{left}）")
