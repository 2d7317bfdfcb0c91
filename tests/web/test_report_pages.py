"""报表 page and its downloads: what is missing is listed before generating, the workbooks and
Word reports download with a Chinese file name, unit staff get only their own units."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

import openpyxl

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.models import DeviationExplanation, Evaluation, Role

PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}
D = Decimal


def _department(session):  # type: ignore[no-untyped-def]
    science, finance = make_unit(session, "科技局"), make_unit(session, "财政局")
    lagging = make_project(session, science, plan=PLAN, name="滞后<项目>")
    explained = make_project(session, science, plan=PLAN, name="已说明项目")
    other = make_project(session, finance, plan=PLAN, name="财政项目")
    add_ledger(session, science, ("2025-01-01", "2025-06-30"),
               [(lagging, "2025-03-01", "100000"), (explained, "2025-03-01", "100000")])
    session.add(DeviationExplanation(project_id=explained.id, as_of=date(2025, 6, 30), causes=["funding"],
                                     likelihood="possible", reason="资金晚到", actor="张三"))
    session.add(Evaluation(project_id=explained.id, number=1, year=2025, as_of=date(2025, 12, 31),
                           initial_budget=D("1000000"), annual_budget=D("1000000"), spent=D("900000"),
                           execution_rate=D(90), execution_weight=D(10), execution_score=D(9),
                           total=D("91.0000"), grade="优", created_by="t", frozen_by="t",
                           frozen_at=datetime(2026, 1, 5, tzinfo=UTC)))
    session.add(Evaluation(project_id=lagging.id, number=1, year=2025, as_of=date(2025, 12, 31),
                           initial_budget=D("1000000"), annual_budget=D("1000000"), spent=D("100000"),
                           execution_rate=D(10), execution_weight=D(10), execution_score=D(1),
                           total=D("41.0000"), grade="差", created_by="t"))
    session.commit()
    return science, finance, lagging, other


def test_the_page_lists_what_is_missing_before_generating(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, _finance, lagging, _other = _department(session)
    logged_in(Role.finance)
    page = client.get(f"/reports?year=2025&month=6&unit={science.id}").get_data(as_text=True)
    assert "1 个项目截至 2025-06-30 为红灯或黄灯，但没有偏差说明" in page
    assert "滞后&lt;项目&gt;" in page and "<项目>" not in page
    assert "1 个项目没有已提交的自评" in page and "有草稿" in page
    assert f"/reports/monitoring.xlsx?year=2025&amp;month=6&amp;unit={science.id}" in page
    assert f"/reports/self-eval.xlsx?year=2025&amp;unit={science.id}&amp;drafts=1" in page
    assert "/reports/monitoring.docx" in page and "/reports/self-eval.docx" in page
    assert ">报表</a>" in page  # the navigation link


def test_workbooks_download_with_a_chinese_name(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, *_ = _department(session)
    logged_in(Role.leader)
    response = client.get(f"/reports/monitoring.xlsx?year=2025&month=6&unit={science.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    assert f"filename=\"monitoring-2025-1-6-unit{science.id}.xlsx\"" in disposition
    assert f"filename*=UTF-8''{quote('科技局2025年1-6月绩效监控情况表.xlsx')}" in disposition
    book = openpyxl.load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["汇总", "滞后<项目>", "已说明项目", "数据来源"]
    assert book["汇总"]["K4"].value == "未填写"

    response = client.get(f"/reports/self-eval.xlsx?year=2025&unit={science.id}")
    assert response.status_code == 200
    assert f"filename*=UTF-8''{quote('科技局2025年度项目支出绩效自评表.xlsx')}" in response.headers["Content-Disposition"]
    assert openpyxl.load_workbook(BytesIO(response.data)).sheetnames == ["汇总", "已说明项目", "数据来源"]
    with_drafts = client.get(f"/reports/self-eval.xlsx?year=2025&unit={science.id}&drafts=1")
    assert len(openpyxl.load_workbook(BytesIO(with_drafts.data)).sheetnames) == 4


def test_word_reports_download(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, *_ = _department(session)
    logged_in(Role.auditor)
    for url in (f"/reports/monitoring.docx?year=2025&month=6&unit={science.id}",
                f"/reports/self-eval.docx?year=2025&unit={science.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype.endswith("wordprocessingml.document")
        assert response.data[:2] == b"PK" and "filename*=UTF-8''" in response.headers["Content-Disposition"]


def test_unit_staff_get_only_their_own_units(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, finance, *_ = _department(session)
    logged_in(Role.unit_staff, units=[science])
    for path in ("monitoring.xlsx", "self-eval.xlsx", "monitoring.docx", "self-eval.docx"):
        assert client.get(f"/reports/{path}?year=2025&month=6&unit={finance.id}").status_code == 404
    assert client.get(f"/reports/monitoring.xlsx?year=2025&month=6&unit={science.id}").status_code == 200
    assert client.get("/reports/monitoring.xlsx?year=2025&month=6").status_code == 200  # their only unit
    page = client.get(f"/reports?unit={finance.id}").get_data(as_text=True)
    assert "财政局" not in page and "科技局" in page


def test_downloads_need_a_unit_when_several_are_visible_and_a_visible_year(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, *_ = _department(session)
    logged_in(Role.admin)
    assert client.get("/reports/monitoring.xlsx?year=2025&month=6").status_code == 400
    assert client.get(f"/reports/monitoring.xlsx?year=2025&month=13&unit={science.id}").status_code == 400
    assert client.get(f"/reports/monitoring.xlsx?year=2019&unit={science.id}").status_code == 404
    assert client.get("/reports/self-eval.xlsx?year=2025&unit=999999").status_code == 404
