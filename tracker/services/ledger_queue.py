"""The unmatched queue: counted rows no project claimed, waiting for finance to assign them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, ValidationFailed
from tracker.models import LedgerRow, MappingProfile, MatchRule, Project, User
from tracker.services import audit
from tracker.services.ledger_import import rule_applies
from tracker.services.ledger_lock import lock_unit
from tracker.services.spending import counting_source_rows, refresh_month_totals, spent_through


def unmatched_query(unit_ids: Sequence[int] | None = None) -> Select[tuple[LedgerRow]]:
    # rows of the unit's counting source only: another source's rows are reconciled, not queued
    query = counting_source_rows(select(LedgerRow)).where(
        LedgerRow.superseded_by_batch_id.is_(None), LedgerRow.counts.is_(True),
        LedgerRow.project_id.is_(None))
    if unit_ids is not None:
        query = query.where(LedgerRow.unit_id.in_(unit_ids))
    return query.order_by(LedgerRow.unit_id, LedgerRow.date, LedgerRow.id)


def unmatched_json(session: Session) -> list[dict[str, Any]]:
    return [{"row_id": r.id, "batch_id": r.batch_id, "unit_id": r.unit_id, "sheet": r.sheet,
             "row": r.row_number, "date": r.date.isoformat(), "voucher": r.voucher,
             "summary": r.summary, "account_code": r.account_code,
             "project_ref": r.project_ref_raw or r.project_name or r.project_code,
             "document_no": r.document_no, "amount_yuan": f"{r.amount:.2f}"}
            for r in session.scalars(unmatched_query())]


def assign(session: Session, row_ids: Sequence[int], project_id: int, actor: User | str, *,
           rule_account_prefix: str | None = None, rule_keyword: str | None = None,
           rule_from: date | None = None, rule_to: date | None = None) -> tuple[int, MatchRule | None]:
    """Assign unmatched rows to a project (same unit); optionally save a rule and apply it to
    the rest of the queue.  Returns (rows assigned, the rule or None)."""
    def unit_of_project() -> int:
        unit_id = session.scalar(select(Project.unit_id).where(Project.id == project_id))
        if unit_id is None:
            raise NotFound(f"项目 {project_id} 不存在")
        return unit_id

    lock_unit(session, unit_of_project)  # the unit's monthly totals change: one change at a time
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"项目 {project_id} 不存在")
    rows = list(session.scalars(unmatched_query().where(LedgerRow.id.in_(row_ids))))
    if len(rows) != len(set(row_ids)):
        raise ValidationFailed("部分行不在待匹配队列中（已被分配、撤销或替换），请刷新后重试")
    if any(r.unit_id != project.unit_id for r in rows):
        raise ValidationFailed("只能把行分配给同一单位的项目")
    for row in rows:
        row.project_id, row.match_method = project.id, "manual"
    rule = None
    if rule_account_prefix or rule_keyword:
        rule = MatchRule(unit_id=project.unit_id, project_id=project.id,
                         account_prefix=(rule_account_prefix or "").strip() or None,
                         summary_keyword=(rule_keyword or "").strip() or None,
                         valid_from=rule_from, valid_to=rule_to,
                         created_by=actor.username if isinstance(actor, User) else actor)
        session.add(rule)
        session.flush()
        for row in session.scalars(unmatched_query([project.unit_id])):
            if rule_applies(rule, row):
                row.project_id, row.match_method = project.id, "rule"
                rows.append(row)
    session.flush()
    refresh_month_totals(session, [project.id])
    audit.record(session, actor, "assign", "ledger_row", None, project_id=project.id,
                 rows=[r.id for r in rows], rule_id=rule.id if rule else None)
    return len(rows), rule


def save_profile(session: Session, name: str, mapping: dict[str, str], source: str | None,
                 actor: User | str, count_rule: str | None = None, *,
                 status_answers: dict[str, bool] | None = None,
                 sheet_projects: dict[str, int] | None = None) -> MappingProfile:
    """Save (or replace) a named mapping with the answers to the preview's questions: which
    支付状态 texts count, which project each sheet without one belongs to.  Answers a profile of
    that name already holds for other statuses or sheets are kept."""
    name = name.strip()
    if not name:
        raise ValidationFailed("映射方案名称不能为空")
    profile = session.scalar(select(MappingProfile).where(MappingProfile.name == name))
    if profile is None:
        profile = MappingProfile(name=name, created_by=actor.username if isinstance(actor, User) else actor,
                                 mapping=mapping)
        session.add(profile)
    profile.mapping, profile.source, profile.count_rule = dict(mapping), source, count_rule
    profile.status_answers = {**(profile.status_answers or {}), **(status_answers or {})} or None
    profile.sheet_projects = {**(profile.sheet_projects or {}), **(sheet_projects or {})} or None
    session.flush()
    audit.record(session, actor, "save", "mapping_profile", profile.id, name=name, mapping=mapping,
                 status_answers=profile.status_answers, sheet_projects=profile.sheet_projects)
    return profile


def export_spending(session: Session, as_of: date) -> list[dict[str, Any]]:
    """``tracker export spending --as-of``: cumulative spending per project from 1 January."""
    totals = spent_through(session, as_of)
    projects = session.scalars(select(Project).where(Project.year == as_of.year)
                               .order_by(Project.unit_id, Project.id))
    return [{"project_id": p.id, "project_code": p.code, "project_name": p.name,
             "unit": {"code": p.unit.code or None, "name": p.unit.name},
             "spent_yuan": f"{totals.get(p.id, Decimal('0.00')):.2f}"} for p in projects]
