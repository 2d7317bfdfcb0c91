"""What units report: indicator progress (当前完成值) and deviation explanations (偏差说明).

Both keep their history: a new entry never replaces an old one, the newest counts.
Evidence files are stored by content hash under ``<instance>/evidence/``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core.achievement import parse_achievement
from tracker.importers.target_values import parse_reported_number
from tracker.errors import FormInvalid, NotFound, ValidationFailed
from tracker.models import (
    DeviationExplanation,
    Indicator,
    IndicatorForecast,
    ProgressReport,
    Project,
    User,
)
from tracker.core.labels import CAUSES, LIKELIHOODS
from tracker.services import audit
from tracker.services.monitoring.projects import checkpoints_of

MAX_TEXT = 2000


@dataclass(frozen=True)
class Evidence:
    """An uploaded 佐证材料 file."""

    name: str
    data: bytes


@dataclass(frozen=True)
class ProgressForm:
    """The progress form as typed (strings), validated by ``record_progress``."""

    indicator_id: str
    reported_on: str
    value: str = ""
    achievement: str = ""
    completed_on: str = ""
    note: str = ""


def evidence_path(instance_path: str | Path, sha256: str) -> Path:
    return Path(instance_path) / "evidence" / sha256


def _parse_date(text: str, label: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{label}应为日期（如 2025-06-30），当前为“{text}”") from None


def _store_evidence(instance_path: str | Path, evidence: Evidence) -> str:
    digest = hashlib.sha256(evidence.data).hexdigest()
    path = evidence_path(instance_path, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(evidence.data)
        partial.replace(path)
    return digest


def record_progress(session: Session, project: Project, form: ProgressForm, today: date,
                    actor: User | str, evidence: Evidence | None = None,
                    instance_path: str | Path | None = None) -> ProgressReport:
    """Add one progress report for an indicator of ``project``; every field's error at once
    (``FormInvalid``, by field name of ``ProgressForm``, in Chinese).

    The date must lie in the project's year and not after ``today``.  Quantitative and
    reverse indicators need a number, optionally with the target's unit (``95%`` for a %
    indicator; another unit is refused by name); qualitative ones one of the three levels;
    deadline indicators take an optional completion date.
    """
    indicator = session.scalar(select(Indicator).where(
        Indicator.id == _int(form.indicator_id), Indicator.project_id == project.id))
    if indicator is None:
        raise NotFound("该项目没有这个绩效指标。")
    errors: dict[str, str] = {}
    reported_on = None
    try:
        reported_on = _parse_date(form.reported_on, "完成值日期")
        if reported_on.year != project.year or reported_on > today:
            latest = min(today, date(project.year, 12, 31))
            raise ValidationFailed(f"完成值日期应在{project.year}年内且不晚于今天"
                                   f"（{project.year}-01-01 至 {latest.isoformat()}），当前为 {reported_on.isoformat()}")
    except ValidationFailed as error:
        errors["reported_on"] = str(error)
        reported_on = None
    value, achievement, completed_on = _reading(indicator, form, reported_on, errors)
    if errors:
        raise FormInvalid(errors)
    assert reported_on is not None
    note = form.note.strip()[:MAX_TEXT] or None
    if evidence is not None and not evidence.data:
        evidence = None
    report = ProgressReport(
        project_id=project.id, indicator_id=indicator.id, reported_on=reported_on, value=value,
        achievement=achievement, completed_on=completed_on, note=note,
        user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.username if isinstance(actor, User) else actor)
    if evidence is not None:
        if instance_path is None:
            raise ValueError("instance_path is needed to store evidence")
        report.evidence_sha256 = _store_evidence(instance_path, evidence)
        report.evidence_name = Path(evidence.name.replace("\\", "/")).name[:255] or "佐证材料"
        report.evidence_size = len(evidence.data)
    session.add(report)
    session.flush()
    audit.record(session, actor, "report_progress", "indicator", indicator.id,
                 project_id=project.id, reported_on=reported_on.isoformat(),
                 value=None if value is None else str(value), achievement=achievement)
    return report


def _int(text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise ValidationFailed("请选择绩效指标") from None


def _reading(indicator: Indicator, form: ProgressForm, reported_on: date | None,
             errors: dict[str, str]) -> tuple[Decimal | None, str | None, date | None]:
    """The value, level or completion date typed for ``indicator``; errors into ``errors``
    by field (``reported_on`` None: the date was invalid, not compared)."""
    if indicator.kind in ("quantitative", "reverse"):
        if not form.value.strip():
            errors["value"] = f"请填写“{indicator.name}”的当前完成值（数字）"
            return None, None, None
        try:
            return parse_reported_number(form.value, indicator.target_unit, "当前完成值",
                                         indicator.target_number), None, None
        except ValueError as error:
            errors["value"] = str(error)
            return None, None, None
    if indicator.kind == "qualitative":
        try:
            return None, parse_achievement(form.achievement), None
        except ValueError as error:
            errors["achievement"] = str(error)
            return None, None, None
    completed_on = None
    if form.completed_on.strip():
        try:
            completed_on = _parse_date(form.completed_on, "完成日期")
        except ValidationFailed as error:
            errors["completed_on"] = str(error)
            return None, None, None
        if reported_on is not None and completed_on > reported_on:
            errors["completed_on"] = "完成日期不能晚于填报的完成值日期"
    elif not form.note.strip():
        errors["note"] = "时限指标请填写完成日期，或在说明中写明进展"
    return None, None, completed_on


def report_with_evidence(session: Session, project: Project, report_id: int) -> ProgressReport:
    report = session.scalar(select(ProgressReport).where(
        ProgressReport.id == report_id, ProgressReport.project_id == project.id,
        ProgressReport.evidence_sha256.is_not(None)))
    if report is None:
        raise NotFound("佐证材料不存在。")
    return report


def evidence_reports(session: Session, project: Project) -> list[ProgressReport]:
    return list(session.scalars(select(ProgressReport).where(
        ProgressReport.project_id == project.id, ProgressReport.evidence_sha256.is_not(None)
    ).order_by(ProgressReport.id.desc())))


# --- deviation explanations ---------------------------------------------------------------


@dataclass(frozen=True)
class ExplanationForm:
    """The explanation form as typed: ``forecasts`` maps indicator id (text) → 全年预计完成情况."""

    as_of: str
    causes: tuple[str, ...]
    likelihood: str
    reason: str
    corrective_actions: str
    forecasts: Mapping[str, str]


def record_explanation(session: Session, project: Project, form: ExplanationForm,
                       actor: User | str) -> DeviationExplanation:
    """Add a 偏差说明 for one checkpoint of ``project``; every error at once (``FormInvalid``
    by field: ``as_of``, ``causes``, ``likelihood``, ``forecasts``, ``reason``), in Chinese.

    Rules: 完成目标可能性 is required; 有可能 or 完全不可能 needs at least one 偏差原因 and a
    全年预计完成情况 for every indicator; ticking 其他 needs 原因说明.
    """
    errors: dict[str, str] = {}
    as_of = None
    try:
        as_of = _parse_date(form.as_of, "检查点")
        if as_of not in checkpoints_of(session, project):
            errors["as_of"] = f"{as_of.isoformat()}不是本项目的检查点或监控截止日"
    except ValidationFailed as error:
        errors["as_of"] = str(error)
    unknown = [c for c in form.causes if c not in CAUSES]
    if unknown:
        errors["causes"] = f"未知的偏差原因：{'、'.join(unknown)}"
    forecasts = {i.id: form.forecasts.get(str(i.id), "").strip()[:500] for i in project.indicators}
    if form.likelihood not in LIKELIHOODS:
        errors["likelihood"] = "请选择完成目标可能性（确定能 / 有可能 / 完全不可能）"
    elif form.likelihood != "certain":
        label = LIKELIHOODS[form.likelihood]
        if not form.causes:
            errors.setdefault("causes", f"完成目标可能性为“{label}”时，请至少选择一项偏差原因")
        missing = [i.name for i in project.indicators if not forecasts[i.id]]
        if missing:
            errors["forecasts"] = (f"完成目标可能性为“{label}”时，请填写每个指标的全年预计完成情况"
                                   f"（缺 {len(missing)} 个：{'、'.join(missing)}）")
    if "other" in form.causes and not form.reason.strip():
        errors["reason"] = "选择“其他”偏差原因时，请在原因说明中写明"
    if errors:
        raise FormInvalid(errors)
    assert as_of is not None
    explanation = DeviationExplanation(
        project_id=project.id, as_of=as_of, causes=[c for c in CAUSES if c in form.causes],
        likelihood=form.likelihood, reason=form.reason.strip()[:MAX_TEXT] or None,
        corrective_actions=form.corrective_actions.strip()[:MAX_TEXT] or None,
        user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.username if isinstance(actor, User) else actor,
        forecasts=[IndicatorForecast(indicator_id=iid, forecast=text)
                   for iid, text in forecasts.items() if text])
    session.add(explanation)
    session.flush()
    audit.record(session, actor, "explain_deviation", "project", project.id,
                 as_of=as_of.isoformat(), likelihood=form.likelihood, causes=explanation.causes)
    return explanation


def explanation_date(session: Session, project: Project, chosen: str, today: date) -> date:
    """The checkpoint an explanation form is about: ``chosen`` if it is one of the project's
    checkpoints, else the latest checkpoint passed by ``today``, else the first."""
    checkpoints = checkpoints_of(session, project)
    try:
        wanted = date.fromisoformat(chosen.strip())
    except ValueError:
        wanted = None
    if wanted in checkpoints:
        return wanted
    passed = [c for c in checkpoints if c < today]
    return passed[-1] if passed else checkpoints[0]


def latest_explanation(session: Session, project: Project, as_of: date) -> DeviationExplanation | None:
    return session.scalar(select(DeviationExplanation).where(
        DeviationExplanation.project_id == project.id, DeviationExplanation.as_of == as_of
    ).order_by(DeviationExplanation.id.desc()).limit(1))


# --- scripted entry (``tracker progress add``) --------------------------------------------


def find_project(session: Session, reference: str, year: int) -> Project:
    """The project of ``year`` named by ``reference``: its 项目编码, its name, or its id."""
    text = reference.strip()
    query = select(Project).where(Project.year == year)
    found = list(session.scalars(query.where(Project.code == text)))
    if not found:
        found = list(session.scalars(query.where(Project.name == text)))
    if not found and text.isdigit():
        found = list(session.scalars(query.where(Project.id == int(text))))
    if len(found) > 1:
        raise ValidationFailed(f"{year}年有多个项目对应“{text}”（ID {'、'.join(str(p.id) for p in found)}），请用项目 ID")
    if not found:
        raise NotFound(f"{year}年没有项目编码、名称或 ID 为“{text}”的项目")
    return found[0]


def find_indicator(project: Project, name: str) -> Indicator:
    """The indicator of ``project`` called ``name`` (三级指标名称; exact, else the only one
    containing it)."""
    text = name.strip()
    exact = [i for i in project.indicators if i.name.strip() == text]
    found = exact or [i for i in project.indicators if text and text in i.name]
    if len(found) == 1:
        return found[0]
    names = "、".join(f"“{i.name}”" for i in (found or project.indicators))
    if found:
        raise ValidationFailed(f"“{text}”对应多个指标：{names}，请写完整名称")
    raise NotFound(f"项目“{project.name}”没有指标“{text}”（现有：{names}）")


def scripted_form(indicator: Indicator, value: str, reported_on: str, note: str = "") -> ProgressForm:
    """``--value`` read by the indicator's kind: a number (定量/反向), one of the three levels
    (定性), or a completion date (时限; anything else is taken as the progress note)."""
    base = {"indicator_id": str(indicator.id), "reported_on": reported_on, "note": note}
    if indicator.kind == "qualitative":
        return ProgressForm(**base, achievement=value)
    if indicator.kind == "deadline":
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            return ProgressForm(**{**base, "note": "；".join(t for t in (value.strip(), note) if t)})
        return ProgressForm(**base, completed_on=value)
    return ProgressForm(**base, value=value)
