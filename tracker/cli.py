"""The ``tracker`` command: as thin as the views, same services, non-zero exit on failure."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker.config import Config
from tracker.db import Database
from tracker.errors import ConfigError, TrackerError


class Context:
    """Configuration and database, opened only when a command needs them."""

    @cached_property
    def config(self) -> Config:
        return Config.from_env()

    @cached_property
    def database(self) -> Database:
        return Database(self.config.database_url)

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


@click.group(help="预算绩效运行监控 tracker")
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
@pass_context
def user_create(ctx: Context, username: str, role: str, password: str,
                unit_ids: tuple[int, ...]) -> None:
    from tracker.models import Unit
    from tracker.services.users import create_user

    with ctx.transaction() as session:
        units = [session.get(Unit, unit_id) for unit_id in unit_ids]
        missing = [str(i) for i, u in zip(unit_ids, units, strict=True) if u is None]
        if missing:
            raise click.UsageError(f"单位不存在：{', '.join(missing)}")
        created = create_user(session, username, role, password,
                              units=[u for u in units if u], actor="cli")
        click.echo(f"已创建用户 {created.username}（{created.role.label}）")


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


# --- serving ----------------------------------------------------------------------------


@cli.command("serve", help="用 waitress 提供 Web 服务")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
@click.option("--threads", default=8, type=int, show_default=True)
@pass_context
def serve(ctx: Context, host: str, port: int, threads: int) -> None:
    import waitress

    from tracker import create_app
    from tracker.migration import require_head

    require_head(ctx.database.engine)
    app = create_app()
    click.echo(f"tracker 正在 http://{host}:{port} 提供服务（Ctrl+C 停止）")
    waitress.serve(app, host=host, port=port, threads=threads, ident="tracker")


def main(argv: list[str] | None = None) -> Any:
    """Entry point: deliberate errors become one line on stderr and a non-zero exit."""
    try:
        return cli.main(args=argv, prog_name="tracker", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("已取消", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TrackerError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(exc.exit_code)
    except OperationalError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        error = ConfigError(f"无法连接数据库 / cannot reach the database: {first}")
        click.echo(f"错误：{error}", err=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
