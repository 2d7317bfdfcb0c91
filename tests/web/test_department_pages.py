"""部门整体绩效 pages: indicators with findings, progress by unit staff, corrections by finance."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import post_form
from tests.services.test_department import import_seed, year_of
from tracker.models import DepartmentProgress, Unit


def test_finance_sees_findings_and_corrects_unit_staff_reports(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    import_seed(session, "002")
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    logged_in("finance")
    listing = client.get("/departments").get_data(as_text=True)
    assert f"/departments/{record.id}" in listing and "高新区科技局" in listing
    page = client.get(f"/departments/{record.id}").get_data(as_text=True)
    for text in ("高新技术企业新增", "25家以上", "“明显提高”是模糊表述", "2023年度高新技术企业新增25家以上",
                 "下载部门整体支出绩效自评表", "更正指标"):
        assert text in page, text
    assert "填报完成值" not in page  # finance corrects, unit staff reports
    refused = post_form(client, f"/departments/{record.id}/indicators/5/correct",
                        {"target": "≥10项", "reason": ""}, token_from="/departments")
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "未保存（第5个指标）：请填写更正原因" in body and 'value="≥10项"' in body
    done = post_form(client, f"/departments/{record.id}/indicators/5/correct",
                     {"target": "≥10项", "name": "机器人企业新增专利", "reason": "按财政批复补充"},
                     token_from="/departments", follow_redirects=True)
    assert done.status_code == 200 and "已更正" in done.get_data(as_text=True)
    session.expire_all()
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    logged_in("unit_staff", units=[unit])
    page = client.get(f"/departments/{record.id}").get_data(as_text=True)
    assert "填报完成值" in page and "更正指标" not in page and "已更正" in page
    bad = post_form(client, f"/departments/{record.id}/indicators/1/progress",
                    {"reported_on": "2023-06-30", "value": "很多"}, token_from="/departments")
    assert bad.status_code == 400 and "应为数字" in bad.get_data(as_text=True)
    ok = post_form(client, f"/departments/{record.id}/indicators/5/progress",
                   {"reported_on": "2023-06-30", "value": "6"}, token_from="/departments", follow_redirects=True)
    assert ok.status_code == 200 and "2023-06-30：6项" in ok.get_data(as_text=True)
    (entry,) = session.scalars(select(DepartmentProgress)).all()
    assert entry.value == Decimal(6)
    download = client.get(f"/departments/{record.id}/self-eval.xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_unit_staff_of_another_unit_gets_404(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    import_seed(session, "002")
    other = Unit(code="X1", name="别的单位")
    session.add(other)
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    logged_in("unit_staff", units=[other])
    assert client.get(f"/departments/{record.id}").status_code == 404
    assert "高新区科技局" not in client.get("/departments").get_data(as_text=True)
