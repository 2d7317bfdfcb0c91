"""Choosing which ledger source counts for a unit (issue #16; DOMAIN §1: one source per unit).

Decisions:

- The unit's first import sets its counting source (``ledger_import``); finance or an admin may
  choose another of its sources with an active batch, from the reconciliation page or
  ``tracker ledger counting-source``, and switch back the same way.
- A switch takes the unit's ledger lock like an import (``ledger_lock``; the boundary runs it
  in ``retrying``), recomputes the monthly totals of every project of the unit (the rows of
  each source keep their own counting decision; ``spending.counted_rows`` applies the unit's
  source), refreshes monitoring for them (``summarize_changes``: the current status, alerts,
  checkpoints newly covered) and is audited with the source before and after.
- Frozen checkpoint snapshots keep their values: the project page shows the evaluation from
  the current data beside them, as for any correction.  They are not marked as resting on an
  undone batch — no batch was undone, and that mark would say so; a re-freeze is for undone
  batches only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, ValidationFailed
from tracker.models import LedgerBatch, Project, Unit, User
from tracker.services import audit
from tracker.services.ledger_lock import lock_unit
from tracker.services.monitoring.snapshots import ChangeSummary, summarize_changes
from tracker.services.spending import refresh_month_totals


@dataclass
class SourceChoice:
    unit: Unit
    before: str | None
    after: str
    projects: int  # projects whose spending was recomputed
    changes: ChangeSummary | None = None

    @property
    def text(self) -> str:
        return (f"单位“{self.unit.label}”的支出口径已由“{self.before or '未定'}”改为“{self.after}”，"
                f"已重算 {self.projects} 个项目的支出与监控状态；已冻结的检查点评价保持原值，"
                "项目页旁列按当前数据重算的结果。")

    def as_json(self) -> dict[str, object]:
        return {"unit_id": self.unit.id, "unit": self.unit.label, "before": self.before,
                "counting_source": self.after, "projects_recomputed": self.projects,
                "status_changes": self.changes.text if self.changes else None}


def unit_sources(session: Session, unit_id: int) -> list[str]:
    """The sources of the unit's active batches, in the order they were first imported."""
    first = {}
    for source, batch_id in session.execute(select(LedgerBatch.source, LedgerBatch.id).where(
            LedgerBatch.unit_id == unit_id, LedgerBatch.status == "active").order_by(LedgerBatch.id)):
        first.setdefault(source, batch_id)
    return list(first)


def choose(session: Session, unit: int | Callable[[], int], source: str, actor: User | str, *,
           today: date | None = None, waiting: Callable[[], None] | None = None) -> SourceChoice:
    """Make ``source`` the unit's counting source (flush only; see the module docstring).
    ValidationFailed when the unit has no active batch of it, or already counts it.  The
    first statement takes the unit's ledger lock (``waiting`` is called once if that takes
    more than a second; ``unit`` is the id or a function reading it, as for ``lock_unit``);
    on SQLite call it at the start of a transaction."""
    resolved: list[int] = []

    def unit_id_now() -> int:
        if not resolved:
            resolved.append(unit if isinstance(unit, int) else unit())
        return resolved[0]

    lock_unit(session, unit_id_now, waiting=waiting)
    unit_id = unit_id_now()
    found = session.scalar(select(Unit).where(Unit.id == unit_id).execution_options(populate_existing=True))
    if found is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    source = source.strip()
    sources = unit_sources(session, unit_id)
    if source not in sources:
        have = "、".join(f"“{s}”" for s in sources) or "无"
        raise ValidationFailed(f"单位“{found.label}”没有来源为“{source}”的有效导入批次（现有来源：{have}）")
    before = found.counting_source
    if before == source:
        raise ValidationFailed(f"单位“{found.label}”已以“{source}”为支出口径，未做改动")
    found.counting_source = source
    session.flush()
    projects = list(session.scalars(select(Project.id).where(Project.unit_id == unit_id)))
    refresh_month_totals(session, projects)
    audit.record(session, actor, "counting_source", "unit", unit_id, before=before, after=source,
                 projects=len(projects))
    changes = summarize_changes(session, projects, today) if today is not None else None
    return SourceChoice(found, before, source, len(projects), changes)
