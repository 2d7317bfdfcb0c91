"""部门整体支出绩效自评: draft, edits, freeze — the project 自评's cycle — and the frozen copy
is what the 自评表 and the 自评报告 print.  Scored by hand on seed 002 (see
``test_department.test_self_evaluation_scored_by_hand`` for the first figures)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.services.test_department import _spend_80_percent, import_seed, year_of
from tracker.core.scoring import round_score
from tracker.errors import EvaluationFrozen, FormInvalid, ValidationFailed
from tracker.reports import department_self_eval_workbook
from tracker.services import department, department_evaluation as dept_eval
from tracker.services.evaluation import EvaluationEdit, IndicatorEdit
from tracker.services.reporting import self_eval_form

TODAY = date(2024, 1, 5)


def _reported(session: Session):  # type: ignore[no-untyped-def]
    import_seed(session, "002")
    _spend_80_percent(session)
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    for row, raw in zip(rows, ("30", "180", "95%", "达成年度指标", "部分达成年度指标并具有一定效果", "85")):
        department.add_progress(session, row, reported_on=date(2023, 12, 20), actor="t", raw=raw,
                                note="认定批次推迟" if row.name == "新认定国家科技型中小企业" else "")
    session.expire_all()
    return record


def test_a_department_self_evaluation_drafted_edited_and_frozen_by_hand(session: Session) -> None:
    """Draft = the current figures: 87.5447… → 87.54 良 (执行率 80% → 8).  Edits: 新认定国家科技型中小企业
    实际 240 → 16.67 (was 180/240 × 16.67 = 12.5025, +4.1675); 区内机器人企业创新能力 部分达成 with
    得分 20 inside [18, 24) (was the band's top 23.99, −3.99).  Indicators 16.67 + 16.67 + 5 + 16.66 +
    20 + 4.7222 = 79.7222, + 8 = 87.7222 → 87.72 良."""
    record = _reported(session)
    with pytest.raises(ValidationFailed, match="2023年尚未结束"):
        dept_eval.create_draft(session, record, "clerk", date(2023, 12, 30))
    draft = dept_eval.create_draft(session, record, "clerk", TODAY)
    live = department.self_evaluation(session, record).evaluation
    assert (draft.number, draft.total, draft.grade) == (1, round(live.total, 4), "良")
    assert round_score(draft.total) == Decimal("87.54") and draft.execution_score == Decimal(8)
    assert (draft.annual_budget, draft.spent) == (Decimal("42530000"), Decimal("34024000"))
    rows = {row.name: row for row in draft.indicators}
    assert rows["新认定国家科技型中小企业"].actual_raw == "180家"
    assert rows["新认定国家科技型中小企业"].deviation_reason == "认定批次推迟"  # the counted report's note
    assert rows["区内企业满意度"].source.startswith("部门整体进度填报 #")
    with pytest.raises(ValidationFailed, match="已有未提交的第1次"):
        dept_eval.create_draft(session, record, "clerk", TODAY)

    with pytest.raises(FormInvalid) as refused:  # outside the band: nothing changes
        dept_eval.update_draft(session, draft, EvaluationEdit(indicators={
            rows["区内机器人企业创新能力"].id: IndicatorEdit(score="25")}), "clerk")
    assert "时得分应在 [18, 24) 之间，当前为 25" in refused.value.fields[f"score_{rows['区内机器人企业创新能力'].id}"]
    dept_eval.update_draft(session, draft, EvaluationEdit(goal_actual="全年新增高新技术企业30家。", indicators={
        rows["新认定国家科技型中小企业"].id: IndicatorEdit(actual="240"),
        rows["区内机器人企业创新能力"].id: IndicatorEdit(score="20", deviation_reason="创新平台建设滞后，下年加强")}),
        "clerk")
    assert rows["新认定国家科技型中小企业"].score == Decimal("16.6700")
    assert rows["区内机器人企业创新能力"].score == Decimal("20.0000")
    assert draft.total == Decimal("87.7222") and draft.grade == "良"

    with pytest.raises(FormInvalid) as warned:  # 机器人产业企业满意度 below its 分值 without a reason
        dept_eval.freeze(session, draft, "clerk")
    assert "请修改后再提交，或填写仍要提交的理由" in warned.value.fields["warnings_reason"]
    dept_eval.freeze(session, draft, "clerk", reason="满意度调查样本小，已说明")
    assert draft.frozen and draft.frozen_by == "clerk"
    with pytest.raises(EvaluationFrozen):
        dept_eval.update_draft(session, draft, EvaluationEdit(goal_actual="改"), "clerk")

    # later data change nothing printed: the frozen copy is what the 自评表 and the report show
    department.add_progress(session, department.indicators_of(session, record)[5], reported_on=date(2023, 12, 31),
                            actor="t", raw="99")
    session.expire_all()
    form = dept_eval.printable(session, record)
    assert (form.number, form.total, form.grade, form.goal_actual) == (1, Decimal("87.7222"), "良",
                                                                       "全年新增高新技术企业30家。")
    cells = [tuple(r) for r in load_workbook(BytesIO(department_self_eval_workbook.build(form))).active.iter_rows(
        values_only=True)]
    assert cells[6][5] == "全年新增高新技术企业30家。"
    assert cells[9][1:9] == ("产出指标", "数量指标", "新认定国家科技型中小企业", "240家", "240", 16.67, 16.67,
                             "认定批次推迟")
    assert cells[14][6:9] == (100, 87.72, "自评等级：良") and cells[-1][0] == "第1次部门整体自评，由clerk提交。"
    report = self_eval_form(session, 2023, record.unit_id, TODAY)
    assert (report.department_total, report.department_grade) == (Decimal("87.7222"), "良")

    second = dept_eval.create_draft(session, record, "clerk", TODAY)  # a new attempt keeps the texts
    again = {row.name: row for row in second.indicators}
    assert second.number == 2 and second.goal_actual == "全年新增高新技术企业30家。"
    assert again["区内机器人企业创新能力"].deviation_reason == "创新平台建设滞后，下年加强"
    assert again["机器人产业企业满意度"].actual_raw == "99%"  # the current data
    assert dept_eval.printable(session, record).number == 1  # the draft is not printed


def test_without_a_frozen_evaluation_the_current_figures_are_printed(session: Session) -> None:
    record = _reported(session)
    form = dept_eval.printable(session, record)
    assert form.number is None and round_score(form.total) == Decimal("87.54")
    cells = [tuple(r) for r in load_workbook(BytesIO(department_self_eval_workbook.build(form))).active.iter_rows(
        values_only=True)]
    assert cells[-1][0] == "尚未提交部门整体自评：以上按当前数据计算，提交后以提交时的内容为准。"


def test_two_creates_or_freezes_at_once_make_one_draft_and_freeze_it_once(fresh_database_url: str,  # type: ignore[no-untyped-def]
                                                                          monkeypatch) -> None:
    """A double click on 创建 / 提交并冻结 (two requests at once, real threads, committed SQLite
    file and PostgreSQL schema): each waits (up to 3 s) for the other after reading what exists;
    with the department year's row lock the second reads after the first committed, so it is
    refused in Chinese (已有未提交的草稿 / 已提交冻结) — not a unique-key failure, not a second
    freeze re-scoring a frozen attempt."""
    import threading

    from tests.services.test_ledger_concurrency import in_threads
    from tracker import migration
    from tracker.db import Database
    from tracker.errors import TrackerError
    from tracker.models import DepartmentEvaluation

    db = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, db.engine)
    with db.session() as session:
        record_id = _reported(session).id
        session.commit()
    barrier = threading.Barrier(2)

    def waiting(real):  # type: ignore[no-untyped-def]
        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            try:
                barrier.wait(timeout=3)
            except threading.BrokenBarrierError:
                pass
            return real(*args, **kwargs)
        return wrapped

    refusals: list[str] = []

    def attempt(step) -> int:  # type: ignore[no-untyped-def]
        with db.session(write=True) as session:
            try:
                step(session, session.get(DepartmentYear, record_id))
                session.commit()
                return 0
            except TrackerError as error:
                session.rollback()
                refusals.append(str(error))
                return 1

    from tracker.models import DepartmentYear

    monkeypatch.setattr(dept_eval, "_build", waiting(dept_eval._build))
    create = lambda session, record: dept_eval.create_draft(session, record, "clerk", TODAY)  # noqa: E731
    assert sorted(in_threads(lambda: attempt(create), lambda: attempt(create))) == [0, 1]
    assert refusals == ["已有未提交的第1次部门整体自评草稿，请继续编辑或提交后再新建"]

    refusals.clear()
    barrier.reset()
    monkeypatch.setattr(dept_eval, "_refresh_money", waiting(dept_eval._refresh_money))
    freeze = lambda session, record: dept_eval.freeze(  # noqa: E731
        session, dept_eval.evaluation_by_number(session, record, 1), "clerk", reason="已说明")
    assert sorted(in_threads(lambda: attempt(freeze), lambda: attempt(freeze))) == [0, 1]
    assert len(refusals) == 1 and "已由clerk提交冻结，不能再修改" in refusals[0]
    with db.session() as session:
        (only,) = session.scalars(select(DepartmentEvaluation)).all()
        assert only.frozen and only.number == 1
    db.dispose()
