"""The schedule, as data: ``JOBS`` lists every job with a stable id, its trigger and the
function in ``tracker.jobs`` it runs.

One scheduler process runs them (``tracker scheduler``), never the web workers: the process
holds a lock file in the instance folder, so a second one refuses to start.  On start it
first catches up what was missed while it was down (``tracker.jobs.catch_up``).  Every
job coalesces missed runs into one, never overlaps itself (``max_instances=1``) and fires in
the configured time zone (Asia/Shanghai unless ``TRACKER_TIMEZONE`` says otherwise).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import ref_to_obj

from tracker.config import Config
from tracker.db import Database
from tracker.errors import ConfigError

log = logging.getLogger(__name__)

#: Applied to every job: run a missed job once (not once per missed time), never two at a
#: time, and still run it when the process was down for up to an hour at its time.
JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


@dataclass(frozen=True)
class Job:
    id: str  # stable: never rename, the id is how logs and operators refer to it
    func: str  # "module:function" taking (database, config)
    trigger: str  # "cron" or "interval"
    schedule: dict[str, Any] = field(default_factory=dict)  # trigger arguments
    description: str = ""


JOBS: tuple[Job, ...] = (
    Job("monitoring-daily", "tracker.jobs:daily_evaluation", "cron", {"hour": 1, "minute": 0},
        "冻结台账已覆盖的检查点评价（补评漏掉的检查点），刷新每日状态，生成状态变化提醒"),
    Job("monitoring-reminders", "tracker.jobs:reminders", "cron",
        {"day_of_week": "mon", "hour": 8, "minute": 0},
        "每周一：生成台账未覆盖、完成值填报逾期、偏差说明逾期提醒"),
    Job("alert-mail", "tracker.jobs:alert_mail", "cron", {"minute": "*/10"},
        "每 10 分钟向订阅用户发送新提醒邮件（配置了 TRACKER_SMTP_HOST 时）"),
    # Every day at 23:30: the job evaluates the projects whose checkpoint is that day (03-31,
    # 06-30, 10-31, 12-31, or a project's own plan dates), and does nothing on other days.
    Job("checkpoint-evaluation", "tracker.jobs:checkpoint_evaluation", "cron",
        {"hour": 23, "minute": 30}, "检查点当日 23:30 评价并保存检查点快照"),
    # The last day of every month at 23:45: opens the round when it is month N (setting).
    Job("monitoring-round", "tracker.jobs:monitoring_round", "cron",
        {"day": "last", "hour": 23, "minute": 45}, "第 N 月末开启本年度绩效运行监控（1-N月）"),
)


def _trigger(job: Job, config: Config) -> CronTrigger | IntervalTrigger:
    if job.trigger == "cron":
        return CronTrigger(timezone=config.tz, **job.schedule)
    if job.trigger == "interval":
        return IntervalTrigger(timezone=config.tz, **job.schedule)
    raise ValueError(f"unknown trigger {job.trigger!r} of job {job.id}")


def build_scheduler(database: Database, config: Config,
                    scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler (not started) holding every job of ``JOBS``."""
    scheduler = scheduler_class(timezone=config.tz, job_defaults=JOB_DEFAULTS)
    for job in JOBS:
        scheduler.add_job(job.func, trigger=_trigger(job, config), id=job.id, name=job.description,
                          kwargs={"database": database, "config": config},
                          replace_existing=True, **JOB_DEFAULTS)
    return scheduler


def run_once(job_id: str, database: Database, config: Config) -> None:
    """Run one job now, in this process (for operators and tests)."""
    job = next((j for j in JOBS if j.id == job_id), None)
    if job is None:
        raise ConfigError(f"没有这个定时任务：{job_id}（可选：{', '.join(j.id for j in JOBS)}）")
    ref_to_obj(job.func)(database=database, config=config)


def due_at(instant: datetime, config: Config) -> list[Job]:
    """The jobs whose trigger fires at ``instant`` (to the minute, in the configured zone;
    a naive ``instant`` is read in that zone)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=config.tz)
    minute = instant.astimezone(config.tz).replace(second=0, microsecond=0)
    due = []
    for job in JOBS:
        fires = _trigger(job, config).get_next_fire_time(None, minute - timedelta(microseconds=1))
        if fires is not None and fires == minute:
            due.append(job)
    return due


def run_due(instant: datetime, database: Database, config: Config) -> list[Job]:
    """Run, in this process, the jobs due at ``instant`` with its local date as their day
    (``tracker scheduler --once-at``: for tests and for people driving it from cron)."""
    due = due_at(instant, config)
    day = (instant if instant.tzinfo is None else instant.astimezone(config.tz)).date()
    for job in due:
        log.info("running %s as of %s", job.id, instant)
        ref_to_obj(job.func)(database=database, config=config, today=day)
    return due


@contextmanager
def single_instance(instance_path: str) -> Iterator[None]:
    """Hold ``<instance>/scheduler.lock`` for as long as the scheduler runs."""
    path = Path(instance_path) / "scheduler.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"另一个调度进程正在运行（{path} 已被锁定）") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(database: Database, config: Config) -> None:
    """Run the scheduler in the foreground until interrupted."""
    from tracker.jobs import catch_up

    with single_instance(config.instance_path):
        catch_up(database, config)
        scheduler = build_scheduler(database, config)
        for job in JOBS:
            log.info("job %s: %s %s", job.id, job.trigger, job.schedule)
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
