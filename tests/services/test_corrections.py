"""Corrections reach everything derived from them (issue #24): a ledger batch undone after
checkpoints were frozen on it marks those snapshots, withdraws the alerts and reminders that
rested on it (the people mailed the alert are told once), and finance re-freezes from the
corrected data, the old values kept; an import or undo re-evaluates every project whose
ledger coverage it changes, in its own transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import post_form
from tests.monitoring_builders import QUARTER_PLAN, add_ledger, make_project, make_unit
from tests.services.test_monitoring_notifications import Inbox, _free_port
from tracker.errors import ValidationFailed
from tracker.models import Alert, AuditEntry, Role, Snapshot
from tracker.services import corrections
from tracker.services.ledger_import import LedgerUpload, commit, prepare, undo
from tracker.services.monitoring.alerts import unread_count
from tracker.services.monitoring.reminders import send_reminders
from tracker.services.notifications import subscribe
from tracker.services.users import create_user

UNIT_NAME = "石嘴山市科学技术局"
CSV_HEAD = "业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"


def ledger_csv(rows: list[tuple[str, str, str]]) -> bytes:
    lines = [f"{d},{i:04d},205001-{UNIT_NAME},{name},摘要{i},\"{amount}\""
             for i, (d, name, amount) in enumerate(rows, 1)]
    return ("\ufeff" + CSV_HEAD + "\n".join(lines) + "\n").encode("utf-8")


def import_csv(session: Session, unit_id: int, name: str, rows: list[tuple[str, str, str]],
               period: str, today: date):  # type: ignore[no-untyped-def]
    preview = prepare(session, LedgerUpload(name, ledger_csv(rows)), unit=unit_id, period=period)
    result = commit(session, preview, "finance", today=today)
    assert result.imported, result.reason
    session.commit()
    return result


@pytest.fixture()
def smtp(app, runner) -> Iterator[tuple[Inbox, object]]:  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1, and ``run_at("YYYY-MM-DD HH:MM")``: the scheduler's
    jobs due at that fixed clock (``tracker scheduler --once-at``), mailing to that server."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    original = app.extensions["tracker.config"]
    runner.app.extensions["tracker.config"] = replace(original, smtp_host="127.0.0.1", smtp_port=port,
                                                      smtp_timeout=5)

    def run_at(instant: str) -> str:
        result = runner("scheduler", "--once-at", instant)
        assert result.exit_code == 0, result.output
        return result.output

    try:
        yield inbox, run_at
    finally:
        runner.app.extensions["tracker.config"] = original
        controller.stop()


def _checkpoints(session: Session, kind: str = "checkpoint") -> list[Snapshot]:
    session.expire_all()
    return list(session.scalars(select(Snapshot).where(Snapshot.kind == kind)
                                .order_by(Snapshot.project_id, Snapshot.as_of)))


def test_undo_after_freezing_marks_withdraws_mails_once_and_finance_refreezes(  # type: ignore[no-untyped-def]
        app, session, smtp) -> None:
    inbox, run_at = smtp
    unit = make_unit(session, UNIT_NAME)
    guide = make_project(session, unit, budget="1000000", plan=QUARTER_PLAN, name="中央引导地方科技发展资金")
    funds = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="创新驱动、科技发展业务经费")
    idle = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="未支出项目")
    other_unit = make_unit(session, "财政局")
    other = make_project(session, other_unit, budget="100000", plan=QUARTER_PLAN, name="他单位项目")
    add_ledger(session, other_unit, ("2025-01-01", "2025-06-30"), [(other, "2025-03-01", "100")])
    leader = create_user(session, "leader-corr", Role.leader, "password123")
    subscribe(session, leader, "leader@example.gov.cn")
    session.commit()

    # A wrong export covering 06-30: far too little spent, every project red.
    wrong = import_csv(session, unit.id, "wrong.csv", [
        ("2025-04-18", guide.name, "10,000.00"), ("2025-02-26", funds.name, "1,200.00")],
        "2025-01-01..2025-06-30", date(2025, 6, 30))
    run_at("2025-06-30 23:30")  # the checkpoint's own evaluation, then the mail
    run_at("2025-07-01 01:00")  # the daily job, then the mail
    frozen = [s for s in _checkpoints(session) if s.project_id in (guide.id, funds.id, idle.id)]
    assert [(s.as_of, s.frozen, s.overall_status) for s in frozen] == [
        (date(2025, 3, 31), True, "red"), (date(2025, 6, 30), True, "red")] * 3
    assert all(s.basis_batch_ids == [wrong.batch.id] for s in frozen)
    before = {(s.project_id, s.as_of): (s.spent, s.execution_rate, s.overall_status) for s in frozen}
    raised = list(session.scalars(select(Alert).where(Alert.unit_id == unit.id)))
    assert sorted({a.kind for a in raised}) == ["checkpoint_flagged", "turned_red"]
    mailed = len(inbox.messages)  # the import's and the checkpoint's alerts, the other unit's
    assert mailed >= 1 and f"“{guide.name}”在2025-06-30检查点为红灯" in inbox.messages[0].get_content()
    # Someone who subscribes now never received those alerts.
    latecomer = create_user(session, "leader-late", Role.leader, "password123")
    subscribe(session, latecomer, "late@example.gov.cn")
    session.commit()

    _batch, changes, _waited = undo(session, wrong.batch.id, "finance", today=date(2025, 7, 2))
    session.commit()
    assert changes is not None and changes.withdrawn_snapshots == 6
    assert changes.withdrawn_alerts == len(raised)
    assert "6 个已冻结的检查点评价基于已撤销的台账批次" in changes.text

    frozen = [s for s in _checkpoints(session) if s.project_id in (guide.id, funds.id, idle.id)]
    assert all(s.frozen and s.withdrawn_batch_id == wrong.batch.id for s in frozen)
    assert {(s.project_id, s.as_of): (s.spent, s.execution_rate, s.overall_status)
            for s in frozen} == before  # frozen values never change; the mark is added
    # every project of the unit is re-evaluated (coverage shrank), not only those with rows
    idle_daily = session.scalar(select(Snapshot).where(Snapshot.kind == "daily",
                                                       Snapshot.project_id == idle.id))
    assert idle_daily.ledger_covered is False and idle_daily.overall_status == "grey"
    assert idle_daily.withdrawn_batch_id is None
    originals = list(session.scalars(select(Alert).where(Alert.id.in_([a.id for a in raised]))))
    assert all(a.withdrawn_at is not None and a.withdrawn_batch_id == wrong.batch.id for a in originals)
    notices = list(session.scalars(select(Alert).where(Alert.kind == "withdrawn")))
    assert sorted(n.withdraws_alert_id for n in notices) == sorted(a.id for a in raised)
    assert all(f"基于已撤销的台账批次 {wrong.batch.id}" in n.message for n in notices)
    assert any("已撤销：项目“中央引导地方科技发展资金”2025-06-30的红灯预警（检查点预警）基于已撤销的台账批次"
               in n.message
               for n in notices)
    # withdrawn alerts do not count as unread (the notices do)
    assert unread_count(session, leader) == len(notices) + session.scalar(
        select(func.count(Alert.id)).where(Alert.unit_id == other_unit.id))

    run_at("2025-07-02 10:00")
    run_at("2025-07-02 10:10")  # nothing new: the withdrawal is mailed once
    assert [m["To"] for m in inbox.messages[mailed:]] == ["leader@example.gov.cn"]
    withdrawal = inbox.messages[mailed].get_content()
    assert "预警撤销" in withdrawal and f"基于已撤销的台账批次 {wrong.batch.id}" in withdrawal

    # The next Monday after the 偏差说明 deadline: the other unit's red project is reminded,
    # the undone batch's projects are not (their frozen red rests on the undone batch).
    run_at("2025-07-21 08:00")
    reminded = {a.project_id for a in session.scalars(select(Alert).where(
        Alert.kind == "explanation_overdue"))}
    assert reminded == {other.id}
    assert session.scalar(select(Alert).where(Alert.kind == "ledger_missing",
                                              Alert.unit_id == unit.id)) is not None

    # The corrected export, then finance confirms the re-freeze.
    corrected = import_csv(session, unit.id, "corrected.csv", [
        ("2025-04-18", guide.name, "600,000.00"), ("2025-02-26", funds.name, "60,000.00")],
        "2025-01-01..2025-06-30", date(2025, 7, 22))
    assert all(s.withdrawn_basis for s in _checkpoints(session) if s.project_id == guide.id)
    result = corrections.refreeze(session, [guide.id, funds.id, idle.id], "finance", date(2025, 7, 22))
    session.commit()
    assert len(result.refrozen) == 6 and result.uncovered == []
    current = {(s.project_id, s.as_of): s for s in _checkpoints(session)}
    assert current[guide.id, date(2025, 6, 30)].spent == Decimal("600000.00")
    assert current[guide.id, date(2025, 6, 30)].money_status == "green"
    assert current[guide.id, date(2025, 6, 30)].version == 2
    assert current[guide.id, date(2025, 6, 30)].basis_batch_ids == [corrected.batch.id]
    assert current[guide.id, date(2025, 6, 30)].withdrawn_basis is False
    assert current[idle.id, date(2025, 6, 30)].overall_status == "red"
    history = {(s.project_id, s.as_of): s for s in _checkpoints(session, "replaced")}
    assert len(history) == 6
    assert (history[guide.id, date(2025, 6, 30)].spent, history[guide.id, date(2025, 6, 30)].overall_status,
            history[guide.id, date(2025, 6, 30)].withdrawn_batch_id) == (Decimal("10000.00"), "red", wrong.batch.id)
    audited = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "refreeze")))
    assert len(audited) == 6
    # still red after the correction: asked for a 偏差说明 again
    assert session.scalar(select(Alert).where(
        Alert.key == f"checkpoint:{idle.id}:2025-06-30:v2")) is not None
    with pytest.raises(ValidationFailed, match="没有基于已撤销台账批次"):
        corrections.refreeze(session, [guide.id], "finance", date(2025, 7, 22))


def test_a_one_row_full_year_file_reevaluates_and_freezes_the_whole_unit(app, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, UNIT_NAME)
    projects = [make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name=f"科技项目{i}")
                for i in range(12)]
    session.commit()
    result = import_csv(session, unit.id, "one-row.csv", [("2025-05-10", projects[0].name, "30,000.00")],
                        "2025-01-01..2025-12-31", date(2025, 7, 15))
    frozen = _checkpoints(session)
    # 03-31 and 06-30 of all twelve projects, frozen in the import's own transaction
    assert len(frozen) == 24 and all(s.frozen for s in frozen)
    assert result.changes is not None and result.changes.evaluated == 12 and result.changes.frozen == 24
    summary = result.as_json()
    assert "重新评价 12 个项目" in summary["status_changes"]
    assert "新增预警 12 个" in summary["status_changes"]
    assert summary["projects_reevaluated"] == 12


def test_undo_withdraws_only_what_rested_on_the_batch(app, session) -> None:  # type: ignore[no-untyped-def]
    """A snapshot frozen before a batch was imported does not rest on it: undoing that batch
    leaves it (and its alerts) alone."""
    unit = make_unit(session, UNIT_NAME)
    project = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目")
    session.commit()
    first = import_csv(session, unit.id, "q1.csv", [("2025-02-10", project.name, "100.00")],
                       "2025-01-01..2025-03-31", date(2025, 4, 2))
    later = import_csv(session, unit.id, "q2.csv", [("2025-05-10", project.name, "100.00")],
                       "2025-04-01..2025-06-30", date(2025, 7, 2))
    march = session.scalar(select(Snapshot).where(Snapshot.as_of == date(2025, 3, 31)))
    june = session.scalar(select(Snapshot).where(Snapshot.as_of == date(2025, 6, 30)))
    assert march.basis_batch_ids == [first.batch.id]
    assert june.basis_batch_ids == [first.batch.id, later.batch.id]
    undo(session, later.batch.id, "finance", today=date(2025, 7, 3))
    session.commit()
    session.expire_all()
    assert march.withdrawn_batch_id is None and june.withdrawn_batch_id == later.batch.id
    march_alert = session.scalar(select(Alert).where(Alert.key == f"checkpoint:{project.id}:2025-03-31"))
    assert march_alert.withdrawn_at is None
    # June is no longer covered: re-freezing it must wait for a ledger that covers it
    result = corrections.refreeze(session, [project.id], "finance", date(2025, 7, 3))
    assert result.refrozen == [] and result.uncovered == [(project.id, date(2025, 6, 30))]
    assert "台账尚未覆盖" in result.text


def test_refreeze_from_the_page_and_the_command(app, session, client, logged_in, runner) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, UNIT_NAME)
    project = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目")
    session.commit()
    wrong = import_csv(session, unit.id, "wrong.csv", [("2025-02-10", project.name, "100.00")],
                       "2025-01-01..2025-06-30", date(2025, 7, 2))
    undo(session, wrong.batch.id, "finance", today=date(2025, 7, 3))
    session.commit()
    import_csv(session, unit.id, "right.csv", [("2025-02-10", project.name, "40,000.00")],
               "2025-01-01..2025-06-30", date(2025, 7, 4))

    logged_in(Role.leader)
    page = client.get(f"/projects/{project.id}/monitoring?as_of=2025-06-30").get_data(as_text=True)
    button = "按当前数据重新冻结</button>"
    assert f"基于已撤销的台账批次 {wrong.batch.id}" in page and button not in page
    logged_in(Role.finance)
    url = f"/projects/{project.id}/monitoring"
    page = client.get(f"{url}?as_of=2025-06-30").get_data(as_text=True)
    assert button in page
    response = post_form(client, f"{url}/refreeze", {"as_of": "2025-06-30"}, token_from=url,
                         follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已按当前数据重新冻结 1 个检查点评价" in text
    assert "历史冻结值（第 1 次冻结" in text and "第 2 次冻结" in text
    session.expire_all()
    assert session.scalar(select(Snapshot).where(
        Snapshot.kind == "checkpoint", Snapshot.as_of == date(2025, 6, 30))).spent == Decimal("40000.00")

    done = runner("monitor", "refreeze", "--unit", str(unit.id), "--json")
    assert done.exit_code == 0, done.output
    assert [r["as_of"] for r in json.loads(done.output)["refrozen"]] == ["2025-03-31"]
    again = runner("monitor", "refreeze", "--project", str(project.id))
    assert again.exit_code != 0 and "没有基于已撤销台账批次" in str(again.exception)


def test_withdrawn_snapshots_ask_for_no_explanation(app, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, UNIT_NAME)
    project = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目")
    session.commit()
    wrong = import_csv(session, unit.id, "wrong.csv", [("2025-02-10", project.name, "100.00")],
                       "2025-01-01..2025-06-30", date(2025, 7, 2))
    undo(session, wrong.batch.id, "finance", today=date(2025, 7, 3))
    assert [a.kind for a in send_reminders(session, date(2025, 7, 21))] == ["ledger_missing"]


def test_two_refreezes_at_once_make_one_new_version(fresh_database_url, monkeypatch, tmp_path,  # type: ignore[no-untyped-def]
                                                     capsys) -> None:
    """Two ``tracker monitor refreeze`` at the same moment (real threads, a committed SQLite
    file or PostgreSQL schema, both past their reads before either writes): one makes version
    2, the other waits for the unit's lock and finds nothing left to re-freeze."""
    import threading
    from typing import Any

    from tests.services.test_ledger_concurrency import in_threads, run_cli
    from tracker import migration
    from tracker.db import Database
    from tracker.services.monitoring.snapshots import freeze_checkpoints

    db = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, db.engine)
    with db.session() as session:
        unit = make_unit(session, UNIT_NAME)
        project = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目")
        wrong = add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-02-10", "100")])
        freeze_checkpoints(session, date(2025, 7, 2))
        undo(session, wrong.id, "finance", today=date(2025, 7, 3))
        add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-02-10", "40000")])
        session.commit()
        project_id = project.id
    monkeypatch.setenv("TRACKER_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    barrier = threading.Barrier(2, timeout=60)
    real = corrections.refreeze

    arrived: list[int] = []

    def refreeze_after_barrier(*args: Any, **kwargs: Any) -> Any:
        if len(arrived) < 2:  # the first attempt of each; a retried attempt goes straight on
            arrived.append(1)
            barrier.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(corrections, "refreeze", refreeze_after_barrier)
    args = ("monitor", "refreeze", "--project", str(project_id), "--as-of", "2025-06-30")
    try:
        codes = in_threads(lambda: run_cli(*args), lambda: run_cli(*args))
        captured = capsys.readouterr()
        assert sorted(codes) == [0, 2], captured.err
        assert "没有基于已撤销台账批次" in captured.err and "Traceback" not in captured.err
        with db.session() as session:
            versions = sorted((s.kind, s.version) for s in session.scalars(select(Snapshot).where(
                Snapshot.project_id == project_id, Snapshot.as_of == date(2025, 6, 30),
                Snapshot.kind != "daily")))
        assert versions == [("checkpoint", 2), ("replaced", 1)]
    finally:
        db.dispose()


def test_the_monitoring_form_shows_the_mark_and_the_recomputation(app, session) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from openpyxl import load_workbook

    from tracker.reports import monitoring_workbook
    from tracker.services.reporting import monitoring_round_form

    unit = make_unit(session, UNIT_NAME)
    project = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目")
    session.commit()
    wrong = import_csv(session, unit.id, "wrong.csv", [("2025-02-10", project.name, "100.00")],
                       "2025-01-01..2025-06-30", date(2025, 7, 2))
    undo(session, wrong.batch.id, "finance", today=date(2025, 7, 3))
    import_csv(session, unit.id, "right.csv", [("2025-02-10", project.name, "40,000.00")],
               "2025-01-01..2025-06-30", date(2025, 7, 4))
    form = monitoring_round_form(session, 2025, 6, unit.id, date(2025, 7, 5))
    sheet = form.sheets[0]
    assert sheet.frozen and sheet.spent == Decimal("100.00")  # the frozen value, as it was
    assert sheet.withdrawn_batch_id == wrong.batch.id
    assert sheet.recomputed_rate == Decimal("40.0000")
    state = monitoring_workbook.data_state(sheet)
    assert f"基于已撤销的台账批次 {wrong.batch.id}" in state and "执行率 40.00%" in state
    assert any("1 个项目的冻结快照基于已撤销的台账批次" in line for line in form.sources)
    book = load_workbook(BytesIO(monitoring_workbook.build(form)))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any(f"基于已撤销的台账批次 {wrong.batch.id}" in text for text in cells)


def test_the_alerts_page_strikes_withdrawn_alerts_through(app, session, client, logged_in) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, UNIT_NAME)
    project = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目")
    session.commit()
    wrong = import_csv(session, unit.id, "wrong.csv", [("2025-02-10", project.name, "100.00")],
                       "2025-01-01..2025-06-30", date(2025, 7, 2))
    undo(session, wrong.batch.id, "finance", today=date(2025, 7, 3))
    session.commit()
    logged_in(Role.leader)
    page = client.get("/alerts").get_data(as_text=True)
    assert f"（已撤销：所依据的台账批次 {wrong.batch.id} 已撤销）" in page and "<s>项目“科技项目”" in page
    assert "预警撤销" in page
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(client.get("/alerts?format=xlsx").data))
    states = [row[-1] for row in book.active.iter_rows(values_only=True)]
    assert "已撤销" in states


def test_undo_leaves_alone_the_projects_it_did_not_change(app, session) -> None:  # type: ignore[no-untyped-def]
    """A June batch with rows of one project only, undone while the unit's ledger still covers
    06-30: the other project's frozen figures stand (the batch was in their basis, but undoing
    it changes neither their spending nor the coverage of their dates)."""
    unit = make_unit(session, UNIT_NAME)
    first = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目甲")
    second = make_project(session, unit, budget="100000", plan=QUARTER_PLAN, name="科技项目乙")
    session.commit()
    import_csv(session, unit.id, "h1.csv", [("2025-02-10", first.name, "100.00"),
                                            ("2025-02-11", second.name, "100.00")],
               "2025-01-01..2025-06-30", date(2025, 6, 30))
    june = import_csv(session, unit.id, "june.csv", [("2025-06-10", first.name, "50.00")],
                      "2025-06-01..2025-06-30", date(2025, 7, 2))
    _batch, changes, _waited = undo(session, june.batch.id, "finance", today=date(2025, 7, 3))
    session.commit()
    marked = {(s.project_id, s.as_of) for s in _checkpoints(session) if s.withdrawn_basis}
    assert marked == {(first.id, date(2025, 6, 30))}
    assert changes is not None and changes.withdrawn_snapshots == 1
    assert all(a.withdrawn_at is None for a in session.scalars(
        select(Alert).where(Alert.project_id == second.id)))


def _bare_snapshot(project_id: int, as_of: date, basis: list[int]) -> Snapshot:
    zero = Decimal("0.00")
    return Snapshot(project_id=project_id, kind="checkpoint", as_of=as_of, money_as_of=as_of, frozen=True,
                    evaluated_on=as_of, budget=zero, spent=zero, planned_pct=zero, money_status="green",
                    ledger_covered=True, results_status="grey", overall_status="green", forecast=zero,
                    carry_over=zero, forecast_run_rate=zero, carry_over_run_rate=zero, basis_batch_ids=basis)


def test_undo_loads_only_the_snapshots_resting_on_the_batch(session) -> None:  # type: ignore[no-untyped-def]
    """The unit's other snapshots (another basis, or a project the undo did not change) are
    left in the database, not loaded to be looked at."""
    from sqlalchemy import event

    from tracker.models import LedgerBatch

    unit = make_unit(session)
    projects = [make_project(session, unit) for _ in range(4)]
    old = add_ledger(session, unit, ("2025-01-01", "2025-01-31"), [])
    batch = add_ledger(session, unit, ("2025-02-01", "2025-02-28"), [(projects[0], "2025-02-03", "10.00")])
    days = [date(2025, month, 28) for month in range(1, 4)]
    for project in projects:
        for day in days:
            session.add(_bare_snapshot(project.id, day, [old.id] if day.month == 1 else [old.id, batch.id]))
    session.flush()
    session.expunge_all()
    loaded: list[int] = []

    def note(target: Snapshot, _context: object) -> None:
        loaded.append(target.id)

    event.listen(Snapshot, "load", note)
    try:
        withdrawal = corrections.withdraw_batch(session, session.get(LedgerBatch, batch.id), [projects[0].id],
                                                date(2025, 2, 28), date(2025, 2, 28))
    finally:
        event.remove(Snapshot, "load", note)
    marked = session.scalars(select(Snapshot.id).where(Snapshot.withdrawn_batch_id == batch.id)).all()
    assert withdrawal.snapshots == 2 and len(marked) == 2
    assert sorted(loaded) == sorted(marked)
