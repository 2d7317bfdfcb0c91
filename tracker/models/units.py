"""Units (单位): the bodies that issue target tables and spend the money."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class Unit(Base):
    """A budget unit.  A code alone is not unique across regions (306001 is two bodies),
    so the natural key is code + name; ``code`` is '' when the document prints none."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    #: The ledger source whose rows count as the unit's spending (DOMAIN §1: one source per
    #: unit): set by the unit's first import, changed only by a choice (``services.counting_source``)
    #: or when an undo leaves it without an active batch.  The rows of the other sources are
    #: kept, matched and reconciled against it (``services.reconcile``).
    counting_source: Mapped[str | None] = mapped_column(String(80))

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()

    def __repr__(self) -> str:
        return f"<Unit {self.label}>"
