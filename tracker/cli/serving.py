"""``tracker scheduler`` (the JOBS table, one running process per database) and ``tracker serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tracker.cli.context import Context, pass_context
from tracker.cli.help import TrackerCommand, TrackerGroup


@click.group(cls=TrackerGroup, help="定时任务（每个数据库一个运行中的调度进程，其余待命）：不带子命令时在前台运行；"
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


@click.command("serve", cls=TrackerCommand, help="用 waitress 提供 Web 服务")
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
                  build_process_wanted=ctx.config.build_process,
                  listening=lambda: click.echo(f"tracker 正在 http://{host}:{port} 提供服务（Ctrl+C 停止）"
                                               + ("，调度进程同时运行" if with_scheduler else "")))
