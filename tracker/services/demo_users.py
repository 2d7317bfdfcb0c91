"""Demo users, so a newcomer can see every role: one finance clerk, one leader and one
unit's reporting staff, made by ``tracker demo load`` (which ``make run`` runs) and by
nothing else — a tracker set up without the demo data never has them.

Passwords are generated, written to ``<instance>/demo-users.txt`` (mode 600, one user a line:
name, role, password) and printed by the command.  A later ``demo load`` keeps a user whose
password still matches the file and gives a new one to any other demo user, so the file
and the printout are always true.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import Project, Role, Unit, User
from tracker.private_files import create_file
from tracker.services.spending import ledger_closed_through
from tracker.services.users import create_user

DEMO_USERS = (("demo-finance", Role.finance), ("demo-leader", Role.leader), ("demo-unit", Role.unit_staff))


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    password: str
    unit: str | None  # the unit a unit_staff user reports for


def demo_users_file(instance_path: Path) -> Path:
    return instance_path / "demo-users.txt"


def _written(path: Path) -> dict[str, str]:
    """Passwords in the demo users file, by user name (nothing when there is no file)."""
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            found[parts[0]] = parts[2]
    return found


def demo_unit(session: Session) -> Unit | None:
    """The unit the demo unit staff report for: of the units with projects in the newest
    year, the one whose ledger reaches furthest (then the most projects, then the code)."""
    newest = session.scalar(select(func.max(Project.year)))
    if newest is None:
        return None
    counts = dict(session.execute(select(Project.unit_id, func.count(Project.id))
                                  .where(Project.year == newest).group_by(Project.unit_id)).all())
    closed = ledger_closed_through(session, counts)
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(counts)))}
    return min(units.values(), key=lambda u: (-(closed[u.id].toordinal() if u.id in closed else 0),
                                              -counts[u.id], u.code or "", u.id))


def ensure_demo_users(session: Session, instance_path: Path) -> list[DemoLogin]:
    """Create (or repair) the demo users and write their passwords to the file (flush only)."""
    path = demo_users_file(instance_path)
    written = _written(path)
    unit = demo_unit(session)
    logins = []
    for username, role in DEMO_USERS:
        units = [unit] if role is Role.unit_staff and unit is not None else []
        user = session.scalar(select(User).where(User.username == username))
        password = written.get(username, "")
        if user is None:
            password = secrets.token_urlsafe(9)
            user = create_user(session, username, role, password, units, actor="demo")
        elif not password or not user.check_password(password):
            password = secrets.token_urlsafe(9)
            user.set_password(password)
        if role is Role.unit_staff and not user.units and units:
            user.units = units
        user.role, user.active = role, True
        logins.append(DemoLogin(username, role, password,
                                user.units[0].label if role is Role.unit_staff and user.units else None))
    session.flush()
    create_file(path, "".join(f"{d.username} {d.role.value} {d.password}\n" for d in logins).encode(),
                replace=True)
    return logins
