"""The schedule is data: stable ids, coalesce, one instance, Asia/Shanghai; jobs run once."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker import jobs, scheduler
from tracker.config import Config
from tracker.errors import ConfigError
from tracker.models import Alert, Snapshot

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"


def test_jobs_table_has_stable_ids_and_safe_defaults(app) -> None:  # type: ignore[no-untyped-def]
    assert [job.id for job in scheduler.JOBS] == [
        "monitoring-daily", "monitoring-reminders", "alert-mail", "checkpoint-evaluation", "monitoring-round"]
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


def test_only_one_scheduler_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with scheduler.single_instance(str(tmp_path)):
        with pytest.raises(ConfigError, match="另一个调度进程正在运行"):
            with scheduler.single_instance(str(tmp_path)):
                pass
    with scheduler.single_instance(str(tmp_path)):  # released afterwards
        pass


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
    assert '"execution_rate": "50.0000"' in result.output and '"overall": "green"' in result.output
    result = runner("scheduler", "run", "--once", "monitoring-reminders")
    assert result.exit_code == 0, result.output
    assert "任务 monitoring-reminders 已完成" in result.output
    assert runner("scheduler", "run", "--once", "no-such-job").exit_code != 0
