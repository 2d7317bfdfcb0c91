"""导出 Excel: ``?format=xlsx`` on a table's own page, with the page's filters and access rules."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote

import openpyxl
from sqlalchemy import select

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.models import LedgerRow, Role
from tracker.services import audit
from tracker.web.downloads import XLSX_MIMETYPE


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX_MIMETYPE
    return openpyxl.load_workbook(io.BytesIO(response.data)).active


def test_project_list_export_is_the_users_table(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    mine, other = make_unit(session, "甲单位"), make_unit(session, "乙单位")
    make_project(session, mine, name="=HYPERLINK(\"http://evil\")", budget="1234567.89")
    make_project(session, mine, name="普通项目")
    make_project(session, other, name="外单位项目")
    make_project(session, mine, name="往年项目", year=2024)
    session.commit()
    logged_in(Role.unit_staff, units=[mine])
    page = client.get("/projects?year=2025").get_data(as_text=True)
    assert "/projects?year=2025&amp;format=xlsx" in page and "导出 Excel" in page
    response = client.get("/projects?year=2025&format=xlsx")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="projects-2025.xlsx"; ')
    assert f"filename*=UTF-8''{quote('项目列表-2025.xlsx')}" in disposition
    rows = list(_sheet(response).iter_rows(values_only=True))
    assert rows[0][:3] == ("单位", "项目编码", "项目名称")
    assert len(rows) - 1 == 2  # the unit's two 2025 projects: not the other unit's, not 2024
    names = {r[2]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in names  # text, never a formula
    assert names["'=HYPERLINK(\"http://evil\")"][4] == 1234567.89


def test_ledger_export_has_every_filtered_row_not_one_page(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project = make_project(session, unit)
    rows = [(project, f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}", f"{100 + n}.01") for n in range(130)]
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), rows)
    session.commit()
    logged_in(Role.leader)
    as_of = "2025-06-30"
    expected = [r for r in rows if r[1] <= as_of]
    assert len(expected) > 60
    sheet = _sheet(client.get(f"/projects/{project.id}/ledger?as_of={as_of}&format=xlsx"))
    assert sheet.max_row - 1 == len(expected)
    total = sum(Decimal(r[2]) for r in expected)
    assert Decimal(str(round(sum(c.value for c in sheet["F"][1:]), 2))) == total
    assert isinstance(sheet["A2"].value, datetime) and sheet["F2"].number_format == "#,##0.00"
    everything = _sheet(client.get(f"/projects/{project.id}/ledger?format=xlsx&page=2"))
    assert everything.max_row - 1 == 130  # more than the page size of 100, and page is ignored


def test_export_follows_the_page_access_rules(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    mine, other = make_unit(session), make_unit(session)
    foreign = make_project(session, other)
    session.commit()
    logged_in(Role.unit_staff, units=[mine])
    assert client.get(f"/projects/{foreign.id}/ledger?format=xlsx").status_code == 404
    assert client.get("/audit?format=xlsx").status_code == 403
    assert client.get("/ledger/batches?format=xlsx").status_code == 403


def test_audit_log_export_respects_the_filters(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        audit.record(session, "甲", "import", "ledger_batch", n, file="-2+3")
    audit.record(session, "乙", "login", "app_user", 1)
    session.commit()
    logged_in(Role.auditor)
    page = client.get("/audit?action=import").get_data(as_text=True)
    assert "/audit?action=import&amp;format=xlsx" in page
    sheet = _sheet(client.get("/audit?action=import&format=xlsx"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "操作", "对象", "编号", "详情")
    assert len(rows) - 1 == 3 and {r[1] for r in rows[1:]} == {"甲"}
    assert rows[1][5] == '{"file": "-2+3"}' and isinstance(rows[1][0], datetime)


def test_monitoring_overview_and_quality_exports(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    for n in range(3):
        make_project(session, unit, plan={"06-30": "50", "12-31": "100"})
    session.commit()
    logged_in(Role.leader)
    sheet = _sheet(client.get("/monitoring?as_of=2025-06-30&format=xlsx"))
    assert sheet.max_row - 1 == 3 and sheet["D2"].value == 1000000
    assert _sheet(client.get("/monitoring?as_of=2025-06-30&status=red&format=xlsx")).max_row - 1 == 0
    assert _sheet(client.get("/projects/quality?year=2025&format=xlsx")).max_row - 1 == 3
    assert _sheet(client.get("/alerts?format=xlsx")).max_row == 1  # header only


def test_batch_list_and_unmatched_queue_exports(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "丁单位")
    project = make_project(session, unit)
    batch = add_ledger(session, unit, ("2025-01-01", "2025-03-31"),
                       [(project, "2025-01-05", "10.00"), (project, "2025-02-05", "20.00")])
    first = session.scalars(select(LedgerRow).where(LedgerRow.batch_id == batch.id)
                            .order_by(LedgerRow.id)).first()
    first.project_id = None  # now in the unmatched queue
    session.commit()
    logged_in(Role.finance)
    sheet = _sheet(client.get("/ledger/batches?format=xlsx"))
    assert sheet.max_row - 1 == 1 and sheet["A2"].value == batch.id and sheet["C2"].value.endswith("丁单位")
    sheet = _sheet(client.get("/ledger/unmatched?format=xlsx"))
    assert sheet.max_row - 1 == 1 and sheet["K2"].value == 10.0
