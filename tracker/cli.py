"""The ``tracker`` command: as thin as the views, same services, non-zero exit on failure."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from tracker.cli_help import TrackerGroup
from tracker.config import Config
from tracker.core.labels import COLOUR_LABELS
from tracker.db import Database


class Context:
    """Configuration and database, opened only when a command needs them."""

    @cached_property
    def config(self) -> Config:
        return Config.from_env()

    @cached_property
    def database(self) -> Database:
        return Database(self.config.database_url)

    def today(self) -> date:
        """Today in the configured time zone (the boundary reads the clock, services do not)."""
        return datetime.now(self.config.tz).date()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The command's unit of work: commit on success, roll back on any error."""
        session = self.database.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(cls=TrackerGroup, help="预算绩效运行监控 tracker")
def cli() -> None:
    pass


# --- database ---------------------------------------------------------------------------


@cli.group(help="数据库结构（Alembic 迁移）")
def db() -> None:
    pass


@db.command("upgrade", help="把数据库升级到最新（或指定）版本")
@click.option("--revision", default="head", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    from tracker import migration

    migration.upgrade(ctx.config.database_url, ctx.database.engine, revision)
    click.echo(f"数据库已升级到 {migration.current_revision(ctx.database.engine)}")


@db.command("downgrade", help="把数据库降级到指定版本（如 -1）")
@click.argument("revision")
@pass_context
def db_downgrade(ctx: Context, revision: str) -> None:
    from tracker import migration

    migration.downgrade(ctx.config.database_url, ctx.database.engine, revision)
    click.echo(f"数据库当前版本 {migration.current_revision(ctx.database.engine) or '空'}")


@db.command("current", help="显示数据库当前版本与程序的最新版本")
@pass_context
def db_current(ctx: Context) -> None:
    from tracker import migration

    current = migration.current_revision(ctx.database.engine)
    head = migration.head_revision()
    state = "最新" if current == head else "需要升级（tracker db upgrade）"
    click.echo(f"当前 {current or '空'}；程序最新 {head}；{state}")
    migration.check_database_version(ctx.database.engine)


@db.command("backup", help="把数据库备份到一个新文件（SQLite 在线备份；PostgreSQL 用 pg_dump 自定义格式），"
                          "导入进行中也可备份")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_context
def db_backup(ctx: Context, file: Path, as_json: bool) -> None:
    from tracker import backup

    backup.backup(ctx.config.database_url, file)
    result = {"file": str(file), "bytes": file.stat().st_size,
              "revision": backup.backup_revision(ctx.config.database_url, file)}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"已备份到 {file}（数据库版本 {result['revision'] or '空'}，{result['bytes']:,} 字节）")


@db.command("restore", help="用备份文件替换当前数据库的全部数据（需 --yes 确认）；"
                           "恢复前请停止 Web 服务和定时任务")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="确认用备份替换当前数据库的全部数据")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_context
def db_restore(ctx: Context, file: Path, yes: bool, as_json: bool) -> None:
    from tracker import backup, migration
    from tracker.errors import ValidationFailed

    revision = backup.backup_revision(ctx.config.database_url, file)
    if not yes:
        raise ValidationFailed(f"恢复会用 {file}（数据库版本 {revision or '空'}）替换当前数据库的全部数据。"
                               "确认无误后加 --yes 再运行")
    backup.restore(ctx.config.database_url, ctx.database.engine, file)
    summary = backup.summarize(ctx.database.engine)
    current = summary.revision == migration.head_revision()
    if as_json:
        click.echo(json.dumps({"file": str(file), "up_to_date": current, **summary.as_json()},
                              ensure_ascii=False, indent=2))
        return
    state = "与程序一致" if current else "需要升级：tracker db upgrade"
    click.echo(f"已从 {file} 恢复：数据库版本 {summary.revision}（{state}）")
    click.echo(summary.describe())


# --- users ------------------------------------------------------------------------------


@cli.group(help="用户")
def user() -> None:
    pass


@user.command("create", help="创建用户")
@click.option("--username", required=True)
@click.option("--role", required=True,
              type=click.Choice(["admin", "finance", "leader", "unit_staff", "auditor"]))
@click.option("--password", required=True, help="至少 8 位")
@click.option("--unit", "unit_ids", multiple=True, type=int,
              help="单位填报人员可查看的单位 ID（可多次给出）")
@click.option("--email", default="", help="提醒邮件的接收地址")
@pass_context
def user_create(ctx: Context, username: str, role: str, password: str,
                unit_ids: tuple[int, ...], email: str) -> None:
    from tracker.models import Unit
    from tracker.services.notifications import subscribe
    from tracker.services.users import create_user

    with ctx.transaction() as session:
        units = [session.get(Unit, unit_id) for unit_id in unit_ids]
        missing = [str(i) for i, u in zip(unit_ids, units, strict=True) if u is None]
        if missing:
            raise click.UsageError(f"单位不存在：{', '.join(missing)}")
        created = create_user(session, username, role, password,
                              units=[u for u in units if u], actor="cli")
        if email.strip():
            subscribe(session, created, email, actor="cli")
        click.echo(f"已创建用户 {created.username}（{created.role.label}）"
                   + (f"，提醒邮箱 {email.strip()}" if email.strip() else ""))


@user.command("update", help="修改用户的提醒邮箱（--email \"\" 删除邮箱，不再发送提醒邮件）")
@click.argument("username")
@click.option("--email", required=True, help="提醒邮件的接收地址")
@pass_context
def user_update(ctx: Context, username: str, email: str) -> None:
    from sqlalchemy import select

    from tracker.errors import NotFound
    from tracker.models import User
    from tracker.services.notifications import subscribe

    with ctx.transaction() as session:
        found = session.scalar(select(User).where(User.username == username.strip()))
        if found is None:
            raise NotFound(f"没有用户“{username}”")
        saved = subscribe(session, found, email, actor="cli")
    click.echo(f"用户 {found.username} 的提醒邮箱：{saved.email}" if saved
               else f"已删除用户 {found.username} 的提醒邮箱，不再发送提醒邮件")


@cli.group(help="系统管理")
def admin() -> None:
    pass


@admin.command("ensure", help="没有管理员时创建 admin")
@pass_context
def admin_ensure(ctx: Context) -> None:
    from tracker.services.users import ensure_admin

    with ctx.transaction() as session:
        result = ensure_admin(session, ctx.config.admin_password or None,
                              Path(ctx.config.instance_path))
    if not result.created:
        click.echo("管理员已存在，未做改动。")
    elif result.password:
        click.echo("已创建管理员 admin，初始密码（只显示这一次，也已写入 "
                   f"{Path(ctx.config.instance_path) / 'initial-admin.txt'}）：{result.password}")
    else:
        click.echo("已创建管理员 admin，密码取自 TRACKER_ADMIN_PASSWORD。")


# --- imports and exports ------------------------------------------------------------------


@cli.group("import", help="导入文件")
def import_group() -> None:
    pass


def _read_files(paths: tuple[str, ...]) -> list[Any]:
    from tracker.services.target_import import UploadedFile

    files = []
    for path in paths:
        file = Path(path)
        if not file.is_file():
            raise click.UsageError(f"文件不存在：{path}")
        files.append(UploadedFile(file.name, file.read_bytes()))
    return files


@import_group.command("targets", help="导入绩效目标表（Word、Excel、PDF、文本/Markdown）")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--year", type=int, help="年度（文件中读不到时必须给出）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--dry-run", is_flag=True, help="只预览，不写入")
@pass_context
def import_targets(ctx: Context, files: tuple[str, ...], year: int | None, as_json: bool,
                   dry_run: bool) -> None:
    from tracker.services.target_import import apply_import, plan_import

    with ctx.transaction() as session:
        plan = plan_import(session, _read_files(files), year, limits=ctx.config.file_limits)
        if not dry_run:
            apply_import(session, plan, "cli")
    findings = [{"severity": f.severity, "code": f.code, "location": str(f.location),
                 "message": f.message} for f in plan.all_findings]
    summary = {"projects_created": plan.count("created"), "projects_updated": plan.count("updated"),
               "projects_unchanged": plan.count("unchanged"), "findings": findings}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    verb = "将" if dry_run else "已"
    for document in plan.documents:
        click.echo(f"{document.document.file}：{document.document.unit.name} {document.year} 年，"
                   f"{len(document.projects)} 个项目")
    click.echo(f"{verb}新建 {summary['projects_created']} 个、更新 {summary['projects_updated']} 个、"
               f"未变 {summary['projects_unchanged']} 个项目；发现 {len(findings)} 条问题"
               "（用 --json 查看明细）")


#: where the command line gives a choice the import needs (``ChoiceNeeded.choice``)
CHOICE_OPTIONS = {"unit": "可用 --unit 指定单位 ID、编码或名称"}


@import_group.command("ledger", help="导入财务台账/国库支付明细（xlsx、xls、csv）")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--unit", help="单位 ID、编码或名称（文件中读不到时必须给出）")
@click.option("--source", help="来源名称，如“国库集中支付”“用友明细账”")
@click.option("--profile", help="已保存的列映射方案名称")
@click.option("--period", help="期间 YYYY-MM-DD..YYYY-MM-DD（文件未注明时使用）")
@click.option("--override-totals", "override_reason", help="印刷合计不一致时仍导入的理由（会记录）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象：{imported, files: [每个文件的导入结果]}")
@pass_context
def import_ledger(ctx: Context, files: tuple[str, ...], unit: str | None, source: str | None,
                  profile: str | None, period: str | None, override_reason: str | None,
                  as_json: bool) -> None:
    from tracker.errors import ChoiceNeeded
    from tracker.services.ledger_import import LedgerUpload, commit, prepare
    from tracker.services.ledger_lock import retrying

    results = []
    for path in files:
        file = Path(path)
        if not file.is_file():
            raise click.UsageError(f"文件不存在：{path}")
        try:
            with ctx.transaction() as session:  # reading and matching: nothing written
                preview = prepare(session, LedgerUpload(file.name, file.read_bytes()), unit=unit,
                                  source=source, profile=profile, period=period,
                                  limits=ctx.config.file_limits)
        except ChoiceNeeded as error:  # the command says which option gives the choice
            if error.choice not in CHOICE_OPTIONS:
                raise
            raise ChoiceNeeded(f"{error.message}（{CHOICE_OPTIONS[error.choice]}）", location=error.location,
                               choice=error.choice) from None

        def write(preview: Any = preview) -> tuple[Any, dict[str, Any]]:
            # the import's own transaction: the unit's lock first, then the writes
            with ctx.transaction() as session:
                result = commit(session, preview, "cli", override_reason, today=ctx.today(),
                                waiting=_waiting_notice())
                summary = result.as_json()
                if not result.imported:
                    session.rollback()
            return result, summary

        result, summary = retrying(write)
        results.append(summary)
        if not as_json:
            state = f"批次 {summary['batch_id']}" if result.imported else "未导入"
            second = next((f for f in summary["findings"] if f.get("code") == "second_source"), None)
            if result.imported and not result.preview.counts_now:
                kept, matched = result.preview.kept_for_reconciliation
                counted = (f"不计入支出（本单位以“{summary['counting_source']}”计入支出，此来源仅作核对："
                           f"按自身规则计入的 {kept:,} 行已保存，匹配到项目 {matched:,} 行；"
                           "可用 tracker ledger reconcile 对账）")
            elif second is not None:
                counted = f"不计入支出（{second['message']}）"
            else:  # matched / unmatched count the rows that count
                counted = (f"计入支出 {summary['counted_rows']:,} 行 "
                           f"{Decimal(summary['counted_total_yuan']):,.2f} 元，匹配 "
                           f"{summary['matched_rows']:,} 行，待匹配 {summary['unmatched_rows']:,} 行")
            click.echo(f"{file.name}：{state}；交易 {summary['transactions']:,} 行，{counted}，替换旧行 "
                       f"{summary['replaced_rows']:,} 行")
            if summary["reconcile_alerts"]:
                click.echo(f"  对账差异 {summary['reconcile_alerts']} 项，已发预警")
        if not result.imported:
            click.echo(f"错误：{file.name}：{result.reason}", err=True)
    if as_json:
        click.echo(json.dumps({"imported": all(r["imported"] for r in results), "files": results},
                              ensure_ascii=False, indent=2))
    if not all(r["imported"] for r in results):
        sys.exit(2)


@cli.group(help="台账批次与待匹配队列")
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
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
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
@pass_context
def ledger_assign(ctx: Context, row_ids: tuple[int, ...], project_id: int,
                  rule_account: str | None, rule_keyword: str | None) -> None:
    from tracker.services.ledger_queue import assign

    from tracker.services.ledger_lock import retrying

    def write() -> tuple[int, Any]:
        with ctx.transaction() as session:
            return assign(session, row_ids, project_id, "cli",
                          rule_account_prefix=rule_account, rule_keyword=rule_keyword)

    count, rule = retrying(write)
    click.echo(f"已分配 {count} 行" + (f"，并保存规则 #{rule.id}" if rule else ""))


@ledger.command("undo", help="撤销一个导入批次（恢复被它替换的旧行；依据它冻结的检查点评价标记为基于已撤销的台账批次，依据它的预警撤回）")
@click.argument("batch_id", type=int)
@pass_context
def ledger_undo(ctx: Context, batch_id: int) -> None:
    from tracker.services.ledger_import import undo
    from tracker.services.ledger_lock import retrying

    def write() -> tuple[Any, Any]:
        with ctx.transaction() as session:
            batch, changes, _waited = undo(session, batch_id, "cli", today=ctx.today(),
                                           waiting=_waiting_notice())
        return batch, changes

    batch, changes = retrying(write)
    click.echo(f"已撤销批次 {batch.id}（{batch.file_name}）" + (f"；{changes.text}" if changes else ""))


def _waiting_notice() -> Any:
    """Tells the user once, on stderr, that the command waits for another import of the unit."""
    from tracker.services.ledger_lock import WAITING_MESSAGE

    told: list[bool] = []

    def notice() -> None:
        if not told:
            told.append(True)
            click.echo(WAITING_MESSAGE, err=True)

    return notice


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
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
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
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
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

    def write() -> str:
        with ctx.transaction() as session:
            choice = choose(session, lambda: resolve_unit(session, unit).id, source, "cli",
                            today=ctx.today(), waiting=_waiting_notice())
            return json.dumps(choice.as_json(), ensure_ascii=False, indent=2) if as_json else choice.text

    click.echo(retrying(write))


@cli.group("export", help="导出数据")
def export_group() -> None:
    pass


@export_group.command("projects", help="导出项目、支出计划、指标和审核发现")
@click.option("--year", type=int)
@click.option("--json", "as_json", is_flag=True, required=True, help="输出 JSON（目前唯一格式）")
@pass_context
def export_projects(ctx: Context, year: int | None, as_json: bool) -> None:
    from tracker.services.projects import export_projects as export

    with ctx.transaction() as session:
        click.echo(json.dumps(export(session, year), ensure_ascii=False, indent=2))


@export_group.command("spending", help="导出各项目截至某日的累计支出")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--json", "as_json", is_flag=True, required=True, help="输出 JSON（目前唯一格式）")
@pass_context
def export_spending(ctx: Context, as_of: Any, as_json: bool) -> None:
    from tracker.services.ledger_queue import export_spending as export

    with ctx.transaction() as session:
        click.echo(json.dumps(export(session, as_of.date()), ensure_ascii=False, indent=2))


@export_group.command("department-indicators", help="导出部门整体绩效指标（从分项绩效目标读出）及审核发现")
@click.option("--year", type=int)
@click.option("--unit", help="单位编码或名称")
@click.option("--json", "as_json", is_flag=True, required=True, help="输出 JSON（目前唯一格式）")
@pass_context
def export_department_indicators(ctx: Context, year: int | None, unit: str | None, as_json: bool) -> None:
    from tracker.services.department import export_rows

    with ctx.transaction() as session:
        click.echo(json.dumps(export_rows(session, year, unit), ensure_ascii=False, indent=2))


@cli.group("department", help="部门整体绩效指标（从分项绩效目标读出）")
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
@pass_context
def department_correct(ctx: Context, unit: str, year: int, position: int, name: str, level1: str, level2: str,
                       value: str, weight: str, reason: str) -> None:
    from tracker.services import department

    with ctx.transaction() as session:
        record = department.find_department_year(session, unit, year)
        row = department.find_indicator(session, record, position, empty_goal=True)
        department.correct(session, row, actor="cli", reason=reason, name=name, level1=level1, level2=level2,
                           target=value, weight=weight)
        left = "；".join(row.finding_list) or "无审核发现"
        click.echo(f"已更正：{record.unit.name} {year}年 第{position}个指标“{row.name}”，指标值“{row.target_raw}”"
                   f"（{left}）")


@cli.group(help="演示数据")
def demo() -> None:
    pass


#: Demo ledgers (copied from the sample exports) and the period a clerk would declare for
#: those that print none.
DEMO_LEDGERS = {
    "grp_mingxizhang_gaoxinqu_2023.xlsx": None,
    "yitihua_payments_tangshan_2021H1.xlsx": None,
    "payments_shizuishan_2025H1_utf8bom.csv": "2025-01-01..2025-06-30",
}


@demo.command("load", help="导入 seeds/ 中的五份绩效目标文件和三份示例台账（已导入的不会重复），"
                           "并创建演示用户（财务、领导、一个单位的填报人员）、打印其密码")
@pass_context
def demo_load(ctx: Context) -> None:
    from tracker.config import PROJECT_ROOT
    from tracker.services.ledger_import import LedgerUpload, commit, prepare
    from tracker.services.ledger_lock import retrying
    from tracker.services.target_import import apply_import, plan_import

    seeds = PROJECT_ROOT / "seeds"
    paths = sorted(str(p) for p in seeds.glob("*.txt"))
    with ctx.transaction() as session:
        plan = plan_import(session, _read_files(tuple(paths)))
        apply_import(session, plan, "demo")
    click.echo(f"演示数据：新建 {plan.count('created')} 个、更新 {plan.count('updated')} 个、"
               f"未变 {plan.count('unchanged')} 个项目")
    for name, period in DEMO_LEDGERS.items():
        path = seeds / "ledgers" / name
        with ctx.transaction() as session:
            preview = prepare(session, LedgerUpload(name, path.read_bytes()), period=period)

        def write(preview: Any = preview) -> Any:
            with ctx.transaction() as session:
                return commit(session, preview, "demo", today=ctx.today(), waiting=_waiting_notice())

        result = retrying(write)
        click.echo(f"演示台账 {name}：" + (f"批次 {result.batch.id}，计入 {result.preview.counted_rows} 行"
                                         if result.imported else "已导入过，跳过"))
    _demo_users(ctx)


def _demo_users(ctx: Context) -> None:
    """Create the demo users (``services.demo_users``) and print how to sign in as each."""
    from tracker.services.demo_users import demo_users_file, ensure_demo_users

    instance = Path(ctx.config.instance_path)
    with ctx.transaction() as session:
        logins = ensure_demo_users(session, instance)
    click.echo(f"演示用户（只由 tracker demo load 创建；密码也在 {demo_users_file(instance)}）：")
    for login in logins:
        scope = f"，填报单位：{login.unit}" if login.unit else ""
        click.echo(f"  {login.role.label}：用户名 {login.username}  密码 {login.password}{scope}")


# --- monitoring and the scheduler ---------------------------------------------------------


@cli.group(help="运行监控（双监控）")
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

    def write() -> str:
        with ctx.transaction() as session:
            ids = list(project_ids) if project_ids else list(session.scalars(
                select(Project.id).where(Project.unit_id == resolve_unit(session, unit).id)))
            result = refreeze(session, ids, "cli", ctx.today(), as_of.date() if as_of else None)
            return json.dumps(result.as_json(), ensure_ascii=False, indent=2) if as_json else result.text

    click.echo(retrying(write))


@cli.command("check", help="各项目在某一日期的双监控结果（资金、指标、总体状态、预计执行数）")
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
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
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


@cli.group(help="绩效指标完成值填报")
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
@pass_context
def progress_add(ctx: Context, project_ref: str | None, department_ref: str | None, indicator_name: str,
                 value: str, reported_on: str, note: str) -> None:
    from tracker.services.progress import find_indicator, find_project, record_progress, scripted_form

    try:
        year = date.fromisoformat(reported_on.strip()).year
    except ValueError:
        raise click.BadParameter(f"应为日期 YYYY-MM-DD，当前为“{reported_on}”", param_hint="--date") from None
    if (project_ref is None) == (department_ref is None):
        raise click.UsageError("请给出 --project（项目指标）或 --department（部门整体绩效指标）二者之一")
    if department_ref is not None:
        _department_progress_add(ctx, department_ref, year, indicator_name, value, reported_on, note)
        return
    assert project_ref is not None
    with ctx.transaction() as session:
        project = find_project(session, project_ref, year)
        indicator = find_indicator(project, indicator_name)
        report = record_progress(session, project, scripted_form(indicator, value, reported_on, note),
                                 ctx.today(), "cli")
        click.echo(f"已填报：{project.name} / {indicator.name} @ {report.reported_on.isoformat()}"
                   f"（记录 {report.id}）")


def _department_progress_add(ctx: Context, unit: str, year: int, indicator_ref: str, value: str,
                             reported_on: str, note: str) -> None:
    from tracker.services import department

    with ctx.transaction() as session:
        record = department.find_department_year(session, unit, year)
        row = department.find_indicator_by_ref(session, record, indicator_ref)
        entry = department.add_progress(session, row, reported_on=date.fromisoformat(reported_on.strip()),
                                        actor="cli", raw=value, note=note)
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
@pass_context
def progress_template(ctx: Context, unit: str, as_of: Any, kind: str, project_ref: str | None,
                      out: Path) -> None:
    from tracker.services.ledger_import import resolve_unit
    from tracker.services.progress import find_project
    from tracker.services.progress_workbook import template

    day = as_of.date()
    with ctx.transaction() as session:
        found = resolve_unit(session, unit)
        project_id = find_project(session, project_ref, day.year).id if project_ref else None
        data = template(session, found, day, ctx.config.secret_key, kind=kind, project_id=project_id)
    out.write_bytes(data)
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
        with ctx.transaction() as session:
            return import_workbook(session, data, filename=file.name, actor="cli", today=ctx.today(),
                                   secret=ctx.config.secret_key, apply=not dry_run,
                                   limits=ctx.config.file_limits)

    result = retrying(write)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
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


@cli.group(help="定时任务（每个数据库一个运行中的调度进程，其余待命）：不带子命令时在前台运行；"
                "--once-at 只运行该时刻到期的任务", invoke_without_command=True)
@click.option("--once-at", "once_at", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              help="运行在该时刻（本地时间，精确到分钟）到期的任务后退出，如 2025-06-30T23:30")
@click.pass_context
def scheduler(click_ctx: click.Context, once_at: Any) -> None:
    if click_ctx.invoked_subcommand is not None:
        if once_at is not None:
            raise click.UsageError("--once-at 不能与子命令同时使用")
        return
    ctx = click_ctx.ensure_object(Context)
    _logging(ctx)
    from tracker import scheduler as schedule

    if once_at is not None:
        ran = schedule.run_due(once_at, ctx.database, ctx.config)
        click.echo(f"{once_at:%Y-%m-%d %H:%M} 到期的任务：" + ("、".join(j.id for j in ran) or "无"))
        return
    _run_scheduler(ctx)


def _logging(ctx: Context) -> None:
    from tracker import logs

    logs.configure(ctx.config.tz)


def _run_scheduler(ctx: Context) -> None:
    from tracker import scheduler as schedule
    from tracker.migration import require_head

    require_head(ctx.database.engine)
    click.echo("定时任务：" + "；".join(f"{j.id}（{j.description}）" for j in schedule.JOBS))
    schedule.run(ctx.database, ctx.config)


@scheduler.command("run", help="运行定时任务（前台，Ctrl+C 停止）；--once 立即运行一个任务后退出"
                   "（另一个调度进程正在运行时拒绝）")
@click.option("--once", "job_id", help="任务 ID，如 monitoring-daily")
@pass_context
def scheduler_run(ctx: Context, job_id: str | None) -> None:
    _logging(ctx)
    from tracker import scheduler as schedule

    if job_id:
        schedule.run_once(job_id, ctx.database, ctx.config)
        click.echo(f"任务 {job_id} 已完成")
        return
    _run_scheduler(ctx)


# --- year-end self-evaluation (自评) --------------------------------------------------------


@cli.command("evaluate", help="年终自评：每个项目最近一次冻结的自评，没有时按当前数据计算（不写入）")
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
        click.echo(json.dumps(lines, ensure_ascii=False, indent=2))
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


# --- reports ----------------------------------------------------------------------------
# Without --unit, one workbook is written per unit that has projects in the year, named
# F_<unit id>_<unit name>.xlsx beside F.xlsx (the id keeps two units of the same name or code
# apart); with --unit (or when only one unit has projects) exactly F.xlsx.


@cli.group("report", help="生成报表")
def report_group() -> None:
    pass


def _report_targets(session: Session, year: int, unit: str | None, out: Path) -> list[tuple[Any, Path]]:
    """(unit, file) pairs to write: the one --unit, else every unit with projects in ``year``."""
    from sqlalchemy import select

    from tracker.errors import ValidationFailed
    from tracker.models import Project, Unit
    from tracker.services.ledger_import import resolve_unit

    if not out.parent.is_dir():
        raise click.UsageError(f"输出目录不存在：{out.parent}")
    with_projects = select(Unit).where(Unit.id.in_(select(Project.unit_id).where(Project.year == year)))
    if unit:
        chosen = resolve_unit(session, unit)
        if session.scalar(with_projects.where(Unit.id == chosen.id)) is None:
            raise ValidationFailed(f"单位“{chosen.label}”在 {year} 年没有项目")
        return [(chosen, out)]
    units = list(session.scalars(with_projects.order_by(Unit.code, Unit.name, Unit.id)))
    if not units:
        raise ValidationFailed(f"{year} 年没有项目")
    if len(units) == 1:
        return [(units[0], out)]
    suffix = out.suffix or ".xlsx"
    return [(u, out.with_name(f"{out.stem}_{u.id}_{_file_safe(u.name)}{suffix}")) for u in units]


def _file_safe(name: str) -> str:
    import re

    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip() or "单位"


@report_group.command("monitoring", help="绩效监控情况表（1-N月），每个单位一个工作簿")
@click.option("--year", required=True, type=int)
@click.option("--month", type=click.IntRange(1, 12), help="截止月份 N（默认取监控设置中的监控月份）")
@click.option("--unit", help="单位 ID、编码或名称；不给出时每个有项目的单位各生成一个文件")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 F.xlsx（多个单位时为 F_<单位ID>_<单位名称>.xlsx）")
@pass_context
def report_monitoring(ctx: Context, year: int, month: int | None, unit: str | None, out: Path) -> None:
    from tracker.reports import monitoring_workbook
    from tracker.services.reporting import monitoring_round_form
    from tracker.services.settings import monitoring_settings

    with ctx.transaction() as session:
        month = month or monitoring_settings(session).monitoring_month
        for target, path in _report_targets(session, year, unit, out):
            form = monitoring_round_form(session, year, month, target.id, ctx.today())
            path.write_bytes(monitoring_workbook.build(form))
            unfrozen = sum(1 for s in form.sheets if not s.frozen)
            click.echo(f"已生成 {path}：{target.name} {year}年1-{month}月，{len(form.sheets)} 个项目"
                       + (f"（{unfrozen} 个未冻结）" if unfrozen else ""))
            missing = [f"{s.project_name}（{COLOUR_LABELS[s.overall_status]}）"
                       for s in form.sheets if s.explanation_missing]
            if missing:
                click.echo(f"警告：{target.name} 有 {len(missing)} 个项目未填写偏差说明（表中已标注）："
                           + "、".join(missing), err=True)


@report_group.command("self-eval", help="项目支出绩效自评表（已提交的自评），每个单位一个工作簿")
@click.option("--year", required=True, type=int)
@click.option("--unit", help="单位 ID、编码或名称；不给出时每个有项目的单位各生成一个文件")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 F.xlsx（多个单位时为 F_<单位ID>_<单位名称>.xlsx）")
@click.option("--include-drafts", is_flag=True, help="没有已提交自评的项目用其最新草稿（表中标注“草稿”）")
@pass_context
def report_self_eval(ctx: Context, year: int, unit: str | None, out: Path, include_drafts: bool) -> None:
    from tracker.reports import self_eval_workbook
    from tracker.services.reporting import self_eval_form

    with ctx.transaction() as session:
        for target, path in _report_targets(session, year, unit, out):
            form = self_eval_form(session, year, target.id, ctx.today(), include_drafts=include_drafts,
                                  timezone=ctx.config.tz)
            path.write_bytes(self_eval_workbook.build(form))
            click.echo(f"已生成 {path}：{target.name} {year}年度，{len(form.sheets)} 个项目的自评表")
            drafts = [s.project_name for s in form.sheets if not s.frozen]
            if drafts:
                click.echo(f"警告：{target.name} 有 {len(drafts)} 个项目使用草稿（未提交）："
                           + "、".join(drafts), err=True)
            if form.missing:
                click.echo(f"警告：{target.name} 有 {len(form.missing)} 个项目没有已提交的自评，未生成自评表："
                           + "、".join(form.missing), err=True)


@report_group.command("department-self-eval", help="部门整体支出绩效自评表（一个单位一个年度）")
@click.option("--unit", required=True, help="单位编码或名称")
@click.option("--year", required=True, type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出文件 F.xlsx")
@pass_context
def report_department_self_eval(ctx: Context, unit: str, year: int, out: Path) -> None:
    from tracker.reports import department_self_eval_workbook
    from tracker.services import department

    with ctx.transaction() as session:
        record = department.find_department_year(session, unit, year)
        result = department.self_evaluation(session, record)
        out.write_bytes(department_self_eval_workbook.build(result))
        click.echo(f"已生成 {out}：{result.unit_name} {year}年度部门整体支出绩效自评表，"
                   f"{len(result.rows)} 个指标，总分 {result.evaluation.rounded_total}，等级 {result.evaluation.grade}")


@report_group.command("narrative", help="Word 报告初稿：1-N月预算绩效运行监控报告，或部门整体支出绩效自评报告")
@click.option("--year", required=True, type=int)
@click.option("--unit", help="单位 ID、编码或名称；不给出时每个有项目的单位各生成一个文件")
@click.option("--kind", required=True, type=click.Choice(["monitoring", "self-eval"]),
              help="monitoring：运行监控报告；self-eval：部门整体支出绩效自评报告")
@click.option("--month", type=click.IntRange(1, 12), help="监控报告的截止月份 N（默认取监控设置中的监控月份）")
@click.option("--include-drafts", is_flag=True, help="自评报告：没有已提交自评的项目用其最新草稿")
@click.option("--no-charts", is_flag=True, help="不绘制图表（不启动 Chromium）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 F.docx（多个单位时为 F_<单位ID>_<单位名称>.docx）")
@pass_context
def report_narrative(ctx: Context, year: int, unit: str | None, kind: str, month: int | None,
                     include_drafts: bool, no_charts: bool, out: Path) -> None:
    from tracker.reports import narrative
    from tracker.services.reporting import monitoring_round_form, self_eval_form
    from tracker.services.settings import monitoring_settings

    with ctx.transaction() as session:
        if kind == "monitoring":
            month = month or monitoring_settings(session).monitoring_month
        for target, path in _report_targets(session, year, unit, out):
            if kind == "monitoring":
                form: Any = monitoring_round_form(session, year, month, target.id, ctx.today())
                draft = narrative.draft_monitoring_report(form, charts=not no_charts)
                title = f"{year}年1-{month}月预算绩效运行监控报告"
            else:
                form = self_eval_form(session, year, target.id, ctx.today(), include_drafts=include_drafts,
                                      timezone=ctx.config.tz)
                draft = narrative.draft_self_eval_report(form, charts=not no_charts)
                title = f"{year}年度部门整体支出绩效自评报告"
            path.write_bytes(draft.data)
            click.echo(f"已生成 {path}：{target.name}{title}，{len(form.sheets)} 个项目"
                       + (f"，{draft.pending} 处【待补充】" if draft.pending else ""))
            if draft.charts_problem:
                click.echo(f"警告：图表未能生成（{draft.charts_problem}），报告中已注明", err=True)


# --- serving ----------------------------------------------------------------------------


@cli.command("serve", help="用 waitress 提供 Web 服务")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
@click.option("--threads", default=8, type=int, show_default=True)
@click.option("--workers", default=1, type=click.IntRange(min=1), show_default=True,
              help="进程数：大于 1 时多个进程共用端口，用上多个 CPU（Linux、macOS）")
@click.option("--with-scheduler", is_flag=True,
              help="同时运行调度进程（tracker scheduler）：一个命令，Ctrl+C 一起停止；另一个已在运行时本进程的调度待命")
@pass_context
def serve(ctx: Context, host: str, port: int, threads: int, workers: int, with_scheduler: bool) -> None:
    from tracker import create_app
    from tracker.migration import require_head
    from tracker.serving import serve as serve_app
    from tracker.serving import scheduler_beside

    require_head(ctx.database.engine)
    ctx.database.dispose()  # the workers open their own connections
    with scheduler_beside(with_scheduler):
        serve_app(create_app, host=host, port=port, threads=threads, workers=workers,
                  cache_folder=Path(ctx.config.instance_path) / "page-cache",
                  listening=lambda: click.echo(f"tracker 正在 http://{host}:{port} 提供服务（Ctrl+C 停止）"
                                               + ("，调度进程同时运行" if with_scheduler else "")))


def main(argv: list[str] | None = None) -> Any:
    """Entry point.  Whatever a command raises becomes Chinese lines on stderr and a non-zero
    exit (``tracker.cli_errors``); never a traceback."""
    from tracker.cli_errors import report

    try:
        return cli.main(args=argv, prog_name="tracker", standalone_mode=False)
    except Exception as error:  # noqa: BLE001 - the one top-level handler
        sys.exit(report(error))
    except KeyboardInterrupt:
        sys.exit(report(click.exceptions.Abort()))


if __name__ == "__main__":
    main()
