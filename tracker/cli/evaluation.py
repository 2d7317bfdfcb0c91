"""``tracker evaluate``: the year-end 自评 of every project (frozen, else computed, never written)."""

from __future__ import annotations

import sys

import click

from tracker.cli.context import Context, echo_json, pass_context
from tracker.cli.help import TrackerCommand


@click.command("evaluate", cls=TrackerCommand, help="年终自评：每个项目最近一次冻结的自评，没有时按当前数据计算（不写入）")
@click.option("--year", required=True, type=int, help="年度")
@click.option("--unit", help="单位 ID、编码或名称（默认全部单位）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组，每个项目一个对象")
@pass_context
def evaluate_command(ctx: Context, year: int, unit: str | None, as_json: bool) -> None:
    from tracker.services.evaluation_views import contract_for_year
    from tracker.services.ledger_import import resolve_unit

    with ctx.transaction() as session:
        unit_id = resolve_unit(session, unit).id if unit else None
        lines, failed = contract_for_year(session, year, unit_id)
    if as_json:
        echo_json(lines)
    else:
        for line in lines:
            state = f"第{line['evaluation_number']}次自评（已冻结）" if line["frozen"] else "按当前数据计算（未冻结）"
            rate = f"{line['execution_pct']}%" if line["execution_pct"] else "—"
            click.echo(f"{line['project_code'] or '-'} {line['project_name']}：总分 {line['total']} "
                       f"{line['grade']}，执行率 {rate}，{state}")
    for project, reason in failed:
        click.echo(f"错误：{project.code or '-'} {project.name}：{reason}", err=True)
    if not as_json:
        click.echo(f"{year} 年：{len(lines)} 个项目" + (f"，{len(failed)} 个无法评价" if failed else ""))
    if failed:
        sys.exit(2)
