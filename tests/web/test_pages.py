from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from tracker.models import Project, Role, Unit
from tracker.web.security import CONTENT_SECURITY_POLICY


def test_project_list_empty_state_explains_what_to_do(client, logged_in) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.leader)
    html = client.get("/projects").get_data(as_text=True)
    assert "还没有项目" in html and "tracker import targets" in html


def _project(session, unit: Unit, name: str) -> Project:  # type: ignore[no-untyped-def]
    project = Project(unit=unit, year=2025, code=None, name=name,
                      natural_key=Project.make_natural_key(None, name),
                      initial_budget=Decimal("100000.00"), annual_budget=Decimal("100000.00"))
    session.add(project)
    session.flush()
    return project


def test_unit_staff_sees_only_own_units(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    mine, other = Unit(code="1", name="甲单位"), Unit(code="2", name="乙单位")
    session.add_all([mine, other])
    _project(session, mine, "本单位项目<script>")
    _project(session, other, "外单位项目")
    session.commit()
    logged_in(Role.unit_staff, units=[mine])
    html = client.get("/projects").get_data(as_text=True)
    assert "本单位项目&lt;script&gt;" in html  # escaped
    assert "<script>" not in html.split("</header>", 1)[1]
    assert "外单位项目" not in html


def test_leader_sees_every_unit(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    a, b = Unit(code="1", name="甲单位"), Unit(code="1", name="乙单位")  # same code, two bodies
    session.add_all([a, b])
    _project(session, a, "甲的项目")
    _project(session, b, "乙的项目")
    session.commit()
    logged_in(Role.leader)
    html = client.get("/projects").get_data(as_text=True)
    assert "甲的项目" in html and "乙的项目" in html and "10.00" in html  # 100000 元 = 10 万元


def test_404_page_is_chinese(client, logged_in) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.leader)
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_500_rolls_back_and_shows_a_chinese_page(app: Flask, session, make_user) -> None:  # type: ignore[no-untyped-def]
    from tracker import create_app
    from tracker.web.context import db_session

    config = app.extensions["tracker.config"]
    broken = create_app({"database_url": config.database_url, "instance_path": config.instance_path,
                         "secret_key": "test-secret"})
    broken.extensions["tracker.db"].session_factory = app.extensions["tracker.db"].session_factory

    @broken.route("/_test/explode")
    def explode():  # type: ignore[no-untyped-def]
        db_session().add(Unit(code="X", name="半途单位"))
        db_session().flush()
        raise RuntimeError("boom")

    user = make_user(Role.leader)
    client = broken.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = user.get_id()
    response = client.get("/_test/explode")
    assert response.status_code == 500
    assert "改动已全部撤销" in response.get_data(as_text=True)
    assert session.scalar(select(Unit).where(Unit.name == "半途单位")) is None


def test_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "http" not in CONTENT_SECURITY_POLICY  # no third-party origins
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_plotly_bundle_is_served_locally(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"plotly" in response.get_data()[:2000].lower()
    response.close()


@pytest.mark.parametrize("path", ["/projects", "/"])
def test_anonymous_is_sent_to_login(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, follow_redirects=True)
    assert "登录" in response.get_data(as_text=True)


def test_the_quality_ranking_shows_every_finding_of_a_project(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """A list of what is missing is shown whole, never cut (#22): the fifth and sixth findings
    of a project are on the page too, behind 另有 2 条."""
    from tests.monitoring_builders import make_project, make_unit
    from tracker.models import ProjectFinding

    unit = make_unit(session, "质量排名单位")
    project = make_project(session, unit, name="六条发现的项目")
    for n in range(1, 7):
        session.add(ProjectFinding(project_id=project.id, severity="warning", code=f"c{n}",
                                   location="表1", message=f"第{n}条待核对的发现"))
    session.add(ProjectFinding(project_id=project.id, severity="info", code="i", location="表1",
                               message="只是说明"))
    session.commit()
    logged_in("finance")
    page = client.get("/projects/quality?year=2025").get_data(as_text=True)
    assert all(f"第{n}条待核对的发现" in page for n in range(1, 7))
    assert "另有 2 条" in page and "只是说明" not in page
