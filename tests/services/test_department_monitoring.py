"""部门整体 双监控 beyond one department: 逾期未填报 and its reminder (the project rule), and the
cockpit's lines for every department from one evaluation of all their projects."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.services.test_department import SEEDS, import_seed, year_of
from tracker.services import department
from tracker.services.monitoring.evaluate import evaluate as evaluate_monitoring
from tracker.services.target_import import UploadedFile, apply_import, plan_import


def test_unreported_department_indicator_is_overdue_after_the_first_checkpoint_and_grace(session: Session) -> None:
    """03-31 + 10 grace days = 04-10: on 04-10 still 未填报 (grey), on 04-11 逾期未填报 (yellow)."""
    import_seed(session, "002")
    record = year_of(session, "高新区科技局", 2023)
    assert department.reporting_deadline(session, 2023) == date(2023, 4, 10)
    on_time = department.monitor(session, record, date(2023, 4, 10))
    assert {(s.colour, s.label) for _, s in on_time.indicators} == {("grey", "未填报")}
    assert on_time.results == "grey"
    late = department.monitor(session, record, date(2023, 4, 11))
    assert {(s.colour, s.label, s.report_overdue) for _, s in late.indicators} == {("yellow", "逾期未填报", True)}
    assert late.results == "yellow"


def test_department_progress_reminder_names_every_missing_indicator_once(session: Session) -> None:
    import_seed(session, "002")
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    department.add_progress(session, rows[0], reported_on=date(2023, 7, 2), actor="t", raw="10")
    department.add_progress(session, rows[2], reported_on=date(2023, 3, 20), actor="t", raw="95")  # before 03-31
    assert department.send_reminders(session, date(2023, 7, 10)) == []  # 06-30 + 10: still on time
    (alert,) = department.send_reminders(session, date(2023, 7, 11))
    assert (alert.kind, alert.as_of, alert.project_id, alert.unit_id) == (
        "progress_overdue", date(2023, 6, 30), None, record.unit_id)
    assert alert.message == (
        "高新区科技局2023年部门整体绩效2023-06-30检查点的指标完成值填报已逾期：5 项（新认定国家科技型中小企业、"
        "区内企业满意度、及时足额拨付机器人产业扶持资金、区内机器人企业创新能力、机器人产业企业满意度）"
        "自2023-03-31后未填报。")
    assert department.send_reminders(session, date(2023, 7, 12)) == []  # raised once


def test_cockpit_lines_evaluate_all_departments_once(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    import_seed(session, "002")
    path = next(p for p in SEEDS if p.name.startswith("002"))  # the same document, a second unit
    text = path.read_text(encoding="utf-8").replace("高新区科技局", "高新区经发局")
    apply_import(session, plan_import(session, [UploadedFile("other.txt", text.encode("utf-8"))]), "test")
    session.flush()
    calls: list[object] = []
    evaluate = evaluate_monitoring

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[2])
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(department, "evaluate_monitoring", counted)  # what department calls
    as_of = date(2023, 11, 15)
    lines = department.department_lines(session, 2023, None, as_of)
    assert len(calls) == 1 and len(lines) == 2
    for line in lines:  # the same figures as one department monitored alone
        record = session.get(department.DepartmentYear, line.record_id)
        alone = department.monitor(session, record, as_of, money_at_ledger_date=True)
        assert (line.unit_name, line.money, line.results, line.overall) == (
            record.unit.name, alone.money, alone.results, alone.overall)
