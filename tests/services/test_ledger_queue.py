"""The unmatched queue in groups (issue #22): the whole queue's rows and amount, one group per
text that names the project (项目 / 辅助核算, or the 摘要 with its numbers set aside), one decision
assigning a whole group and saved as a rule, the preview's fuzzy suggestions carried, pages,
and an empty assignment refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.services.test_ledger_import import import_ledger, load_seed
from tracker.errors import ValidationFailed
from tracker.models import LedgerRow, MatchRule, Project
from tracker.services.ledger_queue import (
    PROJECT_TEXT,
    SUMMARY_PATTERN,
    assign,
    assign_group,
    grouped,
    summary_pattern,
)
from tracker.services.spending import spent_through

HEAD = "业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"


def ledger_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    """(date, 项目名称, 摘要, amount) rows of the 石嘴山 unit."""
    lines = [f"{d},{i:04d},205001-石嘴山市科学技术局,{name},{summary},\"{amount}\""
             for i, (d, name, summary, amount) in enumerate(rows, 1)]
    return ("\ufeff" + HEAD + "\n".join(lines) + "\n").encode("utf-8")


QUEUE = [("2025-03-01", "专项业务经费（二期）", "差旅费", "1,000.00"),
         ("2025-03-02", "专项业务经费（二期）", "会议费", "2,000.00"),
         ("2025-03-03", "专项业务经费（二期）", "印刷费", "3,000.00"),
         ("2025-03-04", "", "付3月电费", "50.00"),
         ("2025-04-04", "", "付 4 月电费", "60.00"),
         ("2025-03-05", "", "", "7.00")]


@pytest.fixture()
def queue(session: Session) -> Project:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    result = import_ledger(session, "q.csv", ledger_csv(QUEUE), period="2025-03-01..2025-04-30")
    assert result.preview.unmatched_rows == 6
    return session.scalar(select(Project).where(Project.name == "专项业务经费"))


def test_summary_pattern_sets_numbers_aside() -> None:
    assert summary_pattern("付3月电费") == summary_pattern("付 12 月电费") == "付#月电费"
    assert summary_pattern("付３月电费") == "付#月电费"  # full-width digits too
    assert summary_pattern(None) == ""


def test_the_queue_is_counted_whole_and_grouped_by_the_text_naming_the_project(session: Session, queue: Project) -> None:
    page = grouped(session)
    assert (page.rows, page.amount, page.group_count) == (6, Decimal("6117.00"), 3)
    first, second, third = page.groups
    assert (first.kind, first.text, first.rows, first.amount) == (PROJECT_TEXT, "专项业务经费（二期）", 3,
                                                                  Decimal("6000.00"))
    assert (first.first_date, first.last_date) == (date(2025, 3, 1), date(2025, 3, 3))
    assert (second.kind, second.text, second.rows, second.amount) == (SUMMARY_PATTERN, "付#月电费", 2,
                                                                      Decimal("110.00"))
    assert second.rule_keyword == "月电费"
    assert (third.kind, third.rows) == ("none", 1)
    # the preview's fuzzy suggestion travels with the group (offered, not applied)
    assert first.suggestions and first.suggestions[0][1] == queue.id
    assert session.scalar(select(LedgerRow.project_id).where(LedgerRow.summary == "差旅费")) is None


def test_the_groups_are_paged(session: Session, queue: Project) -> None:
    pages = [grouped(session, page=n, per_page=2) for n in (1, 2, 9)]
    assert [p.pages for p in pages] == [2, 2, 2]
    assert [g.rows for g in pages[0].groups] == [3, 2] and [g.rows for g in pages[1].groups] == [1]
    assert pages[2].page == 2  # a page past the end shows the last
    assert all(p.rows == 6 for p in pages)  # the totals are of the whole queue


def test_one_decision_assigns_a_project_text_group_and_its_rule_matches_the_next_export(session: Session, queue: Project) -> None:
    count, rule, elsewhere = assign_group(session, queue.unit_id, PROJECT_TEXT, "专项业务经费（二期）", queue.id, "test",
                               save_rule=True)
    assert (count, elsewhere) == (3, 0) and rule is not None and rule.project_text == "专项业务经费（二期）"
    assert spent_through(session, date(2025, 4, 30)) == {queue.id: Decimal("6000.00")}
    assert grouped(session).rows == 3
    later = import_ledger(session, "r.csv", ledger_csv([("2025-05-06", "专项业务经费（二期）", "租车", "400.00")]),
                          period="2025-05-01..2025-05-31")
    assert later.preview.unmatched_rows == 0
    assert spent_through(session, date(2025, 5, 31))[queue.id] == Decimal("6400.00")


def test_a_summary_group_saves_a_keyword_rule(session: Session, queue: Project) -> None:
    count, rule, _ = assign_group(session, queue.unit_id, SUMMARY_PATTERN, "付#月电费", queue.id, "test",
                               save_rule=True)
    assert count == 2 and rule.summary_keyword == "月电费" and rule.project_text is None
    methods = session.scalars(select(LedgerRow.match_method).where(LedgerRow.project_id == queue.id)).all()
    assert sorted(methods) == ["manual", "manual"]
    later = import_ledger(session, "s.csv", ledger_csv([("2025-05-06", "", "付5月电费", "70.00")]),
                          period="2025-05-01..2025-05-31")
    assert later.preview.unmatched_rows == 0


def test_a_rule_saved_from_rows_takes_the_rest_of_the_queue(session: Session, queue: Project) -> None:
    row = session.scalar(select(LedgerRow).where(LedgerRow.summary == "付3月电费"))
    count, rule = assign(session, [row.id], queue.id, "test", rule_keyword="电费")
    assert count == 2 and rule is not None
    assert session.scalar(select(LedgerRow.match_method).where(LedgerRow.summary == "付 4 月电费")) == "rule"


def test_an_empty_assignment_is_refused(session: Session, queue: Project) -> None:
    with pytest.raises(ValidationFailed, match="没有选择任何行"):
        assign(session, [], queue.id, "test")
    with pytest.raises(ValidationFailed, match="这一组已没有待匹配的行"):
        assign_group(session, queue.unit_id, PROJECT_TEXT, "没有这一组", queue.id, "test")
    with pytest.raises(ValidationFailed, match="不能保存为规则"):
        assign_group(session, queue.unit_id, "none", "", queue.id, "test", save_rule=True)
    assert grouped(session).rows == 6
    assert session.scalar(select(MatchRule)) is None


def test_a_group_rule_says_how_many_rows_of_other_groups_it_took(session: Session, queue: Project) -> None:
    count, rule, elsewhere = assign_group(session, queue.unit_id, SUMMARY_PATTERN, "付#月电费", queue.id, "test",
                                          save_rule=True, rule_keyword="费")
    # 付#月电费 (2 rows) and, by the keyword 费, the three rows of 专项业务经费（二期）: 差旅费, 会议费, 印刷费
    assert (count, elsewhere) == (5, 3) and rule.summary_keyword == "费"
    assert grouped(session).rows == 1


def test_two_clerks_assigning_one_group_at_once_assign_it_once(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two real threads, each with its own session on a committed SQLite file or PostgreSQL
    schema, assign the same group to two projects at the same moment; the unit's lock is held a
    while by whoever takes it first, so without it both would read the group.  The group goes
    to one project, and the other clerk is told it is gone."""
    import threading
    import time

    from tracker import migration
    from tracker.db import Database
    from tracker.services import ledger_queue

    db = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, db.engine)
    with db.session() as session:
        load_seed(session, "004_543d86f9f0ad9464.txt")
        import_ledger(session, "q.csv", ledger_csv(QUEUE), period="2025-03-01..2025-04-30")
        session.commit()
        unit_id, first = session.execute(select(Project.unit_id, Project.id).where(
            Project.name == "专项业务经费")).one()
        second = session.scalar(select(Project.id).where(Project.name == "中央引导地方科技发展资金"))
    real_lock = ledger_queue.lock_unit

    def slow_lock(*args, **kwargs):  # type: ignore[no-untyped-def]
        waited = real_lock(*args, **kwargs)
        time.sleep(0.5)
        return waited

    monkeypatch.setattr(ledger_queue, "lock_unit", slow_lock)
    barrier = threading.Barrier(2, timeout=30)
    results: dict[int, object] = {}

    def clerk(project_id: int) -> None:
        with db.session() as session:
            barrier.wait()
            try:
                count, _rule, _ = assign_group(session, unit_id, PROJECT_TEXT, "专项业务经费（二期）", project_id, "t")
                session.commit()
                results[project_id] = count
            except ValidationFailed as error:
                session.rollback()
                results[project_id] = str(error)

    threads = [threading.Thread(target=clerk, args=(pid,)) for pid in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert sorted(map(str, results.values())) == ["3", "这一组已没有待匹配的行（可能已被分配、撤销或替换），请刷新后重试"]
    winner = next(pid for pid, r in results.items() if r == 3)
    with db.session() as session:
        owners = session.scalars(select(LedgerRow.project_id).where(LedgerRow.summary.in_(("差旅费", "会议费", "印刷费")))).all()
        assert owners == [winner] * 3
        assert spent_through(session, date(2025, 4, 30)) == {winner: Decimal("6000.00")}
    db.dispose()


def test_assigning_a_group_with_a_rule_reads_the_queue_once(session: Session, queue: Project) -> None:
    """The group and the rows its new rule takes come from one read of the unit's queue."""
    from sqlalchemy import event

    reads: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "ledger_row.project_id IS NULL" in statement:
            reads.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        count, _rule, elsewhere = assign_group(session, queue.unit_id, SUMMARY_PATTERN, "付#月电费", queue.id,
                                               "test", save_rule=True, rule_keyword="费")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert (count, elsewhere) == (5, 3)
    assert len(reads) == 1
