"""The unmatched queue page (issue #22): the whole queue's rows and amount with thousands
separators, groups by the text naming the project with their suggestion, one decision per
group (and its rule), pages, and an empty assignment refused in words."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.services.test_ledger_queue import QUEUE, ledger_csv
from tracker.config import PROJECT_ROOT
from tracker.models import LedgerRow, MatchRule, Project, Role


def _load(runner, tmp_path, rows=QUEUE) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    path = tmp_path / "queue.csv"
    path.write_bytes(ledger_csv(rows))
    assert runner("import", "ledger", str(path), "--period", "2025-03-01..2025-04-30").exit_code == 0


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_the_queue_page_counts_groups_and_suggests(client, logged_in, runner, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _load(runner, tmp_path)
    logged_in(Role.finance)
    page = _text(client.get("/ledger/unmatched").get_data(as_text=True))
    assert "共 6 行，合计 6,117.00 元，按项目名称 / 辅助核算（没有时按摘要）分为 3 组" in page
    assert "项目/辅助核算 专项业务经费（二期）" in page and "3 行，6,000.00 元，2025-03-01 至 2025-03-03" in page
    assert "摘要 付#月电费" in page and "2 行，110.00 元" in page
    assert "可能的项目（仅供参考，需您选择）：专项业务经费（相似度" in page
    assert "分配整组 3 行" in page


def test_one_decision_assigns_a_group_and_saves_its_rule(client, logged_in, runner, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _load(runner, tmp_path)
    logged_in(Role.finance)
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    done = client.post("/ledger/unmatched/assign", data={
        "csrf_token": csrf_token(client, "/ledger/unmatched"), "scope": "group", "page": "1",
        "unit_id": str(project.unit_id), "kind": "project", "text": "专项业务经费（二期）",
        "project_id": str(project.id), "save_rule": "1"}, follow_redirects=True)
    page = _text(done.get_data(as_text=True))
    assert "已分配 3 行，并保存为规则。" in page
    assert "共 3 行，合计 117.00 元" in page
    assert session.scalar(select(MatchRule.project_text)) == "专项业务经费（二期）"
    assert session.scalar(select(func.count()).where(LedgerRow.project_id == project.id)) == 3


def test_an_empty_assignment_is_refused(client, logged_in, runner, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _load(runner, tmp_path)
    logged_in(Role.finance)
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    token = csrf_token(client, "/ledger/unmatched")
    nothing = _text(client.post("/ledger/unmatched/assign", data={
        "csrf_token": token, "scope": "rows", "project_id": str(project.id)},
        follow_redirects=True).get_data(as_text=True))
    assert "未分配：没有选择任何行" in nothing and "已分配 0 行" not in nothing
    no_project = _text(client.post("/ledger/unmatched/assign", data={
        "csrf_token": token, "scope": "group", "unit_id": str(project.unit_id), "kind": "summary",
        "text": "付#月电费", "project_id": ""}, follow_redirects=True).get_data(as_text=True))
    assert "未分配：请选择项目。" in no_project
    assert session.scalar(select(func.count()).where(LedgerRow.project_id.is_(None))) == 6


def test_the_groups_are_paged(client, logged_in, runner, session, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rows = [("2025-03-01", f"未知项目{i:03d}", "办公费", f"{1000 + i}.00") for i in range(60)]
    _load(runner, tmp_path, rows)
    logged_in(Role.finance)
    first = _text(client.get("/ledger/unmatched").get_data(as_text=True))
    assert "共 60 行，合计 61,770.00 元" in first and "分为 60 组；第 1 / 2 页" in first
    assert "未知项目059" in first and "未知项目009" not in first  # the largest amounts first
    second = _text(client.get("/ledger/unmatched?page=2").get_data(as_text=True))
    assert "第 2 / 2 页" in second and "未知项目009" in second and "未知项目059" not in second


def test_a_rule_that_takes_other_groups_says_so(client, logged_in, runner, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _load(runner, tmp_path)
    logged_in(Role.finance)
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    done = client.post("/ledger/unmatched/assign", data={
        "csrf_token": csrf_token(client, "/ledger/unmatched"), "scope": "group", "page": "1",
        "unit_id": str(project.unit_id), "kind": "summary", "text": "付#月电费", "project_id": str(project.id),
        "save_rule": "1", "rule_keyword": "费"}, follow_redirects=True)
    assert "已分配 5 行（其中 3 行在其他组，也符合新规则），并保存为规则。" in _text(done.get_data(as_text=True))
