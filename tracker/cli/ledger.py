"""``tracker ledger …``: import batches, the unmatched queue, reconciliation, the counting source."""

from __future__ import annotations

from typing import Any

import click

from tracker.cli.context import Context, echo_json, json_object_option, pass_context, waiting_notice
from tracker.cli.help import TrackerGroup


@click.group(cls=TrackerGroup, help="台账批次与待匹配队列")
def ledger() -> None:
    pass


@ledger.command("unmatched", help="列出待匹配的行")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_context
def ledger_unmatched(ctx: Context, as_json: bool) -> None:
    from tracker.services.ledger_queue import unmatched_json

    with ctx.transaction() as session:
        rows = unmatched_json(session)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"#{r['row_id']} {r['date']} {r['amount_yuan']:>16} {r['summary'] or ''} "
                   f"{r['project_ref'] or ''}")
    click.echo(f"共 {len(rows)} 行待匹配")


@ledger.command("assign", help="把待匹配的行分配给项目（可同时保存为规则）")
@click.argument("row_ids", nargs=-1, required=True, type=int)
@click.option("--project", "project_id", required=True, type=int)
@click.option("--rule-account", help="保存规则：科目编码前缀")
@click.option("--rule-keyword", help="保存规则：摘要关键词")
@json_object_option
@pass_context
def ledger_assign(ctx: Context, row_ids: tuple[int, ...], project_id: int,
                  rule_account: str | None, rule_keyword: str | None, as_json: bool) -> None:
    from tracker.services.ledger_lock import retrying
    from tracker.services.ledger_queue import assign

    def write() -> tuple[int, Any]:
        with ctx.transaction() as session:
            return assign(session, row_ids, project_id, "cli",
                          rule_account_prefix=rule_account, rule_keyword=rule_keyword)

    count, rule = retrying(write)
    if as_json:
        echo_json({"assigned": count, "project_id": project_id, "rule_id": rule.id if rule else None})
        return
    click.echo(f"已分配 {count} 行" + (f"，并保存规则 #{rule.id}" if rule else ""))


@ledger.command("undo", help="撤销一个导入批次（恢复被它替换的旧行；依据它冻结的检查点评价标记为基于已撤销的台账批次，依据它的预警撤回）")
@click.argument("batch_id", type=int)
@json_object_option
@pass_context
def ledger_undo(ctx: Context, batch_id: int, as_json: bool) -> None:
    from tracker.services.ledger_import import undo
    from tracker.services.ledger_lock import retrying

    def write() -> tuple[Any, Any]:
        with ctx.transaction() as session:
            batch, changes, _waited = undo(session, batch_id, "cli", today=ctx.today(),
                                           waiting=waiting_notice())
        return batch, changes

    batch, changes = retrying(write)
    if as_json:  # the keys of ``import ledger`` for the same facts
        echo_json({"batch_id": batch.id, "file": batch.file_name, "status": batch.status,
                   "status_changes": changes.text if changes else None,
                   "projects_reevaluated": changes.evaluated if changes else 0,
                   "withdrawn_snapshots": changes.withdrawn_snapshots if changes else 0,
                   "withdrawn_alerts": changes.withdrawn_alerts if changes else 0})
        return
    click.echo(f"已撤销批次 {batch.id}（{batch.file_name}）" + (f"；{changes.text}" if changes else ""))


@ledger.command("batches", help="列出导入批次")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def ledger_batches(ctx: Context, as_json: bool) -> None:
    from sqlalchemy import select

    from tracker.models import LedgerBatch

    with ctx.transaction() as session:
        batches = session.scalars(select(LedgerBatch).order_by(LedgerBatch.id)).all()
        rows = [{"batch_id": b.id, "unit": b.unit.label, "source": b.source, "file": b.file_name,
                 "checksum": b.checksum, "period": [b.period_start.isoformat(), b.period_end.isoformat()],
                 "status": b.status, "imported_at": b.imported_at.isoformat(), "actor": b.actor,
                 "transactions": b.transactions, "counted_rows": b.counted_rows,
                 "counted_total_yuan": f"{b.counted_total:.2f}", "unmatched_rows": b.unmatched_rows,
                 "replaced_rows": b.replaced_rows} for b in batches]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"#{r['batch_id']} [{r['status']}] {r['unit']} {r['source']} {r['file']} "
                   f"{r['period'][0]}..{r['period'][1]} 计入 {r['counted_total_yuan']} 元")


@ledger.command("reconcile", help="对账：有两个以上来源的单位，各项目的账面数、国库已支付数与差额（自1月1日累计）")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]), help="截至日期 YYYY-MM-DD")
@click.option("--unit", help="只看一个单位（ID、编码或名称）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组")
@pass_context
def ledger_reconcile(ctx: Context, as_of: Any, unit: str | None, as_json: bool) -> None:
    from tracker.services.ledger_import import resolve_unit
    from tracker.services.reconcile import reconcile

    with ctx.transaction() as session:
        unit_id = resolve_unit(session, unit).id if unit else None
        lines = reconcile(session, as_of.date(), unit_id)
        rows = [line.as_json() for line in lines]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        mark = "！" if r["flagged"] else " "
        click.echo(f"{mark}{r['unit']} {r['project_code'] or ''} {r['project_name']} 账面 {r['ledger_yuan']} "
                   f"国库已支付 {r['treasury_yuan']} 差额 {r['difference_yuan']}（计数：{r['counting_source'] or '未定'}）")
    flagged = sum(1 for r in rows if r["flagged"])
    click.echo(f"共 {len(rows)} 个项目，{flagged} 个有差异" if rows else "没有需要对账的单位（只有一个来源）")


@ledger.command("counting-source", help="选择单位计入支出的台账来源（重算该单位的支出与监控；可改回）")
@click.option("--unit", required=True, help="单位（ID、编码或名称）")
@click.option("--source", required=True, help="来源名称，如 国库集中支付、财务明细账")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_context
def ledger_counting_source(ctx: Context, unit: str, source: str, as_json: bool) -> None:
    from tracker.services.counting_source import choose
    from tracker.services.ledger_import import resolve_unit
    from tracker.services.ledger_lock import retrying

    def write() -> Any:
        with ctx.transaction() as session:
            choice = choose(session, lambda: resolve_unit(session, unit).id, source, "cli",
                            today=ctx.today(), waiting=waiting_notice())
            return choice.as_json() if as_json else choice.text

    answer = retrying(write)
    if as_json:
        echo_json(answer)
    else:
        click.echo(answer)
