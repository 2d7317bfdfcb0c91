"""Users: creation, authentication with a brake on guessing, the initial administrator."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.db import utcnow
from tracker.errors import ValidationFailed
from tracker.models import LoginFailure, Role, Unit, User
from tracker.services import audit

MIN_PASSWORD_LENGTH = 8


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    password: str,
    units: list[Unit] | None = None,
    actor: User | str = "system",
) -> User:
    username = username.strip()
    if not username:
        raise ValidationFailed("用户名不能为空")
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(
            f"未知的角色“{role}”，可选：{', '.join(r.value for r in Role)}"
        ) from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed(f"用户名“{username}”已存在")
    user = User(username=username, role=role, units=list(units or []))
    user.set_password(password)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "app_user", user.id, username=username, role=role.value)
    return user


@dataclass(frozen=True)
class AdminEnsured:
    created: bool
    password: str | None  # only when it was generated here


def ensure_admin(session: Session, password: str | None, instance_path: Path) -> AdminEnsured:
    """Create ``admin`` when no administrator exists.  A generated password is written to
    ``instance/initial-admin.txt`` (mode 600) and returned so the caller can print it once."""
    if session.scalar(select(User.id).where(User.role == Role.admin).limit(1)) is not None:
        return AdminEnsured(created=False, password=None)
    generated = not password
    password = password or secrets.token_urlsafe(12)
    create_user(session, "admin", Role.admin, password, actor="system")
    if generated:
        instance_path.mkdir(parents=True, exist_ok=True)
        target = instance_path / "initial-admin.txt"
        target.write_text(f"username: admin\npassword: {password}\n", encoding="utf-8")
        target.chmod(0o600)
    return AdminEnsured(created=True, password=password if generated else None)


def recent_failures(session: Session, address: str, window: timedelta = timedelta(minutes=1)) -> int:
    since = utcnow() - window
    return session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.address == address, LoginFailure.at >= since
        )
    ) or 0


def authenticate(session: Session, username: str, password: str, address: str) -> User | None:
    """Return the active user whose password matches, else record a failure and return None.

    The caller says nothing about which part was wrong."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is not None and user.active and user.check_password(password):
        session.execute(delete(LoginFailure).where(LoginFailure.address == address))
        audit.record(session, user, "login", "app_user", user.id, address=address)
        return user
    session.add(LoginFailure(address=address))
    session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(hours=1)))
    session.flush()
    return None
