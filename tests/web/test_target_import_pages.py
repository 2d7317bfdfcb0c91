from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from tests.conftest import csrf_token
from tracker.config import PROJECT_ROOT
from tracker.models import Project, Role

SEED = PROJECT_ROOT / "seeds" / "002_ae7a2bed391112e9.txt"


def _preview(client):  # type: ignore[no-untyped-def]
    with SEED.open("rb") as handle:
        return client.post("/imports/targets/preview", data={
            "csrf_token": csrf_token(client, "/imports/targets"), "year": "",
            "files": (handle, SEED.name)}, content_type="multipart/form-data")


def test_preview_writes_nothing_and_confirm_imports(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.finance)
    preview = _preview(client)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "将新建 <strong>3</strong>" in html and "百川房屋租赁费" in html
    assert "尚未写入任何数据" in html
    assert session.scalar(select(func.count(Project.id))) == 0
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    done = client.post("/imports/targets/confirm", data={
        "csrf_token": csrf_token(client, "/imports/targets"), "token": token, "year": ""},
        follow_redirects=True)
    assert "导入完成：新建 3 个" in done.get_data(as_text=True)
    assert session.scalar(select(func.count(Project.id))) == 3
    project = session.scalar(select(Project).where(Project.name == "百川房屋租赁费"))
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "目标审核发现" in page and "机器人产业扶持资金" in page
    ranking = client.get("/projects/quality").get_data(as_text=True)
    assert "百川房屋租赁费" in ranking


def test_rejected_upload_explains_in_chinese(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.finance)
    response = client.post("/imports/targets/preview", data={
        "csrf_token": csrf_token(client, "/imports/targets"),
        "files": (__import__("io").BytesIO(b"\x00\xff" * 500), "junk.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "文件未导入" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Project.id))) == 0


def test_unit_staff_gets_404_for_another_units_project(client, logged_in, session, runner) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(SEED))
    project = session.scalar(select(Project))
    logged_in(Role.unit_staff, units=[])
    assert client.get(f"/projects/{project.id}").status_code == 404


def _import_through_the_pages(client, name: str, data: bytes):  # type: ignore[no-untyped-def]
    preview = client.post("/imports/targets/preview", data={
        "csrf_token": csrf_token(client, "/imports/targets"), "year": "",
        "files": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.get_data(as_text=True)).group(1)
    return client.post("/imports/targets/confirm", data={
        "csrf_token": csrf_token(client, "/imports/targets"), "token": token, "year": ""},
        follow_redirects=True)


def test_confirming_a_plan_for_a_project_that_had_the_default_plan(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.finance)
    original = PROJECT_ROOT / "seeds" / "000_84b2129734047c8f.txt"
    text = original.read_text(encoding="utf-8")
    without_plan = text.replace("\t25%\n\t50%\n\t75%\n\t100%\n", "\t\n\t\n\t\n\t\n", 1)
    assert without_plan != text
    assert _import_through_the_pages(client, original.name, without_plan.encode()).status_code == 200
    project = session.scalar(select(Project).where(Project.code == "13020225P00892710002C"))
    assert all(point.is_default for point in project.plan_points)
    done = _import_through_the_pages(client, original.name, text.encode())
    assert done.status_code == 200 and "导入完成" in done.get_data(as_text=True)
    session.expire_all()
    assert [p.cumulative_pct for p in project.plan_points] == [25, 50, 75, 100]


def test_confirm_plans_the_documents_the_preview_read_without_reading_again(  # type: ignore[no-untyped-def]
        client, logged_in, session, monkeypatch) -> None:
    """Issue #18: the documents the preview read are kept beside the upload; confirm plans them
    against the database as it is then, and never calls a target reader."""
    logged_in(Role.finance)
    html = _preview(client).get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)

    def read_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the confirmation read the file again")

    import tracker.importers.targets as package
    import tracker.services.target_import as service
    monkeypatch.setattr(package, "read_target_document", read_again)
    monkeypatch.setattr(service, "read_target_document", read_again)
    done = client.post("/imports/targets/confirm", data={
        "csrf_token": csrf_token(client, "/imports/targets"), "token": token, "year": ""},
        follow_redirects=True)
    assert "导入完成：新建 3 个" in done.get_data(as_text=True)
    assert session.scalar(select(func.count(Project.id))) == 3
