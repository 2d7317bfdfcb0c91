"""台账对账 in the browser (issue #16): the table with the difference highlighted and first,
the drill-down to both sources' rows, the xlsx exports, and the switch of counting source."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.importers import ledger_fixtures as fx
from tests.services.test_reconcile import BY_TREASURY, import_ledger, import_treasury, spent
from tracker.models import AuditEntry, Project, Role, Unit


def _setup(session) -> Unit:  # type: ignore[no-untyped-def]
    unit = Unit(code="604002", name="高新区科技局")
    session.add(unit)
    session.flush()
    for code, name in (fx.P1, fx.P2, fx.P3):
        session.add(Project(unit_id=unit.id, year=2025, code=code, name=name, natural_key=code,
                            initial_budget=Decimal("5000000"), annual_budget=Decimal("5000000")))
    session.flush()
    import_ledger(session)
    import_treasury(session)
    session.commit()
    return unit


def _unit_id(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(Unit.id).where(Unit.name == "高新区科技局"))


def test_the_page_shows_both_sources_flagged_first(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    logged_in(Role.leader)
    page = client.get("/ledger/reconcile").get_data(as_text=True)
    assert "2025-06-30" in page and "各来源台账都已覆盖到的最晚日期" in page  # the default date, and why
    body = page[page.index("<tbody>"):]
    assert body.index(fx.P3[1]) < body.index(fx.P1[1]) < body.index(fx.P2[1])
    p3_row = re.search(r'<tr class="flagged">.*?' + re.escape(fx.P3[1]) + r'.*?</tr>', body, re.S).group(0)
    assert "576,550.00" in p3_row and "-576,550.00" in p3_row
    assert not re.search(r'<tr class="flagged">[^\n]*' + re.escape(fx.P2[1]), body)
    assert "改选" not in page  # a leader reads, finance chooses
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/ledger/reconcile?format=xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("单位", "项目编码", "项目名称", "账面数（元）", "国库已支付数（元）", "差额（元，账面−国库）")
    assert rows[1][1:6] == (fx.P3[0], fx.P3[1], 0, 576550, -576550)


def test_drill_down_lists_the_rows_of_both_sources(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    logged_in(Role.finance)
    page = client.get("/ledger/reconcile?as_of=2025-06-30").get_data(as_text=True)
    p1 = session.scalar(select(Project.id).where(Project.code == fx.P1[0]))
    assert f"/ledger/reconcile/rows?unit={_unit_id(session)}&amp;project={p1}&amp;as_of=2025-06-30" in page
    detail = client.get(f"/ledger/reconcile/rows?project={p1}&as_of=2025-06-30").get_data(as_text=True)
    assert "财务明细账" in detail and "国库集中支付" in detail and "-500,000.00" in detail
    assert "2025-03" in detail and "2025-06" in detail
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/ledger/reconcile/rows?project={p1}&as_of=2025-06-30&format=xlsx").data))
    assert book.sheetnames == ["按月", "两来源明细"]
    sources = sorted((r[0], r[7]) for r in book["两来源明细"].iter_rows(min_row=2, values_only=True))
    assert sources == [("国库集中支付", 1178000), ("财务明细账", -500000), ("财务明细账", 1178000)]


def test_finance_switches_the_counting_source_from_the_page(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = _setup(session)
    user = logged_in(Role.finance)
    page = client.get("/ledger/reconcile").get_data(as_text=True)
    assert "改选" in page
    done = client.post("/ledger/reconcile/counting-source", data={
        "csrf_token": csrf_token(client, "/ledger/reconcile"), "unit_id": str(unit.id), "source": "国库集中支付"},
        follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "支出口径已由“财务明细账”改为“国库集中支付”" in html
    assert spent(session, date(2025, 6, 30)) == BY_TREASURY
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "counting_source")).actor == user.username
    again = client.post("/ledger/reconcile/counting-source", data={
        "csrf_token": csrf_token(client, "/ledger/reconcile"), "unit_id": str(unit.id), "source": "国库集中支付"},
        follow_redirects=True).get_data(as_text=True)
    assert "未改动" in again and "已以“国库集中支付”为支出口径" in again


def test_no_unit_with_two_sources_names_what_is_missing(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.finance)
    page = client.get("/ledger/reconcile?as_of=2025-6-x").get_data(as_text=True)
    assert "还没有单位同时导入了两个来源" in page and "/ledger/import" in page
    assert "日期“2025-6-x”无法识别" in page


def test_the_admin_sets_the_threshold_and_the_page_follows_it(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _setup(session)
    logged_in(Role.admin)
    token = csrf_token(client, "/ledger/reconcile")
    bad = client.post("/ledger/reconcile/threshold", data={"csrf_token": token, "reconcile_threshold": "-1"},
                      follow_redirects=True).get_data(as_text=True)
    assert "未保存：对账差异阈值不能为负数" in bad
    done = client.post("/ledger/reconcile/threshold", data={"csrf_token": token, "reconcile_threshold": "500000"},
                       follow_redirects=True).get_data(as_text=True)
    assert "对账差异阈值已设为 500000 元" in done
    body = done[done.index("<tbody>"):]
    flagged = re.findall(r'<tr class="flagged">.*?</tr>', body, re.S)
    assert len(flagged) == 1 and fx.P3[1] in flagged[0]  # P1's 500,000.00 is not above 500,000
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity == "setting"))
    assert entry.details["changes"] == {"reconcile_threshold": ["0.01", "500000"]}
