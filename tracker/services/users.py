"""Users: creation, authentication with a brake on guessing, the initial administrator, and
the administrator's user pages (scope, role, active, password reset)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.core.labels import ACTOR_LABELS
from tracker.db import utcnow
from tracker.errors import ValidationFailed
from tracker.models import AuditEntry, LoginFailure, Role, Unit, User
from tracker.private_files import create_file
from tracker.services import audit

MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 80


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
    if (reserved := ACTOR_LABELS.get(username.lower())) is not None:
        raise ValidationFailed(f"用户名“{username}”留给系统记录“{reserved}”的操作，请换一个")
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
    audit.record(session, actor, "create", "app_user", user.id, username=username, role=role.value,
                 units=[unit.id for unit in user.units])
    return user


@dataclass(frozen=True)
class AdminEnsured:
    created: bool
    password: str | None  # only when it was generated here


def ensure_admin(session: Session, password: str | None, instance_path: Path) -> AdminEnsured:
    """Create ``admin`` when no administrator exists.  A generated password is written to
    ``instance/initial-admin.txt`` (created mode 600) and returned so the caller can print it
    once; the user must change it at first login, and the file goes then."""
    if session.scalar(select(User.id).where(User.role == Role.admin).limit(1)) is not None:
        return AdminEnsured(created=False, password=None)
    generated = not password
    password = password or secrets.token_urlsafe(12)
    user = create_user(session, "admin", Role.admin, password, actor="system")
    if generated:
        user.must_change_password = True
        session.flush()
        create_file(initial_admin_file(instance_path),
                    f"username: admin\npassword: {password}\n".encode(), replace=True)
    return AdminEnsured(created=True, password=password if generated else None)


def initial_admin_file(instance_path: Path) -> Path:
    return instance_path / "initial-admin.txt"


def recent_failures(session: Session, address: str, username: str,
                    window: timedelta = timedelta(minutes=1)) -> int:
    """Failed logins within ``window`` from ``address`` or for the account ``username``,
    whichever is more: each is limited on its own."""
    since = utcnow() - window
    counts = [session.scalar(select(func.count(LoginFailure.id)).where(condition, LoginFailure.at >= since))
              or 0 for condition in (LoginFailure.address == address,
                                     LoginFailure.username == _account_name(username))]
    return max(counts)


def _account_name(username: str) -> str:
    return username.strip()[:MAX_USERNAME_LENGTH]


def authenticate(session: Session, username: str, password: str, address: str) -> User | None:
    """Return the active user whose password matches, else record a failure and return None.

    The caller says nothing about which part was wrong, and the work is the same either way:
    an unknown name costs one password hash check too.  Success clears the failures recorded
    for this account only, never those of the address, so logging in to one's own account
    between guesses at another's does not lift the brake."""
    name = _account_name(username)
    user = session.scalar(select(User).where(User.username == name))
    matched = user.check_password(password) if user is not None else User.check_no_password(password)
    if user is not None and matched and user.active:
        session.execute(delete(LoginFailure).where(LoginFailure.username == name))
        audit.record(session, user, "login", "app_user", user.id, address=address)
        return user
    session.add(LoginFailure(address=address, username=name))
    session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(hours=1)))
    session.flush()
    return None


def logout(session: Session, user: User) -> None:
    """End every login session and remembered login of ``user``, on every device: a session
    or remember-me cookie copied before is refused afterwards."""
    user.end_sessions()
    session.flush()
    audit.record(session, user, "logout", "app_user", user.id)


def change_own_password(session: Session, user: User, current: str, new: str, confirm: str) -> dict[str, str]:
    """The user sets a new password.  Returns field → message for each problem (nothing is
    changed then), or an empty dict when done.  The new password ends the sessions opened with
    the old one (the caller signs the user in again) and clears ``must_change_password``; the
    caller removes the file holding a generated first password once this has been committed
    (``initial_admin_file``), so a failed commit never leaves the password without its file."""
    errors: dict[str, str] = {}
    if not user.check_password(current):
        errors["current"] = "当前密码不正确"
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new"] = f"新密码至少 {MIN_PASSWORD_LENGTH} 位"
    elif new == current:
        errors["new"] = "新密码不能与当前密码相同"
    if new != confirm:
        errors["confirm"] = "两次输入的新密码不一致"
    if errors:
        return errors
    user.set_password(new)
    user.must_change_password = False
    session.flush()
    audit.record(session, user, "change_password", "app_user", user.id, username=user.username)
    return {}


# --- the administrator's user pages ---------------------------------------------------------


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def last_logins(session: Session) -> dict[int, datetime]:
    """Each user's newest successful login, read from the audit log (no column keeps it)."""
    rows = session.execute(select(AuditEntry.entity_id, func.max(AuditEntry.at)).where(
        AuditEntry.action == "login", AuditEntry.entity == "app_user",
        AuditEntry.entity_id.is_not(None)).group_by(AuditEntry.entity_id))
    return {user_id: at for user_id, at in rows}


def units_by_id(session: Session, unit_ids: Iterable[int]) -> list[Unit]:
    """The units named by ``unit_ids``; ValidationFailed when one does not exist."""
    wanted = sorted(set(unit_ids))
    units = list(session.scalars(select(Unit).where(Unit.id.in_(wanted)).order_by(Unit.code, Unit.name)))
    if len(units) != len(wanted):
        raise ValidationFailed("所选单位不存在，请刷新页面后重试")
    return units


def _scope(session: Session, role: Role, unit_ids: Iterable[int]) -> list[Unit]:
    """The unit scope to store: required for unit staff, none for roles that see everything."""
    units = units_by_id(session, unit_ids)
    if role is Role.unit_staff and not units:
        raise ValidationFailed("单位填报人员必须至少关联一个单位（只能查看和填报所关联单位的项目）")
    return units if role is Role.unit_staff else []


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed("请选择角色") from None


def add_user(session: Session, username: str, role: Role | str, password: str,
             unit_ids: Iterable[int], actor: User) -> User:
    """Create a user from the admin page: as ``create_user``, and unit staff need a unit."""
    if len(username.strip()) > MAX_USERNAME_LENGTH:
        raise ValidationFailed(f"用户名最长 {MAX_USERNAME_LENGTH} 个字符")
    role = _role(role)
    return create_user(session, username, role, password, _scope(session, role, unit_ids), actor)


def update_user(session: Session, user: User, role: Role | str, unit_ids: Iterable[int],
                active: bool, actor: User) -> dict[str, list[object]]:
    """Change role, unit scope and active flag; returns (and audits) what changed.
    Administrators may not remove their own admin role or deactivate themselves, so there
    is always at least one active administrator: the one making the change."""
    role = _role(role)
    if user.id == actor.id and role is not Role.admin:
        raise ValidationFailed("不能取消自己的系统管理员角色。如需更换管理员，请由另一位管理员操作。")
    if user.id == actor.id and not active:
        raise ValidationFailed("不能停用自己的账号。如需停用，请由另一位管理员操作。")
    units = _scope(session, role, unit_ids)
    before = {"role": user.role.value, "units": sorted(u.id for u in user.units), "active": user.active}
    user.role, user.units, user.active = role, units, active
    after = {"role": role.value, "units": sorted(u.id for u in units), "active": active}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        session.flush()
        audit.record(session, actor, "update", "app_user", user.id, username=user.username,
                     changes=changes)
    return changes


def reset_password(session: Session, user: User, password: str, actor: User) -> None:
    """Set a new password chosen by the administrator (the log records that, not the password);
    it ends every login session the user opened with the old password (``User.get_id``)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    user.set_password(password)
    session.flush()
    audit.record(session, actor, "reset_password", "app_user", user.id, username=user.username)
