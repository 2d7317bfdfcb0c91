"""Importing 绩效目标 documents: preview what would change, then apply it in one transaction.

Natural key of a project: unit + year + project code, or the name where the code is missing.
Importing the same document again changes nothing; a corrected document updates the projects
in place and each change is written to the audit log with the old and new values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from tracker.core.plan import default_plan_for
from tracker.core.settings import MonitoringSettings
from tracker.errors import ImportRejected
from tracker.importers.target_records import (DepartmentTexts, Finding, IndicatorRecord, Location,
                                              ProjectRecord, TargetDocument, TargetValue, UnitRecord)
from tracker.importers.target_records import PlanPoint as TargetPlanPoint
from tracker.importers.target_review import quality_score, review_document
from tracker.importers.target_values import display_text
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.targets import read_target_document
from tracker.models import (
    DepartmentYear,
    Indicator,
    PlanPoint,
    Project,
    ProjectFinding,
    TargetImport,
    Unit,
    User,
)
from tracker.services import audit, department
from tracker.services.settings import monitoring_settings
from tracker.services.uploads import UploadedFile, record_schema

WAN = Decimal(10000)
# the shape of stored documents (``uploads.save_result``): a field added to a record changes it
DOCUMENTS_SCHEMA = record_schema(TargetDocument, ProjectRecord, IndicatorRecord, TargetValue, TargetPlanPoint,
                                 Finding, Location, UnitRecord, DepartmentTexts)
FOUR_PLACES = Decimal("0.0001")


@dataclass
class ProjectChange:
    """What importing one project record would do to the database."""

    record: ProjectRecord
    status: str  # "created" / "updated" / "unchanged"
    existing_id: int | None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (old, new)
    findings: tuple[Finding, ...] = ()
    score: int = 100
    score_reasons: tuple[str, ...] = ()


@dataclass
class DocumentPlan:
    upload: UploadedFile
    document: TargetDocument
    year: int
    findings: list[Finding]  # document-level, including database-level checks
    projects: list[ProjectChange]


@dataclass
class ImportPlan:
    documents: list[DocumentPlan]

    def count(self, status: str) -> int:
        return sum(1 for d in self.documents for p in d.projects if p.status == status)

    @property
    def all_findings(self) -> list[Finding]:
        found: list[Finding] = []
        for document in self.documents:
            found.extend(document.findings)
            for project in document.projects:
                found.extend(project.findings)
        return found


def read_documents(files: Sequence[UploadedFile], year: int | None,
                   limits: FileLimits = DEFAULT_LIMITS) -> list[TargetDocument]:
    """Parse and review every file; any unreadable file rejects the whole set."""
    documents = []
    for upload in files:
        document = review_document(read_target_document(upload.name, upload.data, year=year,
                                                        limits=limits))
        if year is None and document.year is None:
            raise ImportRejected("无法从文件中确定年度，请指定年度（--year）后重试",
                                 location=upload.name)
        documents.append(document)
    return documents


def plan_import(session: Session, files: Sequence[UploadedFile], year: int | None = None, *,
                limits: FileLimits = DEFAULT_LIMITS) -> ImportPlan:
    """Work out, without writing anything, what importing ``files`` would change.
    ``limits``: the hostile-file caps (``Config.file_limits``)."""
    return plan_documents(session, files, read_documents(files, year, limits), year)


def plan_documents(session: Session, files: Sequence[UploadedFile], documents: Sequence[TargetDocument],
                   year: int | None = None) -> ImportPlan:
    """``plan_import`` of documents already read (``read_documents`` of ``files`` with this
    ``year``): a confirmation plans again, against the database as it is now, what its
    preview read, without reading the files again."""
    if len(documents) != len(files):
        raise ValueError("one document per file")
    plans = []
    for upload, document in zip(files, documents, strict=True):
        doc_year = year or document.year
        assert doc_year is not None
        unit = _find_unit(session, document)
        findings = list(document.findings) + _unit_code_findings(session, document)
        existing = _ExistingProjects(session, unit, doc_year)
        changes = [
            _project_change(existing, record, document.file) for record in document.projects
        ]
        plans.append(DocumentPlan(upload, document, doc_year, findings, changes))
    return ImportPlan(plans)


def apply_import(session: Session, plan: ImportPlan, actor: User | str) -> list[TargetImport]:
    """Write the planned changes (flush only; the caller commits)."""
    settings = monitoring_settings(session)
    batches = []
    for document_plan in plan.documents:
        document = document_plan.document
        unit = _find_unit(session, document) or _create_unit(session, document)
        _upsert_department_year(session, unit, document_plan.year, document)
        batch = TargetImport(
            file_name=document_plan.upload.name,
            checksum=document_plan.upload.checksum,
            layout=document.layout,
            year=document_plan.year,
            unit_id=unit.id,
            user_id=actor.id if isinstance(actor, User) else None,
            actor=actor.username if isinstance(actor, User) else actor,
            projects_created=sum(p.status == "created" for p in document_plan.projects),
            projects_updated=sum(p.status == "updated" for p in document_plan.projects),
            projects_unchanged=sum(p.status == "unchanged" for p in document_plan.projects),
            findings=[_finding_json(f) for f in document_plan.findings],
        )
        session.add(batch)
        session.flush()
        written = [(change, _write_project(session, unit, document_plan.year, change, settings, batch))
                   for change in document_plan.projects]
        session.flush()
        for change, project in written:
            if change.status == "created":
                audit.record(session, actor, "create", "project", project.id,
                             source=document.file, name=project.name, code=project.code)
            elif change.status == "updated":
                audit.record(session, actor, "update", "project", project.id, source=document.file,
                             changes={k: [_jsonable(o), _jsonable(n)]
                                      for k, (o, n) in change.changes.items()})
        audit.record(session, actor, "import", "target_import", batch.id,
                     file=batch.file_name, checksum=batch.checksum,
                     created=batch.projects_created, updated=batch.projects_updated,
                     unchanged=batch.projects_unchanged)
        batches.append(batch)
    session.flush()
    return batches


# --- units and department texts ----------------------------------------------------------


def _find_unit(session: Session, document: TargetDocument) -> Unit | None:
    return session.scalar(
        select(Unit).where(Unit.code == (document.unit.code or ""), Unit.name == document.unit.name)
    )


def _create_unit(session: Session, document: TargetDocument) -> Unit:
    unit = Unit(code=document.unit.code or "", name=document.unit.name, region=document.unit.region)
    session.add(unit)
    session.flush()
    return unit


def _unit_code_findings(session: Session, document: TargetDocument) -> list[Finding]:
    """A unit code printed by two different bodies (306001 in 唐山 and 沧州) is worth saying."""
    code = document.unit.code
    if not code:
        return []
    others = session.scalars(
        select(Unit).where(Unit.code == code, Unit.name != document.unit.name)
    ).all()
    return [
        Finding("warning", "unit_code_shared", Location(document.file),
                f"单位编码 {code} 已被“{other.name}”使用，与本文件的“{document.unit.name}”不是同一单位；"
                "系统按“编码 + 名称”区分两者，请确认没有选错单位。")
        for other in others
    ]


def _upsert_department_year(session: Session, unit: Unit, year: int, document: TargetDocument) -> None:
    record = session.scalar(
        select(DepartmentYear).where(DepartmentYear.unit_id == unit.id, DepartmentYear.year == year)
    )
    if record is None:
        record = DepartmentYear(unit_id=unit.id, year=year)
        session.add(record)
    texts = document.department
    record.overall_goal = texts.overall_goal or record.overall_goal
    record.sub_goals = texts.sub_goals or record.sub_goals
    record.safeguards = texts.safeguards or record.safeguards
    record.source_file = document.file
    session.flush()
    if texts.sub_goals or texts.indicator_rows:
        department.sync_indicators(session, record, texts.indicator_rows)


# --- projects ---------------------------------------------------------------------------


class _ExistingProjects:
    """The unit-year's projects, loaded once, looked up by natural key (or by name where a
    corrected document adds the code a first version lacked)."""

    def __init__(self, session: Session, unit: Unit | None, year: int) -> None:
        projects = [] if unit is None else session.scalars(
            select(Project).where(Project.unit_id == unit.id, Project.year == year)
            .options(selectinload(Project.plan_points), selectinload(Project.indicators))).all()
        self.by_key = {p.natural_key: p for p in projects}
        self.uncoded_by_name = {p.name: p for p in projects if p.code is None}

    def find(self, record: ProjectRecord) -> Project | None:
        found = self.by_key.get(Project.make_natural_key(record.code, record.name))
        if found is None and record.code:
            found = self.uncoded_by_name.get(record.name)
        return found


def _to_yuan(wan: Decimal | None) -> Decimal | None:
    return None if wan is None else (wan * WAN).quantize(Decimal("0.01"))


def _scalar_fields(record: ProjectRecord, file: str) -> dict[str, Any]:
    return {
        "code": record.code,
        "name": record.name,
        "natural_key": Project.make_natural_key(record.code, record.name),
        "title": record.title,
        "supervising_department": record.supervising_department,
        "implementing_unit": record.implementing_unit,
        "initial_budget": _to_yuan(record.budget_wan),
        "fiscal_funds": _to_yuan(record.fiscal_wan),
        "other_funds": _to_yuan(record.other_wan),
        "carryover": _to_yuan(record.carryover_wan),
        "purpose": record.purpose,
        "goal": record.goal,
        "source_file": file,
        "source_location": str(record.location),
    }


def _plan_rows(record: ProjectRecord) -> list[tuple[date, Decimal, str]]:
    return [(p.checkpoint, p.cumulative_pct.quantize(FOUR_PLACES), p.raw) for p in record.plan]


def _indicator_rows(record: ProjectRecord) -> list[tuple[Any, ...]]:
    """The indicators as stored.  The 指标值 text is what a reader sees (``display_text``:
    ``$\\geq 98\\%$`` → ``≥98%``), the text every page, workbook and report shows; the printed
    text, when it differs, stays in the project's ``target_latex`` finding with its place."""
    rows = []
    for item in record.indicators:
        value = item.value
        number = value.number.quantize(FOUR_PLACES) if value.number is not None else None
        rows.append((item.level1, item.level2, item.name, item.description, display_text(value.raw), value.op,
                     number, value.unit, value.kind, value.deadline, item.basis, item.weight))
    return rows


def _project_change(projects: _ExistingProjects, record: ProjectRecord, file: str) -> ProjectChange:
    findings = record.findings
    score, reasons = quality_score(record, findings)
    existing = projects.find(record)
    if existing is None:
        return ProjectChange(record, "created", None, {}, findings, score, reasons)
    changes: dict[str, tuple[Any, Any]] = {}
    ignored = {"source_file", "source_location"}
    for name, new in _scalar_fields(record, file).items():
        old = getattr(existing, name)
        if name not in ignored and old != new:
            changes[name] = (old, new)
    old_plan = [(p.checkpoint, p.cumulative_pct, p.raw or "") for p in existing.plan_points
                if not p.is_default]
    if old_plan != _plan_rows(record):
        changes["plan"] = ([_plan_text(r) for r in old_plan], [_plan_text(r) for r in _plan_rows(record)])
    old_indicators = [(i.level1, i.level2, i.name, i.description, i.target_raw, i.op,
                       i.target_number, i.target_unit, i.kind, i.deadline, i.basis, i.weight)
                      for i in existing.indicators]
    new_indicators = _indicator_rows(record)
    if old_indicators != new_indicators:
        changes["indicators"] = (_indicator_summary(old_indicators), _indicator_summary(new_indicators))
    status = "updated" if changes else "unchanged"
    return ProjectChange(record, status, existing.id, changes, findings, score, reasons)


def _plan_text(row: tuple[date, Decimal, str]) -> str:
    return f"{row[0].isoformat()} {row[1].normalize():f}%（{row[2]}）"


def _indicator_summary(rows: list[tuple[Any, ...]]) -> list[str]:
    return [f"{r[0]}/{r[1]}/{r[2]}：{r[4]}" for r in rows]


def _write_project(session: Session, unit: Unit, year: int, change: ProjectChange,
                   settings: MonitoringSettings, batch: TargetImport) -> Project:
    """Stage one project's changes; the caller flushes once for the whole document."""
    record = change.record
    fields = _scalar_fields(record, batch.file_name)
    if change.status == "created":
        project = Project(unit_id=unit.id, year=year, annual_budget=fields["initial_budget"], **fields)
        session.add(project)
    else:
        project = session.get_one(Project, change.existing_id)
        if project.annual_budget == project.initial_budget:  # not adjusted since: follow the document
            project.annual_budget = fields["initial_budget"]
        for name, value in fields.items():
            setattr(project, name, value)
        # Findings always describe the latest document.
        session.execute(delete(ProjectFinding).where(ProjectFinding.project_id == project.id))
    project.quality_score = change.score
    if change.status == "created" or "plan" in change.changes or not project.plan_points:
        if project.plan_points:
            # The unit of work inserts before it deletes: the old checkpoints must be gone
            # first, or a new point on the same date breaks UNIQUE (project_id, checkpoint).
            project.plan_points.clear()
            session.flush()
        project.plan_points = _plan_points(record, year, settings)
        project.plan_confirmed = False
    if change.status == "created" or "indicators" in change.changes:
        project.indicators = _corrected_indicators(project, record)
    for finding in change.findings:
        session.add(ProjectFinding(project=project, target_import_id=batch.id,
                                   severity=finding.severity, code=finding.code,
                                   location=str(finding.location)[:255], message=finding.message))
    return project


def _corrected_indicators(project: Project, record: ProjectRecord) -> list[Indicator]:
    """The document's indicators, each stored indicator kept (same id, so the progress, the
    explanations and the 自评 resting on it stay) where the document still has it: matched by
    一级 / 二级 / 三级, else by 三级 alone, in document order.  A stored indicator the document
    no longer has is removed (the preview lists the change)."""
    by_levels: dict[tuple[str, str, str], list[Indicator]] = {}
    by_name: dict[str, list[Indicator]] = {}
    for indicator in project.indicators:
        by_levels.setdefault((indicator.level1, indicator.level2, indicator.name), []).append(indicator)
        by_name.setdefault(indicator.name, []).append(indicator)
    taken: set[int] = set()

    def stored(level1: str, level2: str, name: str) -> Indicator | None:
        for candidate in by_levels.get((level1, level2, name), []) + by_name.get(name, []):
            if id(candidate) not in taken:
                taken.add(id(candidate))
                return candidate
        return None

    indicators = []
    for position, (r, item) in enumerate(zip(_indicator_rows(record), record.indicators, strict=True),
                                         start=1):
        values = dict(position=position, level1=r[0], level2=r[1], name=r[2], description=r[3],
                      target_raw=r[4], op=r[5], target_number=r[6], target_unit=r[7], kind=r[8],
                      deadline=r[9], basis=r[10], weight=r[11], source_location=str(item.location))
        indicator = stored(r[0], r[1], r[2])
        if indicator is None:
            indicator = Indicator(**values)
        else:
            for name, value in values.items():
                setattr(indicator, name, value)
        indicators.append(indicator)
    return indicators


def _plan_points(record: ProjectRecord, year: int, settings: MonitoringSettings) -> list[PlanPoint]:
    if record.plan:
        return [PlanPoint(checkpoint=c, cumulative_pct=pct, raw=raw)
                for c, pct, raw in _plan_rows(record)]
    label = "默认计划（序时进度）" if settings.default_plan is None else "默认计划（设置）"
    return [PlanPoint(checkpoint=p.checkpoint, cumulative_pct=p.cumulative_pct.quantize(FOUR_PLACES),
                      raw=label, is_default=True)
            for p in default_plan_for(year, settings)]


def _finding_json(finding: Finding) -> dict[str, str]:
    return {"severity": finding.severity, "code": finding.code,
            "location": str(finding.location), "message": finding.message}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    return value
