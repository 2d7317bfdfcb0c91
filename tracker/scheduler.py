"""The schedule, as data: ``JOBS`` lists every job with a stable id, its trigger and the
function in ``tracker.jobs`` it runs.

One scheduler process runs them (``tracker scheduler run``), never the web workers: the
process holds a lock file in the instance folder, so a second one refuses to start.  Every
job coalesces missed runs into one, never overlaps itself (``max_instances=1``) and fires in
the configured time zone (Asia/Shanghai unless ``TRACKER_TIMEZONE`` says otherwise).
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
        "冻结台账已覆盖的检查点评价，刷新每日状态，生成状态变化提醒"),
    Job("monitoring-reminders", "tracker.jobs:reminders", "cron", {"hour": 8, "minute": 0},
        "生成台账未覆盖、完成值填报逾期、偏差说明逾期提醒"),
    Job("alert-mail", "tracker.jobs:alert_mail", "interval", {"minutes": 10},
        "向订阅用户发送新提醒邮件（配置了 TRACKER_SMTP_HOST 时）"),
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
    with single_instance(config.instance_path):
        scheduler = build_scheduler(database, config)
        for job in JOBS:
            log.info("job %s: %s %s", job.id, job.trigger, job.schedule)
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
