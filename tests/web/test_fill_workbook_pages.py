"""填报表 pages: download, upload, preview, confirm — and who may do each."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.services.test_progress_workbook import GOOD_INDICATORS, department, fill
from tracker.models import ProgressReport, Role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reports(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(ProgressReport))


def _download(client, unit_id: int):  # type: ignore[no-untyped-def]
    return client.get(f"/monitoring/fill/download?unit={unit_id}&as_of=2025-06-30")


def _upload(client, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/monitoring/fill/preview", data={
        "csrf_token": csrf_token(client, "/monitoring/fill"), "file": (io.BytesIO(data), "填报表.xlsx")},
        content_type="multipart/form-data")


def test_unit_staff_download_fill_preview_and_confirm(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, red, _ = department(session, "科技局")
    session.commit()
    logged_in(Role.unit_staff, [unit])
    page = client.get("/monitoring/fill").get_data(as_text=True)
    assert "下载填报表" in page and "上传填报表" in page and unit.name in page
    downloaded = _download(client, unit.id)
    assert downloaded.status_code == 200 and downloaded.mimetype == XLSX
    assert load_workbook(io.BytesIO(downloaded.data))["指标填报"]["E3"].value == "支持企业数"
    preview = _upload(client, fill(downloaded.data, GOOD_INDICATORS))
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "确认保存" in text and "尚未保存任何内容" in text
    assert "支持企业数" in text and "（未填报）" in text and _reports(session) == 0
    token = re.search(r'name="token" value="([0-9a-f]+)"', text)[1]  # type: ignore[index]
    done = client.post("/monitoring/fill/confirm", data={
        "csrf_token": csrf_token(client, "/monitoring/fill"), "token": token})
    assert done.status_code == 302 and _reports(session) == 5
    history = client.get(f"/projects/{red.id}/monitoring?as_of=2025-06-30").get_data(as_text=True)
    assert re.search(r"填报记录：2025-06-30 [^（]*（unit_staff\d+：问卷中）", history)  # the web's own history
    again = _upload(client, fill(downloaded.data, GOOD_INDICATORS)).get_data(as_text=True)
    assert "没有需要保存的改动" in again and "另有 5 项与已填报的相同" in again


def test_a_refused_workbook_shows_where_and_why_and_cannot_be_confirmed(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")
    session.commit()
    logged_in(Role.finance)
    data = fill(_download(client, unit.id).data, {**GOOD_INDICATORS, "验收合格率": {"本次完成值": "5家"}})
    preview = _upload(client, data)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 422 and "确认保存" not in text
    assert re.search(r"<td>指标填报</td><td>4</td><td>本次完成值</td><td>当前完成值单位“家”与年度指标值单位“%”不一致", text)
    assert "Traceback" not in text and _reports(session) == 0


def test_unit_staff_cannot_fill_another_units_workbook(client, logged_in, make_user, session) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")
    other, _, _ = department(session, "教育局")
    session.commit()
    logged_in(Role.unit_staff, [unit])
    assert _download(client, other.id).status_code == 302  # not offered: not one of the user's units
    logged_in(Role.finance)
    foreign = fill(_download(client, other.id).data, GOOD_INDICATORS)
    logged_in(Role.unit_staff, [unit])
    text = _upload(client, foreign).get_data(as_text=True)
    assert "不能为“教育局”上传填报表" in text and _reports(session) == 0
    logged_in(Role.leader)
    assert _upload(client, foreign).status_code == 403
    assert "下载填报表" in client.get("/monitoring?as_of=2025-06-30").get_data(as_text=True)


def test_the_project_page_offers_that_projects_workbook(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, red, green = department(session, "科技局")
    session.commit()
    logged_in(Role.unit_staff, [unit])
    page = client.get(f"/projects/{green.id}/monitoring?as_of=2025-06-30").get_data(as_text=True)
    link = re.search(r'href="(/monitoring/fill/download\?[^"]+)"[^>]*>下载填报表', page)
    assert link and "上传填报表" in page
    book = load_workbook(io.BytesIO(client.get(link[1].replace("&amp;", "&")).data))
    assert [r[4] for r in book["指标填报"].iter_rows(min_row=3, values_only=True)] == ["培训人次"]
    assert [r[1] for r in book["偏差说明"].iter_rows(min_row=3, values_only=True)] == [green.name]


def test_self_eval_workbook_from_the_evaluations_page(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    from tests.services.test_progress_workbook import SELF_EVAL_VALUES, fill_self_eval, year_end_department

    unit, project, draft = year_end_department(session, "科技局")
    session.commit()
    logged_in(Role.unit_staff, [unit])
    page = client.get("/evaluations?year=2025").get_data(as_text=True)
    assert "kind=self-eval" in page and "下载填报表" in page
    downloaded = client.get(f"/monitoring/fill/download?kind=self-eval&unit={unit.id}&as_of=2025-12-31")
    assert downloaded.status_code == 200
    preview = _upload(client, fill_self_eval(downloaded.data, SELF_EVAL_VALUES)).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview)[1]  # type: ignore[index]
    done = client.post("/monitoring/fill/confirm", data={
        "csrf_token": csrf_token(client, "/monitoring/fill"), "token": token})
    assert done.status_code == 302 and "/evaluations" in done.headers["Location"]
    session.refresh(draft)
    assert [r.actual for r in draft.indicators[:2]] == [8, 92]


def test_hostile_files_are_refused_by_name_and_deleted_at_once(client, logged_in, session,  # type: ignore[no-untyped-def]
                                                               instance_path: str) -> None:
    from pathlib import Path

    from tests.importers import hostile_fixtures as hf

    root = Path(instance_path) / "uploads"
    before = {p.name for p in root.iterdir()} if root.is_dir() else set()
    many_rows = hf.workbook(hf.SHEET_START + "".join(
        f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(1, 20_002)) + hf.SHEET_END)
    logged_in(Role.finance)
    for name, data, reason in (("炸弹.xlsx", hf.sheet_bomb(30), "压缩比超过 100 倍的上限"),
                               ("行多.xlsx", many_rows, "超过填报表 20,000 行的上限"),
                               ("扫描.xlsx", b"%PDF-1.7 ...", "不"),
                               ("别的.xlsx", hf.workbook(hf.SHEET_START + hf.SHEET_END), "不是本系统下载的填报表")):
        response = _upload(client, data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and reason in html and "整个文件" in html, (name, html[:800])
        assert "Traceback" not in html and "确认保存" not in html
        assert ({p.name for p in root.iterdir()} if root.is_dir() else set()) == before, name
    assert _reports(session) == 0
