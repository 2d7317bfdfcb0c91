"""Demo users: one finance clerk, one leader, one unit's staff; passwords in a 600 file that
stays true across runs."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import select

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.models import Role, User
from tracker.services.demo_users import demo_users_file, ensure_demo_users


def test_demo_users_are_made_with_their_passwords_written_and_kept(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, covered, bare = make_unit(session, "旧单位"), make_unit(session, "科技局"), make_unit(session, "财政局")
    make_project(session, old, year=2023)
    project = make_project(session, covered)
    make_project(session, bare)
    make_project(session, bare)
    add_ledger(session, covered, ("2025-01-01", "2025-06-30"), [(project, "2025-06-01", "10")])

    logins = ensure_demo_users(session, tmp_path)

    assert [(d.username, d.role) for d in logins] == [
        ("demo-finance", Role.finance), ("demo-leader", Role.leader), ("demo-unit", Role.unit_staff)]
    assert logins[2].unit == covered.label  # the unit whose ledger reaches furthest
    path = demo_users_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [f"{d.username} {d.role.value} {d.password}" for d in logins]
    for login in logins:
        user = session.scalar(select(User).where(User.username == login.username))
        assert user is not None and user.check_password(login.password) and not user.must_change_password
    staff = session.scalar(select(User).where(User.username == "demo-unit"))
    assert [u.id for u in staff.units] == [covered.id]

    assert ensure_demo_users(session, tmp_path) == logins  # a second run keeps them
    path.unlink()
    renewed = ensure_demo_users(session, tmp_path)  # the file lost: new passwords, written again
    assert all(a.password != b.password for a, b in zip(logins, renewed))
    leader = session.scalar(select(User).where(User.username == "demo-leader"))
    assert leader.check_password(renewed[1].password) and not leader.check_password(logins[1].password)
