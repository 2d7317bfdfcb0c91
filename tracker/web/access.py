"""Who may do what: role checks for views and the project scope of unit staff."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.models import Project, Role
from tracker.services.projects import scope_projects
from tracker.web.context import db_session

F = TypeVar("F", bound=Callable[..., Any])

READERS = (Role.admin, Role.finance, Role.leader, Role.unit_staff, Role.auditor)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow only logged-in users with one of ``roles`` (admin always); others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role is not Role.admin and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def visible_project(project_id: int) -> Project:
    """The project if the current user may see it; 404 otherwise (never a 403 that leaks
    its existence)."""
    project = db_session().scalar(
        scope_projects(select(Project).where(Project.id == project_id), current_user))
    if project is None:
        abort(404)
    return project
