"""Target-document imports and the findings the review attached to each project."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow
from tracker.models.projects import Project


class TargetImport(Base):
    """One imported 绩效目标 document: who, when, which file, what it did."""

    __tablename__ = "target_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of the bytes
    layout: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    projects_created: Mapped[int] = mapped_column(Integer, default=0)
    projects_updated: Mapped[int] = mapped_column(Integer, default=0)
    projects_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # document-level


class ProjectFinding(Base):
    """A finding of the importer or the target review, with its place in the source file."""

    __tablename__ = "project_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    target_import_id: Mapped[int | None] = mapped_column(
        ForeignKey("target_import.id", ondelete="SET NULL")
    )
    severity: Mapped[str] = mapped_column(String(10))  # error / warning / info
    code: Mapped[str] = mapped_column(String(60))
    location: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)

    project: Mapped[Project] = relationship()
