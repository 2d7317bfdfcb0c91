"""The unmatched queue: counted rows no project claimed, waiting for finance to assign them.

A queue after a big import holds tens of thousands of rows, most of them repeating a few texts,
so the queue is shown in groups: rows whose 项目 / 辅助核算 text (or, without one, whose 摘要 with
its digits set aside) is the same form one group, and one decision assigns the whole group and
may be saved as a rule on that text.  Groups carry the fuzzy suggestions of the preview and are
paged; the totals (rows, amount) are of the whole queue."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from tracker.errors import NotFound, ValidationFailed
from tracker.models import LedgerBatch, LedgerRow, LedgerText, MappingProfile, MatchRule, Project, Unit, User
from tracker.services import audit
from tracker.services.ledger_matching import rule_applies, suggest_projects
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


GROUPS_PER_PAGE = 50
#: the kinds of text a group is named by: the row's project reference, its 摘要 pattern, nothing
PROJECT_TEXT, SUMMARY_PATTERN, NO_TEXT = "project", "summary", "none"
_DIGITS = re.compile(r"[0-9０-９]+")
_SPACES = re.compile(r"\s+")
_CHUNK = 900  # ids per IN (…): under SQLite's limit of bound parameters


def summary_pattern(summary: str | None) -> str:
    """A 摘要 with its numbers set aside (``#``) and spaces removed: 付3月电费 and 付4月电费 are one
    pattern, 付#月电费."""
    return _DIGITS.sub("#", _SPACES.sub("", summary or ""))


def rule_keyword_of(pattern: str) -> str:
    """The longest run of a 摘要 pattern without a number: the 摘要 keyword a rule is offered."""
    return max(pattern.split("#"), key=len, default="")


@dataclass(frozen=True)
class QueueRow:
    """What the queue reads of an unmatched row (light: no ORM object per row)."""

    id: int
    unit_id: int
    date: date
    amount: Decimal
    summary: str | None
    account_code: str | None
    project_ref_raw: str | None
    project_name: str | None
    project_code: str | None

    @property
    def key(self) -> tuple[int, str, str]:
        """(unit, kind, text): the group of the row."""
        for text in (self.project_ref_raw, self.project_name, self.project_code):
            if text and text.strip():
                return self.unit_id, PROJECT_TEXT, _SPACES.sub("", text)
        pattern = summary_pattern(self.summary)
        return (self.unit_id, SUMMARY_PATTERN, pattern) if pattern else (self.unit_id, NO_TEXT, "")


@dataclass
class QueueGroup:
    unit_id: int
    kind: str  # PROJECT_TEXT / SUMMARY_PATTERN / NO_TEXT
    text: str
    rows: int = 0
    amount: Decimal = Decimal("0.00")
    first_date: date | None = None
    last_date: date | None = None
    row_ids: list[int] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    suggestions: list[tuple[str, int, float]] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)  # those it may be assigned to
    unit_label: str = ""

    @property
    def rule_keyword(self) -> str:
        return rule_keyword_of(self.text) if self.kind == SUMMARY_PATTERN else ""


@dataclass
class QueuePage:
    """One page of the grouped queue, with the totals of the whole queue."""

    rows: int
    amount: Decimal
    group_count: int
    groups: list[QueueGroup]
    page: int
    pages: int


def _queue_rows(session: Session, unit_ids: Sequence[int] | None = None) -> Iterator[QueueRow]:
    """Every unmatched row, light; the reference texts read once per distinct text."""
    query = unmatched_query(unit_ids).with_only_columns(
        LedgerRow.id, LedgerRow.unit_id, LedgerRow.date, LedgerRow.amount, LedgerRow.summary,
        LedgerRow.account_code_text_id, LedgerRow.project_ref_raw_text_id,
        LedgerRow.project_name_text_id, LedgerRow.project_code_text_id, maintain_column_froms=True)
    raw = session.execute(query).all()
    text_ids = sorted({i for r in raw for i in r[5:9] if i is not None})
    texts: dict[int | None, str | None] = {None: None}
    for start in range(0, len(text_ids), _CHUNK):
        texts.update(session.execute(select(LedgerText.id, LedgerText.value)
                                     .where(LedgerText.id.in_(text_ids[start:start + _CHUNK]))).all())
    for r in raw:
        yield QueueRow(r[0], r[1], r[2], r[3], r[4], texts[r[5]], texts[r[6]], texts[r[7]], texts[r[8]])


def grouped(session: Session, page: int = 1, per_page: int = GROUPS_PER_PAGE) -> QueuePage:
    """The queue in groups, the largest amounts first (a group of refunds last), one page of
    them with the suggestions of the unit's projects of the rows' years."""
    groups: dict[tuple[int, str, str], QueueGroup] = {}
    total, count = Decimal("0.00"), 0
    for row in _queue_rows(session):
        key = row.key
        group = groups.get(key)
        if group is None:
            group = groups[key] = QueueGroup(*key)
        group.rows += 1
        group.amount += row.amount
        group.row_ids.append(row.id)
        group.years.add(row.date.year)
        group.first_date = min(group.first_date or row.date, row.date)
        group.last_date = max(group.last_date or row.date, row.date)
        total += row.amount
        count += 1
    ordered = sorted(groups.values(), key=lambda g: (-abs(g.amount), -g.rows, g.text))
    pages = max(1, -(-len(ordered) // per_page))
    page = min(max(page, 1), pages)
    shown = ordered[(page - 1) * per_page:page * per_page]
    labels = {u.id: u.label for u in session.scalars(
        select(Unit).where(Unit.id.in_({g.unit_id for g in shown})))}
    for group in shown:
        group.unit_label = labels.get(group.unit_id, "")
        group.projects = list(session.scalars(select(Project).where(
            Project.unit_id == group.unit_id, Project.year.in_(group.years))
            .order_by(Project.year.desc(), Project.name)))
        if group.kind != NO_TEXT:
            group.suggestions = suggest_projects([group.text], group.projects).get(group.text, [])
    return QueuePage(count, total, len(ordered), shown, page, pages)


def sample_rows(session: Session, group: QueueGroup, limit: int = 20) -> list[LedgerRow]:
    """The first rows of a group, to look at before deciding."""
    return list(session.scalars(select(LedgerRow).where(LedgerRow.id.in_(group.row_ids[:limit]))
                                .order_by(LedgerRow.date, LedgerRow.id)))


def assign_group(session: Session, unit_id: int, kind: str, text: str, project_id: int,
                 actor: User | str, *, save_rule: bool = False, rule_keyword: str | None = None
                 ) -> tuple[int, MatchRule | None, int]:
    """Assign every row of one group (as it stands now, under the unit's lock) to a project;
    optionally save the group as a rule — on the project text, or on a 摘要 keyword (default:
    the pattern's longest run without a number) — and apply it to the rest of the queue.
    Returns (rows assigned, the rule or None, how many of those the rule took from other groups)."""
    lock_unit(session, unit_id)
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"项目 {project_id} 不存在")
    if project.unit_id != unit_id:
        raise ValidationFailed("只能把行分配给同一单位的项目")
    queue = list(_queue_rows(session, [unit_id]))  # read once: the group and what a rule takes
    rows = [r for r in queue if r.key == (unit_id, kind, text)]
    if not rows:
        raise ValidationFailed("这一组已没有待匹配的行（可能已被分配、撤销或替换），请刷新后重试")
    rule = None
    if save_rule:
        if kind == PROJECT_TEXT:
            rule = _new_rule(session, project, actor, project_text=text)
        elif kind == SUMMARY_PATTERN and (keyword := (rule_keyword or rule_keyword_of(text)).strip()):
            rule = _new_rule(session, project, actor, summary_keyword=keyword)
        else:
            raise ValidationFailed("这一组的行没有项目名称或摘要，不能保存为规则；可只分配不保存规则")
    total = _assign_rows(session, project, [r.id for r in rows], actor, rule, queue)
    return total, rule, total - len(rows)


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

    if not row_ids:
        raise ValidationFailed("没有选择任何行：请勾选要分配的行，或按组分配")
    lock_unit(session, unit_of_project)  # the unit's monthly totals change: one change at a time
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"项目 {project_id} 不存在")
    rows = list(session.scalars(unmatched_query().where(LedgerRow.id.in_(row_ids))))
    if len(rows) != len(set(row_ids)):
        raise ValidationFailed("部分行不在待匹配队列中（已被分配、撤销或替换），请刷新后重试")
    if any(r.unit_id != project.unit_id for r in rows):
        raise ValidationFailed("只能把行分配给同一单位的项目")
    rule = None
    if rule_account_prefix or rule_keyword:
        rule = _new_rule(session, project, actor, account_prefix=rule_account_prefix,
                         summary_keyword=rule_keyword, valid_from=rule_from, valid_to=rule_to)
    return _assign_rows(session, project, [r.id for r in rows], actor, rule), rule


def _new_rule(session: Session, project: Project, actor: User | str, **conditions: Any) -> MatchRule:
    texts = ("account_prefix", "summary_keyword", "project_text")
    rule = MatchRule(unit_id=project.unit_id, project_id=project.id,
                     created_by=actor.username if isinstance(actor, User) else actor,
                     **{k: ((v or "").strip() or None) if k in texts else v for k, v in conditions.items()})
    session.add(rule)
    session.flush()
    return rule


def _assign_rows(session: Session, project: Project, row_ids: list[int], actor: User | str,
                 rule: MatchRule | None, queue: Sequence[QueueRow] | None = None) -> int:
    """Set the project of the chosen rows (manual) and of the queue rows the new rule matches
    (rule), in bulk; refresh the project's monthly totals; one audit entry.  ``queue``: the
    unit's queue as the caller already read it under the unit's lock (read here otherwise)."""
    chosen = set(row_ids)
    by_rule: list[int] = []
    if rule is not None:
        rows = queue if queue is not None else _queue_rows(session, [project.unit_id])
        by_rule = [r.id for r in rows if r.id not in chosen and rule_applies(rule, r)]
    session.flush()
    for ids, method in ((row_ids, "manual"), (by_rule, "rule")):
        for start in range(0, len(ids), _CHUNK):
            session.execute(update(LedgerRow).where(LedgerRow.id.in_(ids[start:start + _CHUNK]))
                            .values(project_id=project.id, match_method=method)
                            .execution_options(synchronize_session=False))
    session.expire_all()  # rows loaded before see their project
    refresh_month_totals(session, [project.id])
    audit.record(session, actor, "assign", "ledger_row", None, project_id=project.id,
                 rows=row_ids + by_rule, rule_id=rule.id if rule else None)
    return len(row_ids) + len(by_rule)


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
