"""Users, their roles and the units a unit-staff user may see."""

from __future__ import annotations

import enum
import functools
import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, Enum, ForeignKey, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.db import Base, UTCDateTime, utcnow
from tracker.models.units import Unit


class Role(enum.StrEnum):
    admin = "admin"  # 系统管理员: everything
    finance = "finance"  # 财务: imports, unmatched queue, mappings
    leader = "leader"  # 领导: read everything
    unit_staff = "unit_staff"  # 单位填报人员: read and report for own units
    auditor = "auditor"  # 审计: read everything and the audit log

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.admin: "系统管理员",
    Role.finance: "财务人员",
    Role.leader: "领导",
    Role.unit_staff: "单位填报人员",
    Role.auditor: "审计人员",
}

user_units = Table(
    "user_unit",
    Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Bumped by logout (and changed with the password): every login session and remembered
    #: login carries the value it was opened with (``session_key``), so a bump ends them all.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Set on the first administrator when its password was generated: every page leads to
    #: the change-password page until the user picks a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    units: Mapped[list[Unit]] = relationship(secondary=user_units)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def check_no_password(password: str) -> bool:
        """The same work as ``check_password`` for a user name that does not exist, so the
        time a failed login takes does not tell which names exist.  Always False."""
        check_password_hash(_dummy_hash(), password)
        return False

    @property
    def session_key(self) -> str:
        """Changes with the password and with every logout (``session_generation``): part of
        the id a login session carries (``get_id``), so a new password or a logout ends every
        session (and remembered login) opened before, even a cookie copied elsewhere."""
        generation = self.session_generation or 0
        # Generation 0 keeps the key of versions before logout ended sessions on the server.
        material = self.password_hash if generation == 0 else f"{self.password_hash}:{generation}"
        return hashlib.sha256(material.encode()).hexdigest()[:16]

    def end_sessions(self) -> None:
        """End every login session and remembered login of this user (logout)."""
        self.session_generation = (self.session_generation or 0) + 1

    def get_id(self) -> str:  # Flask-Login: what the session and the remember cookie hold
        return f"{self.id}:{self.session_key}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def sees_everything(self) -> bool:
        return self.role is not Role.unit_staff


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password made by the same hasher, with the same cost, as real ones."""
    return generate_password_hash(secrets.token_urlsafe(16))


class LoginFailure(Base):
    """A failed login, kept briefly to slow down guessing: counted per address and per
    account name (the name typed, whether or not such a user exists)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
