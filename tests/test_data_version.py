"""The data version (tracker.db): a new token with every committed write to a table figures are
computed from, whatever wrote it; none for the audit trail, logins, alerts or a rollback."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session

from tests.monitoring_builders import make_project, make_unit
from tracker.db import data_version, has_uncommitted_changes
from tracker.models import Alert, AuditEntry, LoginFailure, Project, Setting
from tracker.services.settings import monitoring_settings


def test_every_committed_write_to_a_figure_table_changes_the_version(session: Session) -> None:
    unit = make_unit(session)
    session.commit()
    seen = {data_version(session)}

    def changed() -> bool:
        version = data_version(session)
        new = version not in seen
        seen.add(version)
        return new

    project = make_project(session, unit, budget="1000000")  # ORM flush
    assert has_uncommitted_changes(session)
    session.commit()
    assert changed() and not has_uncommitted_changes(session)
    project.annual_budget = Decimal("2000000")  # pending, flushed by the commit itself
    session.commit()
    assert changed()
    session.execute(update(Project).where(Project.id == project.id).values(name="改名"))  # ORM statement
    session.commit()
    assert changed()
    session.connection().execute(update(Project.__table__).values(code="X1"))  # Core, on the connection
    session.commit()
    assert changed()
    session.execute(text("UPDATE project SET title = 'x'"))  # SQL text
    session.commit()
    assert changed()
    session.add(Setting(key="something", value={"a": 1}))
    session.commit()
    assert changed()


def test_the_trail_logins_alerts_and_rollbacks_leave_it(session: Session) -> None:
    unit = make_unit(session)
    session.commit()
    version = data_version(session)
    session.add(AuditEntry(actor="test", action="login", entity="app_user", details={}))
    session.add(LoginFailure(address="127.0.0.1"))
    session.add(Alert(unit_id=unit.id, kind="turned_red", severity="red", as_of=date(2025, 6, 30),
                      message="m"))
    session.execute(delete(LoginFailure))
    session.commit()
    assert data_version(session) == version
    monitoring_settings(session)  # reading changes nothing
    session.commit()
    assert data_version(session) == version

    make_project(session, unit)
    assert has_uncommitted_changes(session)
    session.rollback()
    assert data_version(session) == version
