"""``tracker progress …``: indicator values reported one by one or through the Excel 填报表."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from tracker.cli.context import Context, echo_json, json_object_option, pass_context
from tracker.cli.help import TrackerGroup


@click.group(cls=TrackerGroup, help="绩效指标完成值填报")
def progress() -> None:
    pass


@progress.command("add", help="填报一个指标的当前完成值（保留历史，不覆盖）")
@click.option("--project", "project_ref", help="项目编码、名称或 ID")
@click.option("--department", "department_ref",
              help="填报部门整体绩效指标时给出单位编码或名称（代替 --project；--indicator 为指标序号或名称）")
@click.option("--indicator", "indicator_name", required=True, help="三级指标名称")
@click.option("--value", required=True,
              help="定量/反向指标填数字（可带单位，如 95%）；定性指标填三档之一（如“达成年度指标”）；时限指标填完成日期")
@click.option("--date", "reported_on", required=True, help="完成值日期 YYYY-MM-DD（决定项目年度）")
@click.option("--note", default="", help="说明")
@json_object_option
@pass_context
def progress_add(ctx: Context, project_ref: str | None, department_ref: str | None, indicator_name: str,
                 value: str, reported_on: str, note: str, as_json: bool) -> None:
    from tracker.services.progress import find_indicator, find_project, record_progress, scripted_form

    try:
        year = date.fromisoformat(reported_on.strip()).year
    except ValueError:
        raise click.BadParameter(f"应为日期 YYYY-MM-DD，当前为“{reported_on}”", param_hint="--date") from None
    if (project_ref is None) == (department_ref is None):
        raise click.UsageError("请给出 --project（项目指标）或 --department（部门整体绩效指标）二者之一")
    if department_ref is not None:
        _department_progress_add(ctx, department_ref, year, indicator_name, value, reported_on, note, as_json)
        return
    assert project_ref is not None
    with ctx.transaction(write=True) as session:
        project = find_project(session, project_ref, year)
        indicator = find_indicator(project, indicator_name)
        report = record_progress(session, project, scripted_form(indicator, value, reported_on, note),
                                 ctx.today(), "cli")
        if as_json:
            echo_json({"record_id": report.id, "project_id": project.id, "unit": None, "indicator": indicator.name,
                       "reported_on": report.reported_on.isoformat()})
            return
        click.echo(f"已填报：{project.name} / {indicator.name} @ {report.reported_on.isoformat()}"
                   f"（记录 {report.id}）")


def _department_progress_add(ctx: Context, unit: str, year: int, indicator_ref: str, value: str,
                             reported_on: str, note: str, as_json: bool) -> None:
    from tracker.services import department

    with ctx.transaction(write=True) as session:
        record = department.find_department_year(session, unit, year)
        row = department.find_indicator_by_ref(session, record, indicator_ref)
        entry = department.add_progress(session, row, reported_on=date.fromisoformat(reported_on.strip()),
                                        actor="cli", raw=value, note=note, today=ctx.today())
        if as_json:  # a 部门整体 indicator: the unit instead of a project
            echo_json({"record_id": entry.id, "project_id": None, "unit": record.unit.name, "indicator": row.name,
                       "reported_on": entry.reported_on.isoformat()})
            return
        click.echo(f"已填报：{record.unit.name} 部门整体 / {row.name} @ {entry.reported_on.isoformat()}"
                   f"（记录 {entry.id}）")


@progress.command("template", help="下载某单位的填报表（Excel）：指标完成值与偏差说明，填好后用 "
                                   "progress import 上传")
@click.option("--unit", required=True, help="单位 ID、编码或名称")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="截至日期 YYYY-MM-DD（决定年度、状态与偏差说明的检查点）")
@click.option("--kind", type=click.Choice(["monitoring", "self-eval"]), default="monitoring", show_default=True,
              help="填报表种类：monitoring（绩效运行监控：指标完成值与偏差说明）；self-eval（年终自评："
                   "各项目未提交的自评草稿）")
@click.option("--project", "project_ref", help="只含一个项目（项目编码、名称或 ID）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 .xlsx")
@json_object_option
@pass_context
def progress_template(ctx: Context, unit: str, as_of: Any, kind: str, project_ref: str | None,
                      out: Path, as_json: bool) -> None:
    from tracker.services.ledger_import import resolve_unit
    from tracker.services.progress import find_project
    from tracker.services.progress_workbook import template

    day = as_of.date()
    with ctx.transaction() as session:
        found = resolve_unit(session, unit)
        project_id = find_project(session, project_ref, day.year).id if project_ref else None
        data = template(session, found, day, ctx.config.secret_key, kind=kind, project_id=project_id)
    out.write_bytes(data)
    if as_json:
        echo_json({"file": str(out), "unit": found.name, "as_of": day.isoformat(), "kind": kind, "bytes": len(data)})
        return
    click.echo(f"已生成 {found.name} 截至 {day.isoformat()} 的填报表：{out}")


@progress.command("import", help="上传填好的填报表：先列出每项改动与每处拒绝；有拒绝时不保存任何内容")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只预览，不保存")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（applied、changes、refusals）")
@pass_context
def progress_import(ctx: Context, file: Path, dry_run: bool, as_json: bool) -> None:
    from tracker.services.ledger_lock import retrying
    from tracker.services.progress_workbook import import_workbook

    data = file.read_bytes()

    def write() -> Any:
        with ctx.transaction(write=not dry_run) as session:
            return import_workbook(session, data, filename=file.name, actor="cli", today=ctx.today(),
                                   secret=ctx.config.secret_key, apply=not dry_run,
                                   limits=ctx.config.file_limits)

    result = retrying(write)
    if as_json:
        echo_json(result.as_json())
    else:
        for change in result.changes:
            click.echo(f"改动 {change['sheet']} 第{change['row']}行：{change['project']} / {change['indicator']}"
                       f" @ {change['reported_on']}：{change['old'] or '（未填报）'} → {change['new']}")
        for refusal in result.refusals:
            where = f"{refusal.sheet} 第{refusal.row}行 {refusal.column}".strip() if refusal.row else refusal.sheet
            click.echo(f"拒绝 {where}：{refusal.message}".replace("拒绝 ：", "拒绝："))
        state = ("未保存任何内容" if result.refusals else "未保存（预览）" if not result.applied
                 else "已保存" if result.changes else "没有需要保存的改动")
        click.echo(f"{len(result.changes)} 项改动，{result.unchanged} 项与已填报相同，"
                   f"{len(result.refusals)} 处拒绝；{state}")
    if result.refusals:
        sys.exit(2)
