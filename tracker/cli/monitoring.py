"""``tracker check`` (双监控 at a date; ``monitor evaluate`` is its alias) and ``tracker monitor …``."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.context import Context, echo_json, pass_context
from tracker.cli.help import TrackerCommand, TrackerGroup
from tracker.core.labels import COLOUR_LABELS


@click.group(cls=TrackerGroup, help="运行监控（双监控）")
def monitor() -> None:
    pass


@monitor.command("refreeze", help="台账批次撤销后，按当前数据重新冻结基于已撤销批次的检查点评价（原冻结值保留为历史版本）")
@click.option("--project", "project_ids", multiple=True, type=int, help="项目 ID（可多次给出）")
@click.option("--unit", help="一个单位的全部项目（ID、编码或名称）")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="只重新冻结这一检查点 YYYY-MM-DD（默认：全部被标记的检查点）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_context
def monitor_refreeze(ctx: Context, project_ids: tuple[int, ...], unit: str | None, as_of: Any,
                     as_json: bool) -> None:
    from sqlalchemy import select

    from tracker.models import Project
    from tracker.services.corrections import refreeze
    from tracker.services.ledger_import import resolve_unit
    from tracker.services.ledger_lock import retrying

    if bool(project_ids) == bool(unit):
        raise click.UsageError("请指定 --project 或 --unit 之一")

    def write() -> Any:
        with ctx.transaction(write=True) as session:
            ids = list(project_ids) if project_ids else list(session.scalars(
                select(Project.id).where(Project.unit_id == resolve_unit(session, unit).id)))
            result = refreeze(session, ids, "cli", ctx.today(), as_of.date() if as_of else None)
            return result.as_json() if as_json else result.text

    answer = retrying(write)
    if as_json:
        echo_json(answer)
    else:
        click.echo(answer)


@click.command("check", cls=TrackerCommand, help="各项目在某一日期的双监控结果（资金、指标、总体状态、预计执行数）")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="判断日期 YYYY-MM-DD（只包括该年度的项目）")
@click.option("--unit", help="只看一个单位（ID、编码或名称）")
@click.option("--project", "project_ids", multiple=True, type=int, help="只看这些项目（项目 ID，可多次给出）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组")
@click.option("--save", is_flag=True, help="把结果保存为快照（检查点日期保存为检查点快照）")
@pass_context
def check(ctx: Context, as_of: Any, unit: str | None, project_ids: tuple[int, ...], as_json: bool,
          save: bool) -> None:
    from tracker.services.checks import check as check_projects
    from tracker.services.ledger_import import resolve_unit

    day = as_of.date()
    with ctx.transaction() as session:
        unit_id = resolve_unit(session, unit).id if unit else None
        records = check_projects(session, day, unit_id, project_ids=project_ids or None,
                                 save_on=ctx.today() if save else None)
    if as_json:
        echo_json(records)
    else:
        labels = {**COLOUR_LABELS, "incomplete": "台账未覆盖"}
        for r in records:
            click.echo(f"{labels[r['status']]}\t{r['project_code'] or '-'}\t{r['project_name']}\t"
                       f"计划 {r['planned_pct']}% 执行 {r['execution_pct'] or '-'}% "
                       f"支出 {r['spent_yuan']} 元 / 预算 {r['budget_yuan']} 元")
        counts = {status: sum(1 for r in records if r["status"] == status) for status in labels}
        summary = "，".join(f"{labels[s]} {n}" for s, n in counts.items() if n)
        click.echo(f"{day.isoformat()}：{len(records)} 个项目" + (f"（{summary}）" if summary else ""))
    if save:
        click.echo(f"已保存 {len(records)} 个项目的快照", err=True)


# ``monitor evaluate`` is the older name of ``check`` (the same options, output and keys).
monitor.add_command(type(check)("evaluate", callback=check.callback, params=check.params,
                                help="同 tracker check（旧名）：各项目在某一日期的双监控结果"), "evaluate")
