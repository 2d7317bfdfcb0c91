"""Role × route matrix: every route is listed here with the roles that may use it.

A new route that is not in ``MATRIX`` fails ``test_every_route_is_in_the_matrix``, so
nobody can add a page or a mutating action without deciding who may use it."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import csrf_token
from tracker.models import Role

ALL = frozenset(Role)
ANONYMOUS_OK = "anonymous"

#: (endpoint, method) → roles allowed (admin is always allowed), or ANONYMOUS_OK.
MATRIX: dict[tuple[str, str], frozenset[Role] | str] = {
    ("auth.login", "GET"): ANONYMOUS_OK,
    ("auth.login", "POST"): ANONYMOUS_OK,
    ("auth.logout", "POST"): ALL,
    ("projects.home", "GET"): ANONYMOUS_OK,  # a redirect only
    ("projects.index", "GET"): ALL,
    ("assets.plotly_js", "GET"): ANONYMOUS_OK,
    ("static", "GET"): ANONYMOUS_OK,
}

#: concrete URLs for endpoints with arguments
URLS = {"static": "/static/app.css"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if method in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                found.add((rule.endpoint, method))
    return found


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    assert _routes(app) == set(MATRIX)


def _url(app: Flask, endpoint: str) -> str:
    if endpoint in URLS:
        return URLS[endpoint]
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint)


CASES = [(endpoint, method, role) for (endpoint, method), allowed in MATRIX.items()
         if allowed != ANONYMOUS_OK for role in Role]


@pytest.mark.parametrize(("endpoint", "method", "role"), CASES)
def test_role_route_matrix(app, client, logged_in, endpoint: str, method: str, role: Role) -> None:  # type: ignore[no-untyped-def]
    logged_in(role)
    url = _url(app, endpoint)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/projects")})
    allowed = role is Role.admin or role in MATRIX[(endpoint, method)]
    if allowed:
        assert response.status_code not in (401, 403, 404), response.status_code
    else:
        assert response.status_code in (403, 404)


@pytest.mark.parametrize(("endpoint", "method"), [k for k, v in MATRIX.items() if v != ANONYMOUS_OK])
def test_anonymous_is_refused(app, client, endpoint: str, method: str) -> None:  # type: ignore[no-untyped-def]
    url = _url(app, endpoint)
    response = client.get(url) if method == "GET" else client.post(
        url, data={"csrf_token": csrf_token(client)})
    assert response.status_code in (302, 401)
