"""The schedule, as data: ``JOBS`` lists every job with a stable id, its trigger and the
function in ``tracker.jobs`` it runs.

One scheduler is active per database (``tracker scheduler``), never inside the web workers:
it holds the lock of ``tracker.scheduler_lock`` (a PostgreSQL advisory lock, or a lock file
beside the SQLite database).  A second copy, on this host or another, waits as a standby and
tries the lock every ``scheduler_lock_seconds``; it takes over when the active one dies.  On
becoming active the scheduler first catches up what was missed (``tracker.jobs.catch_up``),
then logs each job's next run.  Every job coalesces missed runs into one, never overlaps
itself (``max_instances=1``) and fires in the configured time zone (Asia/Shanghai unless
``TRACKER_TIMEZONE`` says otherwise).

Jobs run one at a time, in the order they fall due.  The order of ``JOBS`` is the order within
a minute: the mail job is last and fires 30 seconds into its minute, so it mails the alerts
that the jobs of the same minute have just raised.
"""

from __future__ import annotations

import logging
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import ref_to_obj

from tracker.config import Config
from tracker.db import Database
from tracker.db_errors import database_failure
from tracker.errors import ConfigError, TrackerError
from tracker.logs import write_error_log
from tracker.scheduler_lock import SchedulerLock, lock_for

log = logging.getLogger(__name__)

#: Applied to every job: run a missed job once (not once per missed time), never two at a
#: time, and still run it when the process was down (or busy) for up to an hour at its time.
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
    # Every day at 23:30: the job evaluates the projects whose checkpoint is that day (03-31,
    # 06-30, 10-31, 12-31, or a project's own plan dates), and does nothing on other days.
    Job("checkpoint-evaluation", "tracker.jobs:checkpoint_evaluation", "cron",
        {"hour": 23, "minute": 30}, "检查点当日 23:30 评价并保存检查点快照"),
    # The last day of every month at 23:45: opens the round when it is month N (setting).
    Job("monitoring-round", "tracker.jobs:monitoring_round", "cron",
        {"day": "last", "hour": 23, "minute": 45}, "第 N 月末开启本年度绩效运行监控（1-N月）"),
    # Last, and 30 s into its minute: after the jobs above that raise alerts in the same minute.
    Job("alert-mail", "tracker.jobs:alert_mail", "cron", {"minute": "*/10", "second": 30},
        "每 10 分钟（第 30 秒，排在同一分钟的其他任务之后）向订阅用户发送新提醒邮件（配置了 TRACKER_SMTP_HOST 时）"),
)


def _trigger(job: Job, config: Config) -> CronTrigger | IntervalTrigger:
    if job.trigger == "cron":
        return CronTrigger(timezone=config.tz, **job.schedule)
    if job.trigger == "interval":
        return IntervalTrigger(timezone=config.tz, **job.schedule)
    raise ValueError(f"unknown trigger {job.trigger!r} of job {job.id}")


def build_scheduler(database: Database, config: Config,
                    scheduler_class: type[BaseScheduler] = BackgroundScheduler,
                    jobs: Sequence[Job] = JOBS) -> BaseScheduler:
    """A scheduler (not started) holding every job of ``jobs``, run one at a time."""
    scheduler = scheduler_class(timezone=config.tz, job_defaults=JOB_DEFAULTS,
                                executors={"default": ThreadPoolExecutor(1)})
    for job in jobs:
        scheduler.add_job(job.func, trigger=_trigger(job, config), id=job.id, name=job.description,
                          kwargs={"database": database, "config": config},
                          replace_existing=True, **JOB_DEFAULTS)
    scheduler.add_listener(lambda event: _job_event(event, config), EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _job_event(event: JobExecutionEvent, config: Config) -> None:
    """What APScheduler would log in English, said in Chinese (its loggers are silenced by
    ``tracker.logs.configure``): a job that failed, with its traceback kept in the error log,
    or a run missed by more than the grace time."""
    if event.code == EVENT_JOB_MISSED:
        log.warning("任务 %s 错过了 %s 的运行（超过宽限时间），将在下次按时运行", event.job_id,
                    event.scheduled_run_time)
        return
    log.error("任务 %s 失败：%s", event.job_id, failure_text(event.exception, event.traceback, config))


def failure_text(error: BaseException | None, trace: str | None, config: Config) -> str:
    """A job's failure in Chinese; anything but a deliberate error keeps its traceback in
    ``<instance>/logs/errors.log`` and the line says where."""
    if isinstance(error, TrackerError):
        return str(error)
    failure = database_failure(error) if error is not None else None
    where = write_error_log(config.instance_path, trace or repr(error))
    told = str(failure) if failure is not None else "内部错误，本次运行已回滚"
    return f"{told}（详细信息已记入 {where}）" if where else told


@contextmanager
def exclusive(database: Database, config: Config) -> Iterator[None]:
    """Hold the scheduler's lock for a one-off run of jobs; refuse when a scheduler is active
    (it would run the same jobs at their time, and two runs at once collide)."""
    lock = lock_for(database, config)
    if not lock.acquire():
        raise ConfigError(f"另一个调度进程正在运行（已被占用：{lock.description}），为避免重复执行，"
                          "本次没有运行任何任务。请等它按时运行，或先停止它再手动运行。")
    try:
        yield
    finally:
        lock.release()


def run_once(job_id: str, database: Database, config: Config) -> None:
    """Run one job now, in this process, holding the scheduler's lock (operators and tests)."""
    job = next((j for j in JOBS if j.id == job_id), None)
    if job is None:
        raise ConfigError(f"没有这个定时任务：{job_id}（可选：{', '.join(j.id for j in JOBS)}）")
    with exclusive(database, config):
        ref_to_obj(job.func)(database=database, config=config)


def due_at(instant: datetime, config: Config) -> list[Job]:
    """The jobs whose trigger fires within the minute of ``instant`` (in the configured zone; a
    naive ``instant`` is read in that zone), in the order of ``JOBS``."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=config.tz)
    minute = instant.astimezone(config.tz).replace(second=0, microsecond=0)
    due = []
    for job in JOBS:
        fires = _trigger(job, config).get_next_fire_time(None, minute - timedelta(microseconds=1))
        if fires is not None and minute <= fires < minute + timedelta(minutes=1):
            due.append(job)
    return due


def run_due(instant: datetime, database: Database, config: Config) -> list[Job]:
    """Run, in this process and in the order of ``JOBS``, the jobs due in the minute of
    ``instant`` with its local date as their day (``tracker scheduler --once-at``: for tests
    and for people driving it from cron), holding the scheduler's lock.  A job that fails
    does not stop the others; the first failure is raised after them."""
    due = due_at(instant, config)
    day = (instant if instant.tzinfo is None else instant.astimezone(config.tz)).date()
    failure: TrackerError | None = None
    with exclusive(database, config):
        for job in due:
            log.info("运行任务 %s（%s）", job.id, instant)
            try:
                ref_to_obj(job.func)(database=database, config=config, today=day)
            except TrackerError as error:
                log.error("任务 %s 失败：%s", job.id, error)
                failure = failure or error
    if failure is not None:
        raise failure
    return due


class SchedulerProcess:
    """The long-running scheduler: active while it holds the lock, a standby otherwise.

    ``run()`` blocks until ``stop()`` (or Ctrl+C).  Standby: tries the lock every
    ``retry_seconds``.  Active: catches up, starts the jobs, checks every ``retry_seconds``
    that the lock is still held; when it is not (the database connection was lost) it stops
    running jobs at once and becomes a standby again."""

    def __init__(self, database: Database, config: Config, *, lock: SchedulerLock | None = None,
                 jobs: Sequence[Job] = JOBS,
                 catch_up: Callable[[Database, Config], None] | None = None,
                 retry_seconds: float | None = None) -> None:
        self.database, self.config, self.jobs = database, config, jobs
        self.lock = lock or lock_for(database, config)
        self.catch_up = catch_up
        self.retry_seconds = retry_seconds if retry_seconds is not None else config.scheduler_lock_seconds
        self.active = threading.Event()  # set while this process runs the jobs
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        waiting = False
        try:
            while not self._stop.is_set():
                if self.lock.acquire():
                    waiting = False
                    try:
                        self._run_active()
                    finally:
                        self.active.clear()
                        self.lock.release()
                    if not self._stop.is_set():
                        log.warning("调度锁已失去（数据库连接中断？），已停止运行任务，转为待命")
                elif not waiting:
                    log.info("另一个调度进程正在运行（已被占用：%s），本进程待命，每 %s 秒重试一次",
                             self.lock.description, f"{self.retry_seconds:g}")
                    waiting = True
                self._stop.wait(self.retry_seconds)
        except KeyboardInterrupt:
            pass

    def _run_active(self) -> None:
        log.info("本进程成为运行中的调度进程（%s）", self.lock.description)
        catch_up = self.catch_up or ref_to_obj("tracker.jobs:catch_up")
        try:
            catch_up(self.database, self.config)
        except Exception as error:  # noqa: BLE001 - the jobs still run; their next run does the work
            log.error("启动补跑失败，继续按计划运行任务：%s",
                      failure_text(error, traceback.format_exc(), self.config))
        scheduler = build_scheduler(self.database, self.config, jobs=self.jobs)
        scheduler.start()
        try:
            for job in scheduler.get_jobs():
                next_run = job.next_run_time
                log.info("任务 %s 下次运行：%s", job.id,
                         next_run.strftime("%Y-%m-%d %H:%M:%S %Z") if next_run else "无")
            self.active.set()
            while not self._stop.wait(self.retry_seconds):
                if not self.lock.held():
                    return
        finally:
            scheduler.shutdown(wait=False)


def run(database: Database, config: Config) -> None:
    """Run the scheduler in the foreground (active or standby) until Ctrl+C or SIGTERM (a
    service manager stopping it): it then stops its jobs and releases the lock."""
    process = SchedulerProcess(database, config)
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: process.stop())
    try:
        process.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    log.info("调度进程已停止")
