"""The schedule is data: stable ids, coalesce, one instance, Asia/Shanghai; jobs run once; one
active scheduler per database, a standby that takes over; the mail job after the others."""

from __future__ import annotations

import ast
import logging
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, text

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker import jobs, scheduler
from tracker.config import Config
from tracker.errors import ConfigError
from tracker.logs import ZonedFormatter
from tracker.models import Alert, MonitoringRound, Snapshot
from tracker.scheduler_lock import ADVISORY_KEY, FileLock, lock_for

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"


def test_jobs_table_has_stable_ids_and_safe_defaults(app) -> None:  # type: ignore[no-untyped-def]
    assert [job.id for job in scheduler.JOBS] == [  # the order within a minute: mail last
        "monitoring-daily", "monitoring-reminders", "checkpoint-evaluation", "monitoring-round", "alert-mail"]
    built = scheduler.build_scheduler(app.extensions["tracker.db"], app.extensions["tracker.config"],
                                      BackgroundScheduler)
    assert str(built.timezone) == "Asia/Shanghai"
    for job in built.get_jobs():
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == 3600
        assert str(job.trigger.timezone) == "Asia/Shanghai"
    assert {job.id for job in built.get_jobs()} == {job.id for job in scheduler.JOBS}
    daily = built.get_job("monitoring-daily")
    assert "hour='1'" in str(daily.trigger) and "minute='0'" in str(daily.trigger)
    assert daily.func is jobs.daily_evaluation


def test_the_web_application_never_starts_a_scheduler() -> None:
    for path in [PACKAGE / "__init__.py", *sorted((PACKAGE / "web").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith("apscheduler"), path
                assert name not in ("tracker.scheduler", "tracker.jobs"), path


def test_only_one_file_lock_per_instance_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = FileLock(str(tmp_path)), FileLock(str(tmp_path))
    assert first.acquire() and first.held()
    assert not second.acquire()
    first.release()
    assert second.acquire()  # released afterwards
    second.release()


def record_tick(database, config) -> None:  # type: ignore[no-untyped-def]
    """A job for the tests below: notes which scheduler ran it (by its public_url)."""
    TICKS.append(config.public_url)


TICKS: list[str] = []
TICK_JOBS = (scheduler.Job("tick", "tests.test_scheduler:record_tick", "interval", {"seconds": 0.2}, "测试"),)


def _process(database, config, name: str, instance: Path) -> scheduler.SchedulerProcess:  # type: ignore[no-untyped-def]
    """A scheduler as another host would run it: its own config (on PostgreSQL its own
    instance folder too) and its own lock, on the same database."""
    own = replace(config, public_url=name, instance_path=str(instance))
    return scheduler.SchedulerProcess(database, own, jobs=TICK_JOBS, catch_up=lambda d, c: None,
                                      retry_seconds=0.2)


def _wait(condition, seconds: float = 10) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _kill_the_active_one(database, first: scheduler.SchedulerProcess) -> None:  # type: ignore[no-untyped-def]
    if database.engine.dialect.name == "postgresql":  # its database session dies, as with the host
        with database.engine.connect() as connection:
            killed = connection.scalar(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND ((classid::bigint << 32) | objid::bigint) = :key AND granted"),
                {"key": ADVISORY_KEY & 0xFFFFFFFFFFFFFFFF})
        assert killed
    else:  # the process ends: the kernel releases its flock
        first.stop()


def test_one_active_scheduler_per_database_and_the_standby_takes_over(app, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    database, config = app.extensions["tracker.db"], app.extensions["tracker.config"]
    on_postgres = database.engine.dialect.name == "postgresql"
    folders = [tmp_path / "a", tmp_path / "b"] if on_postgres else [tmp_path, tmp_path]
    first = _process(database, config, "a", folders[0])
    second = _process(database, config, "b", folders[1])
    TICKS.clear()
    caplog.set_level(logging.INFO, logger="tracker.scheduler")
    threads = []
    try:
        threads.append(threading.Thread(target=first.run, daemon=True))
        threads[-1].start()
        assert first.active.wait(10)
        threads.append(threading.Thread(target=second.run, daemon=True))
        threads[-1].start()
        assert _wait(lambda: "本进程待命" in caplog.text)
        time.sleep(1)
        assert not second.active.is_set()
        assert TICKS and set(TICKS) == {"a"}  # only the active one runs jobs

        started = time.monotonic()
        _kill_the_active_one(database, first)
        assert second.active.wait(10), "the standby did not take over"
        assert time.monotonic() - started < 5  # within the retry period, not a minute
        assert _wait(lambda: not first.active.is_set(), 5)  # the killed one stopped its jobs
        time.sleep(0.3)  # a tick it had already started may still finish
        TICKS.clear()
        time.sleep(1)
        assert TICKS and set(TICKS) == {"b"}
    finally:
        first.stop()
        second.stop()
        for thread in threads:
            thread.join(10)
    assert not any(thread.is_alive() for thread in threads)


def test_a_one_off_run_refuses_while_a_scheduler_is_active(app, runner) -> None:  # type: ignore[no-untyped-def]
    database, config = app.extensions["tracker.db"], app.extensions["tracker.config"]
    active = lock_for(database, config)
    assert active.acquire()
    try:
        result = runner("scheduler", "run", "--once", "monitoring-reminders")
        assert result.exit_code != 0
        assert "另一个调度进程正在运行" in str(result.exception)
        result = runner("scheduler", "--once-at", "2025-07-07 08:00")
        assert result.exit_code != 0 and "本次没有运行任何任务" in str(result.exception)
    finally:
        active.release()
    assert runner("scheduler", "run", "--once", "monitoring-reminders").exit_code == 0


def test_the_scheduler_logs_each_jobs_next_run_in_shanghai_time(app, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    database, config = app.extensions["tracker.db"], app.extensions["tracker.config"]
    process = scheduler.SchedulerProcess(database, replace(config, instance_path=str(tmp_path)),
                                         catch_up=lambda d, c: None, retry_seconds=0.2)
    caplog.set_level(logging.INFO, logger="tracker.scheduler")
    thread = threading.Thread(target=process.run, daemon=True)
    thread.start()
    try:
        assert process.active.wait(10)
    finally:
        process.stop()
        thread.join(10)
    for job in scheduler.JOBS:
        line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith(f"任务 {job.id} 下次运行"))
        assert line.endswith(" CST"), line  # China Standard Time, Asia/Shanghai

    record = logging.LogRecord("tracker.jobs", logging.INFO, __file__, 1, "每日评价完成", None, None)
    record.created = datetime(2025, 6, 30, 15, 30, tzinfo=UTC).timestamp()
    assert ZonedFormatter(ZoneInfo("Asia/Shanghai")).format(record).startswith(
        "2025-06-30 23:30:00+0800 [信息] 每日评价完成")


def test_a_failing_job_is_told_in_chinese_and_its_traceback_kept_in_the_error_log(
        app, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    """APScheduler's own English lines are silenced; a job's failure is one Chinese line, the
    traceback goes to <instance>/logs/errors.log."""
    from dataclasses import replace as replaced

    from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent

    config = replaced(app.extensions["tracker.config"], instance_path=str(tmp_path))
    try:
        raise KeyError("an English library detail")
    except KeyError as error:
        import traceback as tb
        event = JobExecutionEvent(EVENT_JOB_ERROR, "monitoring-daily", "default",
                                  datetime.now(UTC), exception=error, traceback=tb.format_exc())
    caplog.set_level(logging.INFO, logger="tracker.scheduler")
    scheduler._job_event(event, config)
    line = next(r.getMessage() for r in caplog.records if r.name == "tracker.scheduler")
    log_file = tmp_path / "logs" / "errors.log"
    assert line == f"任务 monitoring-daily 失败：内部错误，本次运行已回滚（详细信息已记入 {log_file}）"
    assert "an English library detail" in log_file.read_text(encoding="utf-8")

    from tracker.logs import configure
    configure(ZoneInfo("Asia/Shanghai"))
    assert logging.getLogger("apscheduler.executors.default").getEffectiveLevel() > logging.CRITICAL


def test_the_mail_job_runs_after_the_jobs_that_raise_alerts_in_its_minute(app) -> None:  # type: ignore[no-untyped-def]
    config = app.extensions["tracker.config"]
    built = scheduler.build_scheduler(app.extensions["tracker.db"], config, BackgroundScheduler)
    assert built._executors["default"]._pool._max_workers == 1  # one job at a time, in order
    mail = scheduler._trigger(next(j for j in scheduler.JOBS if j.id == "alert-mail"), config)
    start = datetime(2025, 1, 1, tzinfo=config.tz)
    shared = 0
    for job in scheduler.JOBS[:-1]:
        trigger, fired = scheduler._trigger(job, config), start
        for _ in range(60):
            fired = trigger.get_next_fire_time(None, fired + timedelta(seconds=1))
            mailed = mail.get_next_fire_time(None, fired)
            if mailed - fired < timedelta(minutes=1):
                shared += 1
                assert mailed > fired, (job.id, fired)  # the mail job is queued after it
    assert shared > 0  # the table does put jobs in one minute
    due = scheduler.due_at(datetime(2025, 7, 7, 8, 0), config)  # a Monday 08:00
    assert [job.id for job in due] == ["monitoring-reminders", "alert-mail"]


def test_once_at_mails_the_alerts_raised_in_the_same_minute(app, session, runner) -> None:  # type: ignore[no-untyped-def]
    from tests.services.test_monitoring_notifications import Inbox, _free_port
    from aiosmtpd.controller import Controller
    from tracker.models import Role
    from tracker.services.notifications import subscribe
    from tracker.services.users import create_user

    unit = make_unit(session)
    project = make_project(session, unit, budget="1000")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "100")])
    subscribe(session, create_user(session, "leader-once", Role.leader, "password123"),
              "leader@example.gov.cn")
    session.commit()
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    original = app.extensions["tracker.config"]  # runner.app is app: keep the original to put back
    try:
        runner.app.extensions["tracker.config"] = replace(original, smtp_host="127.0.0.1", smtp_port=port)
        result = runner("scheduler", "--once-at", "2025-07-05 01:00")
    finally:
        runner.app.extensions["tracker.config"] = original
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "到期的任务：monitoring-daily、alert-mail" in result.output
    assert len(inbox.messages) == 1 and "转为红灯" in inbox.messages[0].get_content()


def test_catch_up_opens_no_round_for_a_year_without_projects(app, session) -> None:  # type: ignore[no-untyped-def]
    database, config = app.extensions["tracker.db"], app.extensions["tracker.config"]
    unit = make_unit(session)
    make_project(session, unit, year=2025)
    session.commit()
    jobs.catch_up(database, config, today=date(2026, 7, 5))  # 2026 has no projects
    assert session.scalar(select(MonitoringRound)) is None
    jobs.monitoring_round(database, config, today=date(2026, 6, 30))
    assert session.scalar(select(MonitoringRound)) is None
    jobs.catch_up(database, config, today=date(2025, 7, 5))  # 2025 has
    assert [(r.year, r.month, r.late) for r in session.scalars(select(MonitoringRound))] == [(2025, 6, True)]


def test_daily_job_body_runs_once(app, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project = make_project(session, unit, budget="1000")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "100")])
    session.commit()
    database, config = app.extensions["tracker.db"], app.extensions["tracker.config"]

    jobs.daily_evaluation(database, config, today=date(2025, 7, 5))
    jobs.reminders(database, config, today=date(2025, 7, 5))

    snapshots = session.scalars(select(Snapshot).order_by(Snapshot.kind, Snapshot.as_of)).all()
    assert [(s.kind, s.as_of) for s in snapshots] == [
        ("checkpoint", date(2025, 3, 31)), ("checkpoint", date(2025, 6, 30)), ("daily", date(2025, 7, 5))]
    assert snapshots[-1].spent == Decimal("100.00") and snapshots[-1].overall_status == "red"
    kinds = sorted(a.kind for a in session.scalars(select(Alert)))
    assert kinds == ["checkpoint_flagged", "checkpoint_flagged", "turned_red"]


def test_mail_job_does_nothing_without_smtp(app) -> None:  # type: ignore[no-untyped-def]
    jobs.alert_mail(app.extensions["tracker.db"], Config(), today=date(2025, 7, 5))


def test_cli_runs_one_job_and_evaluates_a_date(runner, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project = make_project(session, unit, budget="1000", year=2025, indicators=[
        {"name": "企业满意度", "target_number": Decimal(90), "target_unit": "%"}])
    report(session, project.indicators[0], "2025-06-01", value="95")  # judged: the status is money's
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "500")])
    session.commit()
    result = runner("monitor", "evaluate", "--as-of", "2025-06-30")
    assert result.exit_code == 0, result.output
    assert "2025-06-30：1 个项目（绿灯 1）" in result.output
    result = runner("monitor", "evaluate", "--as-of", "2025-06-30", "--json")
    assert '"execution_pct": "50.00"' in result.output and '"status": "green"' in result.output  # check's keys
    result = runner("scheduler", "run", "--once", "monitoring-reminders")
    assert result.exit_code == 0, result.output
    assert "任务 monitoring-reminders 已完成" in result.output
    assert runner("scheduler", "run", "--once", "no-such-job").exit_code != 0


LOCK_HOLDER = """
import sys, time
from tracker.config import Config
from tracker.db import Database
from tracker.scheduler_lock import lock_for
lock = lock_for(Database(sys.argv[1]), Config(instance_path=sys.argv[2]))
print("held" if lock.acquire() else "refused", flush=True)
time.sleep(120)
"""


def test_the_lock_is_released_when_its_process_is_killed(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal
    import subprocess
    import sys

    database, config = app.extensions["tracker.db"], app.extensions["tracker.config"]
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, database.url, str(tmp_path)], stdout=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        mine = lock_for(database, replace(config, instance_path=str(tmp_path)))
        assert not mine.acquire()  # another process holds it
        holder.send_signal(signal.SIGKILL)  # no clean-up: the host dies
        holder.wait(10)
        assert _wait(mine.acquire, 10)
        mine.release()
    finally:
        holder.kill()
        holder.wait(10)


def test_the_lock_interval_must_let_a_standby_take_over_within_a_minute(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = {"instance_path": str(tmp_path), "secret_key": "x"}
    assert Config.from_env({**settings, "scheduler_lock_seconds": 30}).scheduler_lock_seconds == 30
    for wrong in (0, 45):
        with pytest.raises(ConfigError, match="TRACKER_SCHEDULER_LOCK_SECONDS 应大于 0、不超过 30 秒"):
            Config.from_env({**settings, "scheduler_lock_seconds": wrong})
