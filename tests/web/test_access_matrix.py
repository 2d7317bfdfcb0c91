"""Role × route matrix: every route is listed here with the roles that may use it.

A new route that is not in ``MATRIX`` fails ``test_every_route_is_in_the_matrix``, so
nobody can add a page or a mutating action without deciding who may use it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask

from tests.conftest import csrf_token
from tracker.models import DepartmentYear, Project, Role, Unit

ALL = frozenset(Role)
ANONYMOUS_OK = "anonymous"

#: (endpoint, method) → roles allowed (admin is always allowed), or ANONYMOUS_OK.
MATRIX: dict[tuple[str, str], frozenset[Role] | str] = {
    ("auth.login", "GET"): ANONYMOUS_OK,
    ("auth.login", "POST"): ANONYMOUS_OK,
    ("auth.logout", "POST"): ALL,
    ("auth.change_password", "GET"): ALL,
    ("auth.change_password", "POST"): ALL,
    ("projects.home", "GET"): ANONYMOUS_OK,  # a redirect only
    ("projects.index", "GET"): ALL,
    ("projects.detail", "GET"): ALL,
    ("projects.quality", "GET"): ALL,
    ("projects.ledger_rows", "GET"): ALL,
    ("imports.targets", "GET"): frozenset({Role.finance}),
    ("imports.targets_preview", "POST"): frozenset({Role.finance}),
    ("imports.targets_confirm", "POST"): frozenset({Role.finance}),
    ("ledger.import_form", "GET"): frozenset({Role.finance}),
    ("ledger.preview", "POST"): frozenset({Role.finance}),
    ("ledger.upload", "POST"): frozenset({Role.finance}),
    ("ledger.confirm", "POST"): frozenset({Role.finance}),
    ("ledger.batches", "GET"): frozenset({Role.finance, Role.leader, Role.auditor}),
    ("ledger.undo", "POST"): frozenset({Role.finance}),
    ("ledger.unmatched", "GET"): frozenset({Role.finance}),
    ("ledger.assign", "POST"): frozenset({Role.finance}),
    ("ledger.reconciliation", "GET"): frozenset({Role.finance, Role.leader, Role.auditor}),
    ("ledger.reconciliation_rows", "GET"): frozenset({Role.finance, Role.leader, Role.auditor}),
    ("ledger.choose_counting_source", "POST"): frozenset({Role.finance}),
    ("ledger.reconcile_threshold", "POST"): frozenset(),
    ("adjustments.index", "GET"): ALL,
    ("adjustments.create", "POST"): frozenset({Role.finance}),
    ("monitoring.overview", "GET"): ALL,
    ("monitoring.project", "GET"): ALL,
    ("monitoring.progress_form", "GET"): frozenset({Role.unit_staff}),
    ("monitoring.progress_form", "POST"): frozenset({Role.unit_staff}),
    ("monitoring.explanation", "GET"): frozenset({Role.unit_staff}),
    ("monitoring.explanation", "POST"): frozenset({Role.unit_staff}),
    ("monitoring.evidence", "GET"): ALL,
    ("monitoring.refreeze", "POST"): frozenset({Role.finance}),
    ("monitoring.alerts", "GET"): ALL,
    ("monitoring.alerts_read", "POST"): ALL,
    ("monitoring.alert_email", "POST"): ALL,
    ("fill.index", "GET"): ALL,
    ("fill.download", "GET"): ALL,  # unit staff: their own units only
    ("fill.preview", "POST"): frozenset({Role.unit_staff, Role.finance}),
    ("fill.confirm", "POST"): frozenset({Role.unit_staff, Role.finance}),
    ("monitoring.settings", "GET"): frozenset(),
    ("monitoring.settings", "POST"): frozenset(),
    ("cockpit.index", "GET"): ALL,
    ("admin.users_index", "GET"): frozenset({Role.finance}),  # finance: to set e-mail addresses
    ("admin.new_user", "GET"): frozenset(),
    ("admin.new_user", "POST"): frozenset(),
    ("admin.edit_user", "GET"): frozenset({Role.finance}),  # finance sees the e-mail form only
    ("admin.edit_user", "POST"): frozenset(),
    ("admin.reset_password", "POST"): frozenset(),
    ("admin.user_email", "POST"): frozenset({Role.finance}),
    ("admin.evaluation_settings", "GET"): frozenset(),
    ("admin.evaluation_settings", "POST"): frozenset(),
    ("audit.index", "GET"): frozenset({Role.auditor}),
    ("audit.project_trail", "GET"): ALL,  # unit staff: their own units' projects (else 404)
    ("reports.index", "GET"): ALL,
    ("reports.monitoring_workbook", "GET"): ALL,
    ("reports.self_eval_workbook", "GET"): ALL,
    ("reports.monitoring_document", "GET"): ALL,
    ("reports.self_eval_document", "GET"): ALL,
    ("evaluations.index", "GET"): ALL,
    ("evaluations.create_all", "POST"): frozenset({Role.unit_staff}),
    ("evaluations.project", "GET"): ALL,
    ("evaluations.create", "POST"): frozenset({Role.unit_staff}),
    ("evaluations.save", "POST"): frozenset({Role.unit_staff}),
    ("departments.index", "GET"): ALL,
    ("departments.detail", "GET"): ALL,  # unit staff: their own units only (else 404)
    ("departments.self_eval", "GET"): ALL,
    ("departments.report", "POST"): frozenset({Role.unit_staff}),
    ("departments.correct", "POST"): frozenset({Role.finance}),
    ("departments.evaluation", "GET"): ALL,
    ("departments.create_evaluation", "POST"): frozenset({Role.unit_staff}),
    ("departments.save_evaluation", "POST"): frozenset({Role.unit_staff}),
    ("assets.plotly_js", "GET"): ANONYMOUS_OK,
    ("static", "GET"): ANONYMOUS_OK,
}

#: concrete URLs for endpoints with arguments
URLS = {"static": "/static/app.css", "projects.detail": "/projects/{project_id}",
        "audit.project_trail": "/projects/{project_id}/audit",
        "admin.edit_user": "/admin/users/{user_id}",
        "admin.reset_password": "/admin/users/{user_id}/password",
        "admin.user_email": "/admin/users/{user_id}/email",
        "projects.ledger_rows": "/projects/{project_id}/ledger",
        "ledger.undo": "/ledger/batches/999999/undo",
        "ledger.reconciliation_rows": "/ledger/reconcile/rows?project={project_id}&as_of=2025-06-30",
        "monitoring.project": "/projects/{project_id}/monitoring",
        "fill.download": "/monitoring/fill/download?project={project_id}&as_of=2025-06-30",
        "monitoring.progress_form": "/projects/{project_id}/progress",
        "monitoring.explanation": "/projects/{project_id}/explanation",
        "monitoring.evidence": "/projects/{project_id}/evidence",
        "monitoring.refreeze": "/projects/{project_id}/monitoring/refreeze",
        "evaluations.project": "/projects/{project_id}/evaluation",
        "evaluations.create": "/projects/{project_id}/evaluation/new",
        "evaluations.save": "/projects/{project_id}/evaluation/1",
        "adjustments.index": "/projects/{project_id}/adjustments",
        "adjustments.create": "/projects/{project_id}/adjustments",
        "departments.detail": "/departments/{department_id}",
        "departments.self_eval": "/departments/{department_id}/self-eval.xlsx",
        "departments.report": "/departments/{department_id}/indicators/1/progress",
        "departments.correct": "/departments/{department_id}/indicators/1/correct",
        "departments.evaluation": "/departments/{department_id}/evaluation",
        "departments.create_evaluation": "/departments/{department_id}/evaluation/new",
        "departments.save_evaluation": "/departments/{department_id}/evaluation/1"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if method in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                found.add((rule.endpoint, method))
    return found


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    assert _routes(app) == set(MATRIX)


def _url(app: Flask, endpoint: str, project_id: int = 0, user_id: int = 0, department_id: int = 0) -> str:
    if endpoint in URLS:
        return URLS[endpoint].format(project_id=project_id, user_id=user_id, department_id=department_id)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint)


CASES = [(endpoint, method, role) for (endpoint, method), allowed in MATRIX.items()
         if allowed != ANONYMOUS_OK for role in Role]


@pytest.mark.parametrize(("endpoint", "method", "role"), CASES)
def test_role_route_matrix(app, client, logged_in, session, endpoint: str, method: str, role: Role) -> None:  # type: ignore[no-untyped-def]
    unit = Unit(code="9", name="矩阵单位")
    project = Project(unit=unit, year=2025, name="矩阵项目", natural_key="名称:矩阵项目",
                      initial_budget=Decimal(1), annual_budget=Decimal(1))
    department = DepartmentYear(unit=unit, year=2025)
    session.add_all([project, department])
    session.commit()
    user = logged_in(role, units=[unit])
    url = _url(app, endpoint, project.id, user.id, department.id)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/projects")})
    allowed = role is Role.admin or role in MATRIX[(endpoint, method)]
    if allowed:  # may still be a 400/404 for the empty form, but never a refusal
        assert response.status_code not in (401, 403), response.status_code
        if method == "GET":
            assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("endpoint", "method"), [k for k, v in MATRIX.items() if v != ANONYMOUS_OK])
def test_anonymous_is_refused(app, client, endpoint: str, method: str) -> None:  # type: ignore[no-untyped-def]
    url = _url(app, endpoint)
    response = client.get(url) if method == "GET" else client.post(
        url, data={"csrf_token": csrf_token(client)})
    assert response.status_code in (302, 401)
