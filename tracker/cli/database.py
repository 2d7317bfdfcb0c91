"""``tracker db …``: the schema (Alembic migrations), backup and restore."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.context import Context, echo_json, json_object_option, pass_context
from tracker.cli.help import TrackerGroup


@click.group(cls=TrackerGroup, help="数据库结构（Alembic 迁移）")
def db() -> None:
    pass


@db.command("upgrade", help="把数据库升级到最新（或指定）版本")
@click.option("--revision", default="head", show_default=True)
@json_object_option
@pass_context
def db_upgrade(ctx: Context, revision: str, as_json: bool) -> None:
    from tracker import migration

    migration.upgrade(ctx.config.database_url, ctx.database.engine, revision)
    current = migration.current_revision(ctx.database.engine)
    if as_json:
        echo_json({"revision": current, "head": migration.head_revision()})
        return
    click.echo(f"数据库已升级到 {current}")


@db.command("downgrade", help="把数据库降级到指定版本（如 -1）")
@click.argument("revision")
@json_object_option
@pass_context
def db_downgrade(ctx: Context, revision: str, as_json: bool) -> None:
    from tracker import migration

    migration.downgrade(ctx.config.database_url, ctx.database.engine, revision)
    current = migration.current_revision(ctx.database.engine)
    if as_json:
        echo_json({"revision": current, "head": migration.head_revision()})
        return
    click.echo(f"数据库当前版本 {current or '空'}")


@db.command("current", help="显示数据库当前版本与程序的最新版本")
@json_object_option
@pass_context
def db_current(ctx: Context, as_json: bool) -> None:
    from tracker import migration

    current = migration.current_revision(ctx.database.engine)
    head = migration.head_revision()
    if as_json:
        echo_json({"revision": current, "head": head, "up_to_date": current == head})
    else:
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
        echo_json(result)
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
        echo_json({"file": str(file), "up_to_date": current, **summary.as_json()})
        return
    state = "与程序一致" if current else "需要升级：tracker db upgrade"
    click.echo(f"已从 {file} 恢复：数据库版本 {summary.revision}（{state}）")
    click.echo(summary.describe())
