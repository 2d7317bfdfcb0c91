"""Users, their roles and the units a unit-staff user may see."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, Enum, ForeignKey, String, Table
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

    units: Mapped[list[Unit]] = relationship(secondary=user_units)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def session_key(self) -> str:
        """Changes with the password: part of the id a login session carries (``get_id``), so
        setting a new password ends every session (and remembered login) opened with the old."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:  # Flask-Login: what the session and the remember cookie hold
        return f"{self.id}:{self.session_key}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def sees_everything(self) -> bool:
        return self.role is not Role.unit_staff


class LoginFailure(Base):
    """A failed login, kept briefly to slow down guessing from one address."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
