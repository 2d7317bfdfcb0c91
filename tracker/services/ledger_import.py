"""Importing ledger exports: preview, match, replace overlapping rows, land whole, undo.

Rules (issue 4, DOMAIN.md §1 and §4):
- which rows count is decided by the reader's counting rule and kept per row with the reason;
- matching (``ledger_matching``), in order: project code in any reference column → exact name → 指标文号
  (learned from rows already matched by code or name) → the unit's saved rules → unmatched;
- the identical file again changes nothing (sha256); a newer export of the same unit and source
  supersedes the older rows inside the period it covers, and undo restores them;
- a unit counts one source (``Unit.counting_source``, set by its first import; 平行记账 must
  never be counted twice): a batch from another source is stored with each row's own counting
  decision, matched, reconciled against the counting one (``services.reconcile``) and counted
  the moment its source is chosen (``services.counting_source``); the preview and the batch's
  counted totals say what counted when it was imported;
- printed totals must equal the parsed rows unless the user overrides with a recorded reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ScalarSelect, Select, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from tracker.core.labels import ledger_reason_label
from tracker.db import utcnow
from tracker.errors import ChoiceNeeded, ImportRejected, NotFound, ValidationFailed
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.ledger import read_ledger
from tracker.importers.ledger.counting import SECOND_SOURCE
from tracker.importers.ledger.records import (LedgerColumns, LedgerFinding, LedgerParse, LedgerRows,
                                              StatedTotal, TotalsCheck, yuan)
from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import (
    LedgerBatch,
    LedgerRow,
    MappingProfile,
    Project,
    Unit,
    User,
)
from tracker.services import audit
from tracker.services.corrections import withdraw_batch
from tracker.services.ledger_lock import lock_unit
from tracker.services.ledger_matching import (SPACES, ChunkMatcher, match_rows, match_sheets,
                                              suggest_projects)
from tracker.services.ledger_preview import LedgerPreview, LedgerResult, LedgerUpload, ProjectTotal
from tracker.services.ledger_rows import insert_rows
from tracker.services.reconcile import alert_differences
from tracker.services.gc_pause import collector_paused
from tracker.services.monitoring.snapshots import ChangeSummary, summarize_changes
from tracker.services.spending import ledger_closed_through, refresh_month_totals
from tracker.services.uploads import record_schema

ZERO = Decimal("0.00")
DEFAULT_SOURCES = {"payment_list": "国库集中支付", "ledger": "财务明细账"}
# the shape of a stored parse (``uploads.save_result``): a field added to a record changes it
PARSE_SCHEMA = record_schema(LedgerParse, ParsedRow, LedgerColumns, LedgerFinding, StatedTotal)


# --- preview ----------------------------------------------------------------------------


def resolve_unit(session: Session, unit: str | int | None, parse: LedgerParse | None = None) -> Unit:
    """Find the unit by id, code, name or "code name"; else by the unit line of the export."""
    if isinstance(unit, int) and not isinstance(unit, bool):  # an id, as a confirm repeats it
        found_unit = session.get(Unit, unit)
        if found_unit is None:
            raise ValidationFailed(f"单位 {unit} 不存在")
        return found_unit
    units = list(session.scalars(select(Unit)))
    if unit not in (None, ""):
        text = str(unit).strip()
        found = [u for u in units if str(u.id) == text or u.name == text or u.label == text
                 or (u.code and u.code == text)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValidationFailed(f"单位“{text}”不唯一（{'、'.join(u.label for u in found)}），"
                                   "请用单位 ID 或“编码 名称”指定")
        raise ValidationFailed(f"找不到单位“{text}”")
    candidates: list[str] = []
    if parse is not None:
        if parse.unit_name:
            candidates.append(parse.unit_name)
        named = Counter(name for name in parse.columns.unit_name if name)
        candidates.extend(name for name, _ in named.most_common(3))
    for text in candidates:
        squeezed = SPACES.sub("", text)
        found = [u for u in units if u.name and u.name in squeezed]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:  # prefer the one whose code is printed too
            coded = [u for u in found if u.code and u.code in squeezed]
            if len(coded) == 1:
                return coded[0]
    raise ChoiceNeeded("无法从文件确定所属单位，请指定单位", location=parse.file if parse else None,
                       choice="unit")


def _declared_period(text: str | None) -> tuple[date, date] | None:
    if not text:
        return None
    try:
        start_text, end_text = text.split("..", 1)
        start, end = date.fromisoformat(start_text.strip()), date.fromisoformat(end_text.strip())
    except ValueError:
        raise ValidationFailed(f"期间“{text}”格式应为 YYYY-MM-DD..YYYY-MM-DD") from None
    if end < start:
        raise ValidationFailed(f"期间“{text}”的结束日期早于开始日期")
    return start, end


def prepare(session: Session, upload: LedgerUpload, *, unit: str | int | None = None,
            source: str | None = None, profile: str | None = None, period: str | None = None,
            mapping: dict[str, str] | None = None, statuses: dict[str, bool] | None = None,
            sheet_projects: dict[str, int] | None = None,
            limits: FileLimits = DEFAULT_LIMITS) -> LedgerPreview:
    """Read and match a ledger export without writing anything.  (A big export is millions
    of small objects without cycles: the cyclic collector waits meanwhile, as in monitoring.)
    ``statuses`` (支付状态 text → whether the money left) and ``sheet_projects`` (sheet name →
    project id) answer what the preview asked; a ``profile``'s saved answers apply first.
    ``limits``: the hostile-file caps (``Config.file_limits``)."""
    with collector_paused():
        return _prepare(session, upload, unit=unit, source=source, profile=profile, period=period,
                        mapping=mapping, statuses=statuses, sheet_projects=sheet_projects,
                        limits=limits)


def _prepare(session: Session, upload: LedgerUpload, *, unit: str | int | None, source: str | None,
             profile: str | None, period: str | None, mapping: dict[str, str] | None,
             statuses: dict[str, bool] | None, sheet_projects: dict[str, int] | None,
             limits: FileLimits) -> LedgerPreview:
    mapping, count_rule, source, status_answers, sheet_answers = profile_answers(
        session, profile, mapping, source, statuses)
    parse = read_ledger(upload.name, upload.data, mapping=mapping or None, limits=limits,
                        status_answers=status_answers,
                        **({"count_rule": count_rule} if count_rule else {}))
    return _match(session, upload, parse, unit=unit, source=source, period=period,
                  status_answers=status_answers, sheet_answers=sheet_answers, sheet_projects=sheet_projects)


def profile_answers(session: Session, profile: str | None, mapping: dict[str, str] | None,
                    source: str | None, statuses: dict[str, bool] | None
                    ) -> tuple[dict[str, str] | None, str | None, str | None, dict[str, bool], dict[str, int]]:
    """A saved ``profile``'s mapping, counting rule, source and answers, under the ones given:
    (mapping, count rule, source, 支付状态 answers, sheet → project answers)."""
    count_rule = None
    status_answers: dict[str, bool] = {}
    sheet_answers: dict[str, int] = {}
    if profile:
        saved = session.scalar(select(MappingProfile).where(MappingProfile.name == profile))
        if saved is None:
            raise ValidationFailed(f"找不到映射方案“{profile}”")
        mapping = {**saved.mapping, **(mapping or {})}
        count_rule = saved.count_rule
        source = source or saved.source
        status_answers.update(saved.status_answers or {})
        sheet_answers.update(saved.sheet_projects or {})
    status_answers.update(statuses or {})
    return mapping, count_rule, source, status_answers, sheet_answers


def _match(session: Session, upload: LedgerUpload, parse: LedgerParse, *, unit: str | int | None,
           source: str | None, period: str | None, status_answers: dict[str, bool],
           sheet_answers: dict[str, int], sheet_projects: dict[str, int] | None,
           matched: ChunkMatcher | None = None) -> LedgerPreview:
    """Everything a preview decides from the database about a parse: unit, period, projects,
    matches, the answers for sheets, the counting source, duplicates and rows to replace."""
    if not parse.rows:
        raise ImportRejected("文件中没有交易行（只有表头或合计行），未导入任何数据", location=upload.name)
    target_unit = resolve_unit(session, unit, parse)
    stated_unit = SPACES.sub("", parse.unit_name or "")
    if stated_unit and target_unit.name not in stated_unit and stated_unit not in target_unit.name:
        raise ChoiceNeeded(f"文件注明的单位“{parse.unit_name}”与所选单位“{target_unit.label}”不符，"
                           "文件可能属于其他单位，未导入任何数据", location=upload.name)
    # the period is decided here (stated, declared or from the transactions), and said here
    findings = [{"severity": f.severity, "code": f.code, "location": f.location, "message": f.message}
                for f in parse.findings if f.code != "period_from_transactions"]
    dates = parse.columns.date
    distinct_dates = set(dates)
    declared = _declared_period(period)
    if parse.period is not None and parse.period_source == "stated":
        chosen, period_source = parse.period, "stated"
        if declared and declared != parse.period:
            findings.append(_finding("warning", "period_declared_differs", upload.name,
                                     f"文件注明期间 {parse.period[0]}—{parse.period[1]}，与指定的 {declared[0]}—{declared[1]} 不同，按文件注明的期间处理"))
    elif declared is not None:
        chosen, period_source = declared, "declared"
    else:
        chosen, period_source = (min(distinct_dates), max(distinct_dates)), "transactions"
        findings.append(_finding("warning", "period_from_transactions", upload.name,
                                 f"文件未注明期间，按首末交易日期 {chosen[0]}—{chosen[1]} 确定，请确认"))
    outside = [] if chosen[0] <= min(distinct_dates) and max(distinct_dates) <= chosen[1] else \
        [i for i, d in enumerate(dates) if not chosen[0] <= d <= chosen[1]]
    if outside:
        r = parse.rows[outside[0]]
        raise ChoiceNeeded(f"交易日期 {r.date} 不在期间 {chosen[0]}—{chosen[1]} 内（共 {len(outside)} 行），未导入任何数据",
                           location=f"文件 {upload.name} 工作表 {r.sheet} 第{r.row}行 日期列")
    years = sorted({d.year for d in distinct_dates})
    projects = list(session.scalars(select(Project).where(Project.unit_id == target_unit.id,
                                                          Project.year.in_(years))))
    if not projects:
        known = sorted(set(session.scalars(select(Project.year).where(Project.unit_id == target_unit.id))))
        raise ChoiceNeeded(
            f"单位“{target_unit.label}”没有 {'、'.join(map(str, years))} 年度的项目"
            + (f"（已有年度：{'、'.join(map(str, known))}）" if known else "（尚未导入绩效目标表）")
            + "；文件可能属于其他年度或单位，未导入任何数据", location=upload.name)
    source = source or DEFAULT_SOURCES[parse.source_kind]
    matches = match_rows(session, target_unit, projects, parse.rows, matched)
    by_id = {p.id: p for p in projects}
    wrong = [sheet for sheet, pid in (sheet_projects or {}).items() if pid not in by_id]
    if wrong:
        raise ValidationFailed(f"为工作表“{wrong[0]}”选择的项目不是单位“{target_unit.label}”"
                               f"{'、'.join(map(str, years))} 年度的项目，请重新选择")
    sheet_answers.update(sheet_projects or {})
    match_sheets(parse, matches, findings, {sheet: by_id[pid] for sheet, pid in sheet_answers.items()
                                             if pid in by_id and sheet in parse.sheets_without_project})
    # one tuple per distinct (counts, reason): a million rows hold a million references, not
    # a million tuples (64 MB)
    pairs: dict[tuple[bool, str | None], tuple[bool, str | None]] = {}
    counting = [pairs.setdefault(pair, pair)
                for pair in zip(parse.columns.counts, parse.columns.not_counted_reason)]
    preview = LedgerPreview(upload, parse, target_unit, source, chosen, period_source, matches,
                            counting, None, 0, findings)
    preview.read_counting = counting
    preview.status_answers = status_answers
    preview.sheet_projects = {sheet: pid for sheet, pid in sheet_answers.items() if pid in by_id}
    preview.choosable_projects = sorted(projects, key=lambda p: (-p.year, p.code or "", p.name))
    _read_state(session, preview)
    preview.project_totals = _project_totals(preview, {p.id: p for p in projects})
    # keyed by the text that names the project, as the unmatched queue groups rows
    preview.suggestions = suggest_projects(
        [r.project_ref_raw or r.project_name or r.project_code or r.summary or "" for r in preview.unmatched()],
        projects)
    return preview


def preview_plan(preview: LedgerPreview, *, profile: str | None, period: str | None,
                 parse: str | None = None) -> dict[str, Any]:
    """What a preview decided, to be repeated by its confirmation (issue #21 6b): the unit and
    source it resolved, the mapping it read with, the answers to its questions, the options it
    was given, what it showed, and ``parse``: the id its parse is kept under."""
    return {"checksum": preview.upload.checksum, "parse": parse, "unit_id": preview.unit.id, "source": preview.source,
            "profile": profile, "period": period, "mapping": dict(preview.parse.mapping),
            "statuses": dict(preview.status_answers), "sheet_projects": dict(preview.sheet_projects),
            "shown": _shown(preview)}


def _shown(preview: LedgerPreview) -> dict[str, Any]:
    return {"unit_id": preview.unit.id, "source": preview.source,
            "period": [d.isoformat() for d in preview.period], "transactions": preview.transactions,
            "counted_rows": preview.counted_rows, "counted_total": f"{preview.counted_total:.2f}",
            "matched_rows": preview.matched_rows, "replaced_rows": preview.replaced_rows}


def prepare_as_previewed(session: Session, upload: LedgerUpload, parse: LedgerParse, plan: dict[str, Any]
                         ) -> tuple[LedgerPreview, bool]:
    """The preview ``plan`` was made from, made again for its confirmation from the ``parse``
    it read (kept by ``uploads.save_result``; the file is not read again): same unit, source,
    period, mapping and answers, whatever the form's defaults were, matched against the
    database as it is now.  Returns it and whether what it shows differs from what was shown
    (the data changed meanwhile: a project, a rule, another import, the counting source)."""
    if upload.checksum != plan.get("checksum"):
        raise ValidationFailed("文件与预览时不同，请重新上传并预览")
    with collector_paused():
        preview = _match(session, upload, parse, unit=int(plan["unit_id"]), source=plan["source"],
                         period=plan.get("period"), status_answers=dict(plan.get("statuses") or {}),
                         sheet_answers={}, sheet_projects=_valid_sheets(session, plan))
    return preview, _shown(preview) != plan["shown"]


def parse_to_keep(parse: LedgerParse) -> LedgerParse:
    """The parse as a preview keeps it for its confirmation: rows held column by column (money
    as integer 分), as the columnar reader gives them — a fifth of the size of frozen rows."""
    if isinstance(parse.rows, LedgerRows):
        return parse
    return replace(parse, rows=LedgerRows(parse.columns))


def _valid_sheets(session: Session, plan: dict[str, Any]) -> dict[str, int]:
    """The plan's sheet answers whose project still exists (one deleted meanwhile is asked
    again: the confirm then differs from the preview and shows it anew)."""
    answers = {str(k): int(v) for k, v in (plan.get("sheet_projects") or {}).items()}
    existing = set(session.scalars(select(Project.id).where(Project.id.in_(answers.values()))))
    return {sheet: pid for sheet, pid in answers.items() if pid in existing}


def _read_state(session: Session, preview: LedgerPreview, *, first: bool = True) -> None:
    """What the preview decides from the rows already stored: the unit's counting source (the
    rows of another source are kept but do not count now), an active batch of the same file, and how
    many rows the import would replace.  Read again by ``commit`` under the unit's lock
    (``first=False``: the rows to replace are then counted by ``_supersede`` itself)."""
    unit_id, source = preview.unit_id, preview.source
    counting_source = _effective_counting_source(session, unit_id, source)
    if first or counting_source != preview.counting_source:
        counting = preview.read_counting
        findings = [f for f in preview.findings if f["code"] != "second_source"]
        if counting_source is not None and counting_source != source:
            second = (False, ledger_reason_label(SECOND_SOURCE, source=counting_source))
            counting = [second if counts else (counts, reason) for counts, reason in counting]
            findings.append(_finding(
                "warning", "second_source", preview.upload.name,
                f"本单位以“{counting_source}”为支出口径，“{source}”的行导入后保存并参与对账，暂不计入支出；"
                "可在“台账对账”页改选计数来源"))
        preview.counting, preview.findings, preview.counting_source = counting, findings, counting_source
        for name in ("counted_flags", "counted_rows", "counted_total", "month_sums", "matched_rows"):
            preview.__dict__.pop(name, None)  # cached from the counting before
    preview.duplicate_of = _active_duplicate(session, unit_id, preview.upload.checksum)
    if not first:
        return
    older = _replaceable_batches(unit_id, source)
    preview.replaced_rows = 0
    # the rows are counted only when there is a batch to replace: without one (a unit's first
    # import of the source) the count would read every row for nothing — the one-step import
    # has set the ledger_row indexes aside by now
    if session.scalar(older.limit(1)) is not None:
        preview.replaced_rows = session.scalar(select(func.count(LedgerRow.id)).where(
            LedgerRow.unit_id == unit_id, LedgerRow.superseded_by_batch_id.is_(None),
            LedgerRow.date >= preview.period[0], LedgerRow.date <= preview.period[1],
            LedgerRow.batch_id.in_(older))) or 0


def _replaceable_batches(unit_id: int, source: str, batch_id: int | None = None) -> Select[tuple[int]]:
    """The active batches of ``unit_id`` and ``source`` (but ``batch_id``): those whose rows an
    import of that unit and source replaces inside its period."""
    query = select(LedgerBatch.id).where(LedgerBatch.unit_id == unit_id, LedgerBatch.source == source,
                                         LedgerBatch.status == "active")
    return query if batch_id is None else query.where(LedgerBatch.id != batch_id)


def _active_duplicate(session: Session, unit_id: int, checksum: str) -> int | None:
    """An active batch of this unit holding the same file (same sha256), if any."""
    return session.scalar(select(LedgerBatch.id).where(
        LedgerBatch.checksum == checksum, LedgerBatch.unit_id == unit_id,
        LedgerBatch.status == "active").order_by(LedgerBatch.id).limit(1))


def _finding(severity: str, code: str, location: str, message: str) -> dict[str, str]:
    return {"severity": severity, "code": code, "location": location, "message": message}


def _counting_source(session: Session, unit_id: int) -> str | None:
    """The source whose rows count for this unit (``Unit.counting_source``; None before its
    first import)."""
    return session.scalar(select(Unit.counting_source).where(Unit.id == unit_id))


def _effective_counting_source(session: Session, unit_id: int, importing: str | None = None) -> str | None:
    """The unit's counting source once settled: the stored one while it has an active batch,
    else the source of the unit's first active batch, else ``importing`` (the first imported
    stays the default)."""
    current = _counting_source(session, unit_id)
    if current is not None and session.scalar(select(LedgerBatch.id).where(
            LedgerBatch.unit_id == unit_id, LedgerBatch.source == current,
            LedgerBatch.status == "active").limit(1)) is not None:
        return current
    first = session.scalar(select(LedgerBatch.source).where(
        LedgerBatch.unit_id == unit_id, LedgerBatch.status == "active").order_by(LedgerBatch.id).limit(1))
    return first or importing or current


def _settle_counting_source(session: Session, unit_id: int, importing: str | None = None) -> bool:
    """Store ``_effective_counting_source``; returns whether it changed (every project of the
    unit then counts other rows)."""
    chosen = _effective_counting_source(session, unit_id, importing)
    if chosen == _counting_source(session, unit_id):
        return False
    session.execute(update(Unit).where(Unit.id == unit_id).values(counting_source=chosen)
                    .execution_options(synchronize_session="fetch"))
    return True


def _project_totals(preview: LedgerPreview, projects: dict[int, Project]) -> list[ProjectTotal]:
    rows: Counter[int] = Counter()
    cents: Counter[int] = Counter()
    for (pid, _), (total, count) in preview.month_sums.items():
        rows[pid] += count
        cents[pid] += total
    return [ProjectTotal(pid, projects[pid].code, projects[pid].name, rows[pid], yuan(cents[pid]))
            for pid in sorted(rows, key=lambda p: (projects[p].code or "", projects[p].name))]


# --- commit -----------------------------------------------------------------------------


def commit(session: Session, preview: LedgerPreview, actor: User | str,
           override_reason: str | None = None, *, today: date | None = None,
           waiting: Callable[[], None] | None = None) -> LedgerResult:
    """Write the previewed batch (flush only; the caller commits, so it lands whole or not).

    The first statement takes the unit's import lock (``ledger_lock``; ``waiting`` is called
    once if that takes more than a second), and everything the preview read from the
    database — duplicate, counting source, rows to replace — is read again under it, so two
    imports of one unit at the same moment land one after the other: the second finds the
    first (已导入过) or replaces its rows.  On SQLite call it at the start of a transaction."""
    waited = lock_unit(session, preview.unit_id, waiting=waiting)
    with collector_paused():
        result = _commit(session, preview, actor, override_reason, today=today)
    result.waited = waited
    return result


def _duplicate(preview: LedgerPreview, batch_id: int | None) -> LedgerResult:
    where = f"（批次 {batch_id}）" if batch_id is not None else ""
    return LedgerResult(None, preview, False, f"同一文件已导入过{where}，未做任何改动")


def _commit(session: Session, preview: LedgerPreview, actor: User | str,
            override_reason: str | None, *, today: date | None) -> LedgerResult:
    # the unit's first import (or the first since its counting source lost every batch) makes
    # its source the counting one, before the preview's counting is read again under the lock
    source_moved = _settle_counting_source(session, preview.unit_id, preview.source)
    _read_state(session, preview, first=False)
    if preview.duplicate_of is not None:
        return _duplicate(preview, preview.duplicate_of)
    check = preview.parse.totals_check()
    refused = totals_refused(preview, override_reason, check)
    if refused is not None:
        return refused
    batch = LedgerBatch(**batch_fields(preview, actor, override_reason, check))
    closed_before = ledger_closed_through(session, [preview.unit_id]).get(preview.unit_id)
    try:
        with session.begin_nested():  # the partial unique index: one active batch per file
            session.add(batch)
    except IntegrityError:
        holder = session.scalar(select(LedgerBatch.id).where(
            LedgerBatch.unit_id == preview.unit_id, LedgerBatch.source == preview.source,
            LedgerBatch.checksum == preview.upload.checksum, LedgerBatch.status == "active"))
        if holder is None:  # another constraint
            raise
        return _duplicate(preview, holder)
    return land(session, preview, batch, actor, source_moved=source_moved,
                closed_before=closed_before, today=today)


def totals_refused(preview: LedgerPreview, override_reason: str | None,
                   check: TotalsCheck) -> LedgerResult | None:
    """The result of a file whose printed totals differ from its rows (``check``: the parse's
    ``totals_check()``, a pass over every row), unless overridden."""
    if check.ok is False and not (override_reason and override_reason.strip()):
        return LedgerResult(None, preview, False,
                            "印刷合计与解析出的交易行不一致，未导入；核对无误后可填写理由强制导入。" + check.explanation)
    return None


def batch_fields(preview: LedgerPreview, actor: User | str, override_reason: str | None,
                 check: TotalsCheck) -> dict[str, Any]:
    """The ``LedgerBatch`` of a preview, column by column."""
    return dict(
        unit_id=preview.unit_id, source=preview.source, source_kind=preview.parse.source_kind,
        file_name=preview.upload.name, checksum=preview.upload.checksum,
        period_start=preview.period[0], period_end=preview.period[1],
        period_source=preview.period_source,
        user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.username if isinstance(actor, User) else actor,
        rows_read=preview.parse.rows_read, transactions=preview.transactions,
        summary_rows_skipped=preview.parse.summary_rows_skipped,
        counted_rows=preview.counted_rows, counted_total=preview.counted_total,
        matched_rows=preview.matched_rows, unmatched_rows=preview.unmatched_rows,
        totals_stated=check.stated, totals_parsed=check.parsed, totals_ok=check.ok,
        totals_override_reason=override_reason.strip() if check.ok is False and override_reason else None,
        mapping=dict(preview.parse.mapping), findings=preview.findings)


def land(session: Session, preview: LedgerPreview, batch: LedgerBatch, actor: User | str, *,
         source_moved: bool, closed_before: date | None, today: date | None,
         written: Callable[[], None] | None = None) -> LedgerResult:
    """A batch added: the rows it replaces, the month totals, its rows (``written``: already
    written by the caller, which finishes them here, after the month totals were read without
    them), the audit, reconciliation and the status changes."""
    affected = _supersede(session, batch)
    batch.replaced_rows = sum(affected.values())
    if source_moved:  # every project of the unit now counts other rows
        affected.update(dict.fromkeys(_unit_projects(session, preview.unit_id), 0))
    # the monthly totals before the rows are written: the query then reads only older rows,
    # and this batch's own (counted, matched) rows are summed from the columns in memory
    touched = (set(preview.project_ids) - {None}) | set(affected)
    refresh_month_totals(session, touched, adding=preview.month_sums)
    # the rows keep their own decision: counted the moment their source is chosen
    if written is None:
        insert_rows(session, batch, preview.parse.rows, preview.matches, preview.read_counting)
    else:
        written()
    audit.record(session, actor, "import", "ledger_batch", batch.id, file=batch.file_name,
                 checksum=batch.checksum, rows=batch.transactions, counted=batch.counted_rows,
                 replaced=batch.replaced_rows, override=batch.totals_override_reason)
    differences = alert_differences(session, preview.unit_id)
    changes = None
    if today is not None:
        touched |= _coverage_changed(session, preview.unit_id, closed_before, today)
        changes = summarize_changes(session, touched, today)
    return LedgerResult(batch, preview, True, changes=changes, differences=len(differences))


def _coverage_changed(session: Session, unit_id: int, closed_before: date | None,
                      today: date) -> set[int]:
    """Every project of ``unit_id`` (of the years a summary evaluates: last year and this
    one) when the unit's ledger coverage (``closed_through``, per unit over its sources) is not
    what it was before this import or undo: their checkpoints may be covered now (or no
    more), whether or not the file had rows of theirs."""
    if ledger_closed_through(session, [unit_id]).get(unit_id) == closed_before:
        return set()
    return set(session.scalars(select(Project.id).where(
        Project.unit_id == unit_id, Project.year.in_([today.year - 1, today.year]))))


def _supersede(session: Session, batch: LedgerBatch) -> dict[int, int]:
    """Mark older active rows of the same unit and source inside the period as replaced.
    Returns replaced-row counts per project (None-project rows are counted under 0)."""
    older = _replaceable_batches(batch.unit_id, batch.source, batch.id)
    if session.scalar(older.limit(1)) is None:  # nothing to replace: the rows are not read
        return {}
    condition = (LedgerRow.batch_id.in_(older), LedgerRow.superseded_by_batch_id.is_(None),
                 LedgerRow.date >= batch.period_start, LedgerRow.date <= batch.period_end)
    counts = {pid or 0: n for pid, n in session.execute(
        select(LedgerRow.project_id, func.count(LedgerRow.id)).where(*condition).group_by(LedgerRow.project_id))}
    if counts:  # (none counted: the same condition under the unit's lock updates none)
        session.execute(update(LedgerRow).where(*condition).values(superseded_by_batch_id=batch.id)
                        .execution_options(synchronize_session=False))
    return counts


def _unit_projects(session: Session, unit_id: int) -> list[int]:
    return list(session.scalars(select(Project.id).where(Project.unit_id == unit_id)))


def affected_projects(session: Session, batch_id: int) -> list[int]:
    return list(session.scalars(select(LedgerRow.project_id).where(
        LedgerRow.batch_id == batch_id, LedgerRow.project_id.is_not(None)).distinct()))


def undo(session: Session, batch_id: int, actor: User | str, *, today: date | None = None,
         waiting: Callable[[], None] | None = None) -> tuple[LedgerBatch, ChangeSummary | None, float]:
    """Undo a batch: its rows stop counting, and the rows it replaced count again unless
    another active batch still replaces them (see ``_replacing_batch``).  Takes the unit's
    import lock first (``ledger_lock``); returns the batch, the status changes and the
    seconds waited for the lock."""
    def unit_of_batch() -> int:
        unit_id = session.scalar(select(LedgerBatch.unit_id).where(LedgerBatch.id == batch_id))
        if unit_id is None:
            raise NotFound(f"批次 {batch_id} 不存在")
        return unit_id

    waited = lock_unit(session, unit_of_batch, waiting=waiting)
    batch = session.scalar(select(LedgerBatch).where(LedgerBatch.id == batch_id)
                           .execution_options(populate_existing=True))  # as it is now, under the lock
    if batch is None:
        raise NotFound(f"批次 {batch_id} 不存在")
    if batch.status != "active":
        raise ValidationFailed(f"批次 {batch_id} 已由 {batch.undone_by} 撤销")
    later = session.scalar(select(LedgerRow.superseded_by_batch_id).where(
        LedgerRow.batch_id == batch.id, LedgerRow.superseded_by_batch_id.is_not(None)).limit(1))
    if later is not None:
        raise ValidationFailed(f"批次 {batch_id} 的部分行已被较新的批次 {later} 替换，请先撤销批次 {later}")
    touched = set(affected_projects(session, batch.id))
    touched |= set(session.scalars(select(LedgerRow.project_id).where(
        LedgerRow.superseded_by_batch_id == batch.id, LedgerRow.project_id.is_not(None)).distinct()))
    closed_before = ledger_closed_through(session, [batch.unit_id]).get(batch.unit_id)
    batch.status = "undone"
    batch.undone_at = utcnow()
    batch.undone_by = actor.username if isinstance(actor, User) else actor
    session.flush()
    session.execute(update(LedgerRow).where(LedgerRow.superseded_by_batch_id == batch.id)
                    .values(superseded_by_batch_id=_replacing_batch())
                    .execution_options(synchronize_session=False))
    # the unit's counting source lost its last active batch: the first remaining source counts
    source_moved = _settle_counting_source(session, batch.unit_id)
    if source_moved:
        touched |= set(_unit_projects(session, batch.unit_id))
    refresh_month_totals(session, touched)
    closed_after = ledger_closed_through(session, [batch.unit_id]).get(batch.unit_id)
    withdrawn = withdraw_batch(session, batch, touched, closed_before, closed_after)
    audit.record(session, actor, "undo", "ledger_batch", batch.id, file=batch.file_name,
                 withdrawn_snapshots=withdrawn.snapshots, withdrawn_alerts=withdrawn.alerts,
                 **({"counting_source": _counting_source(session, batch.unit_id)} if source_moved else {}))
    changes = None
    if today is not None:
        touched |= _coverage_changed(session, batch.unit_id, closed_before, today)
        changes = summarize_changes(session, touched, today,
                                    withdrawn=(withdrawn.snapshots, withdrawn.alerts))
    return batch, changes, waited


def _replacing_batch() -> ScalarSelect[int | None]:
    """For a ledger row (correlated): the first active batch that replaces it, or NULL.

    Replacement is many-to-many: a row is replaced by every active batch of its unit and
    source imported after its own batch whose period covers the row's date (a 1-7月 export
    replaces the 1-6月 rows; a full-year list and a 1-6月 re-export imported after it both
    replace January–June of an older list).  ``superseded_by_batch_id`` keeps one of them
    (the first) so that counting stays a column test; an import sets it on the rows that
    counted, and an undo sets it again, from this, on the rows that pointed at the undone
    batch: they count again only when no other active batch still replaces them."""
    own = aliased(LedgerBatch)
    newer = aliased(LedgerBatch)
    return (select(func.min(newer.id)).select_from(own).join(newer, and_(
        newer.unit_id == own.unit_id, newer.source == own.source, newer.id > own.id))
        .where(own.id == LedgerRow.batch_id, newer.status == "active",
               newer.period_start <= LedgerRow.date, newer.period_end >= LedgerRow.date)
        .scalar_subquery())
