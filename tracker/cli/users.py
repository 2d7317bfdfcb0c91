"""``tracker user …`` and ``tracker admin …``: accounts and the first administrator."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli.context import Context, echo_json, json_object_option, pass_context
from tracker.cli.help import TrackerGroup


@click.group(cls=TrackerGroup, help="用户")
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
@json_object_option
@pass_context
def user_create(ctx: Context, username: str, role: str, password: str,
                unit_ids: tuple[int, ...], email: str, as_json: bool) -> None:
    from tracker.models import Unit
    from tracker.services.notifications import subscribe
    from tracker.services.users import create_user

    with ctx.transaction(write=True) as session:
        units = [session.get(Unit, unit_id) for unit_id in unit_ids]
        missing = [str(i) for i, u in zip(unit_ids, units, strict=True) if u is None]
        if missing:
            raise click.UsageError(f"单位不存在：{', '.join(missing)}")
        created = create_user(session, username, role, password,
                              units=[u for u in units if u], actor="cli")
        if email.strip():
            subscribe(session, created, email, actor="cli")
        if as_json:
            echo_json({"user_id": created.id, "username": created.username, "role": created.role.value,
                       "units": list(unit_ids), "email": email.strip() or None})
            return
        click.echo(f"已创建用户 {created.username}（{created.role.label}）"
                   + (f"，提醒邮箱 {email.strip()}" if email.strip() else ""))


@user.command("update", help="修改用户的提醒邮箱（--email \"\" 删除邮箱，不再发送提醒邮件）")
@click.argument("username")
@click.option("--email", required=True, help="提醒邮件的接收地址")
@json_object_option
@pass_context
def user_update(ctx: Context, username: str, email: str, as_json: bool) -> None:
    from sqlalchemy import select

    from tracker.errors import NotFound
    from tracker.models import User
    from tracker.services.notifications import subscribe

    with ctx.transaction(write=True) as session:
        found = session.scalar(select(User).where(User.username == username.strip()))
        if found is None:
            raise NotFound(f"没有用户“{username}”")
        saved = subscribe(session, found, email, actor="cli")
    if as_json:
        echo_json({"user_id": found.id, "username": found.username, "email": saved.email if saved else None})
        return
    click.echo(f"用户 {found.username} 的提醒邮箱：{saved.email}" if saved
               else f"已删除用户 {found.username} 的提醒邮箱，不再发送提醒邮件")


@click.group(cls=TrackerGroup, help="系统管理")
def admin() -> None:
    pass


@admin.command("ensure", help="没有管理员时创建 admin")
@json_object_option
@pass_context
def admin_ensure(ctx: Context, as_json: bool) -> None:
    from tracker.services.users import ensure_admin

    with ctx.transaction(write=True) as session:
        result = ensure_admin(session, ctx.config.admin_password or None,
                              Path(ctx.config.instance_path))
    if as_json:  # the generated password, like the text, is shown this once
        echo_json({"created": result.created, "username": "admin" if result.created else None,
                   "password": result.password,
                   "password_file": str(Path(ctx.config.instance_path) / "initial-admin.txt")
                   if result.password else None})
        return
    if not result.created:
        click.echo("管理员已存在，未做改动。")
    elif result.password:
        click.echo("已创建管理员 admin，初始密码（只显示这一次，也已写入 "
                   f"{Path(ctx.config.instance_path) / 'initial-admin.txt'}）：{result.password}")
    else:
        click.echo("已创建管理员 admin，密码取自 TRACKER_ADMIN_PASSWORD。")
