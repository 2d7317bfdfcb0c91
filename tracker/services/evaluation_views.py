"""年终自评 as read (DOMAIN §3): the evaluation page of one project, the overview of a year,
and the ``tracker evaluate --json`` contract.  Nothing is written; drafts, scores and freezing
are ``tracker.services.evaluation``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.core.labels import ACHIEVEMENT_LABELS
from tracker.core.scoring import qualitative_band, round_score
from tracker.errors import NotFound, ValidationFailed
from tracker.models import DeviationExplanation, Evaluation, Project
from tracker.services.evaluation import ZERO, band_text, evaluations_of, latest_frozen, preview, year_end
from tracker.services.settings import evaluation_settings
from tracker.services.spending import spent_through


@dataclass(frozen=True)
class EvaluationPage:
    """What the evaluation page of one project shows."""

    project: Project
    evaluation: Evaluation | None  # the one shown (newest unless another was asked)
    history: list[Evaluation]  # every evaluation, oldest first
    bands: dict[int, dict[str, str]]  # row id → achievement code → allowed score range
    explanation: DeviationExplanation | None  # newest 偏差说明 of the year, for reference
    spent_now: Decimal | None  # a draft: today's 全年执行数 when it differs from the stored one
    may_create: bool  # the year has ended and no draft is open

    @property
    def draft(self) -> bool:
        return self.evaluation is not None and not self.evaluation.frozen


def evaluation_page(session: Session, project: Project, today: date,
                    number: int | None = None) -> EvaluationPage:
    history = evaluations_of(session, project)
    shown = history[-1] if history else None
    if number is not None:
        shown = next((e for e in history if e.number == number), None)
        if shown is None:
            raise NotFound(f"该项目没有第{number}次自评。")
    settings = evaluation_settings(session)
    bands: dict[int, dict[str, str]] = {}
    spent_now = None
    if shown is not None and not shown.frozen:
        bands = {row.id: {code: band_text(qualitative_band(code, row.weight, settings))
                          for code in ACHIEVEMENT_LABELS}
                 for row in shown.indicators if row.kind == "qualitative"}
        current = spent_through(session, shown.as_of, [project.id]).get(project.id, ZERO)
        spent_now = current if current != shown.spent else None
    explanation = session.scalar(select(DeviationExplanation).where(
        DeviationExplanation.project_id == project.id,
        DeviationExplanation.as_of <= year_end(project.year))
        .order_by(DeviationExplanation.as_of.desc(), DeviationExplanation.id.desc()).limit(1))
    may_create = today >= year_end(project.year) and (not history or history[-1].frozen)
    return EvaluationPage(project, shown, history, bands, explanation, spent_now, may_create)


@dataclass(frozen=True)
class YearRow:
    project: Project
    latest: Evaluation | None  # newest evaluation (draft or frozen)
    frozen: Evaluation | None  # newest frozen one


def year_overview(session: Session, year: int, project_ids: Sequence[int] | None) -> list[YearRow]:
    """Every project of ``year`` (within ``project_ids``; None = all) with its newest and
    newest frozen evaluation, by unit."""
    query = select(Project).where(Project.year == year)
    if project_ids is not None:
        query = query.where(Project.id.in_(list(project_ids)))
    projects = list(session.scalars(
        query.options(selectinload(Project.unit)).order_by(Project.unit_id, Project.id)))
    latest: dict[int, Evaluation] = {}
    frozen: dict[int, Evaluation] = {}
    ids = [p.id for p in projects]
    for start in range(0, len(ids), 500):
        for evaluation in session.scalars(select(Evaluation).where(
                Evaluation.project_id.in_(ids[start:start + 500])).order_by(Evaluation.number)):
            latest[evaluation.project_id] = evaluation
            if evaluation.frozen:
                frozen[evaluation.project_id] = evaluation
    return [YearRow(p, latest.get(p.id), frozen.get(p.id)) for p in projects]


def _two(value: Decimal | None) -> str | None:
    return None if value is None else f"{round_score(value):.2f}"


def contract(evaluation: Evaluation) -> dict[str, Any]:
    """``tracker evaluate --json``: one project's evaluation (see the README contract)."""
    project = evaluation.project
    return {
        "project_id": project.id,
        "project_code": project.code,
        "project_name": project.name,
        "unit": {"code": project.unit.code or None, "name": project.unit.name},
        "year": evaluation.year,
        "frozen": evaluation.frozen,
        "evaluation_number": evaluation.number if evaluation.frozen else None,
        "budget_yuan": f"{evaluation.annual_budget:.2f}",
        "spent_yuan": f"{evaluation.spent:.2f}",
        "execution_pct": _two(evaluation.execution_rate),
        "execution_score": _two(evaluation.execution_score),
        "indicators": [{
            "name": row.name,
            "target_raw": row.target_raw,
            "actual_raw": row.actual_raw,
            "weight": _two(row.weight),
            "score": _two(row.score),
        } for row in evaluation.indicators],
        "total": _two(evaluation.total),
        "grade": evaluation.grade,
        "warnings": [w["code"] for w in evaluation.warnings],
    }


def contract_for_year(session: Session, year: int, unit_id: int | None = None
                      ) -> tuple[list[dict[str, Any]], list[tuple[Project, str]]]:
    """Per project of ``year`` (of ``unit_id``): its newest frozen evaluation, else one
    computed from the current data (not saved).  Projects that cannot be evaluated come
    back with the reason instead."""
    query = select(Project).where(Project.year == year).options(
        selectinload(Project.unit), selectinload(Project.indicators))
    if unit_id is not None:
        query = query.where(Project.unit_id == unit_id)
    projects = list(session.scalars(query.order_by(Project.unit_id, Project.id)))
    frozen = latest_frozen(session, [p.id for p in projects])
    lines: list[dict[str, Any]] = []
    failed: list[tuple[Project, str]] = []
    for project in projects:
        try:
            evaluation = frozen.get(project.id) or preview(session, project)
        except ValidationFailed as error:
            failed.append((project, str(error)))
            continue
        lines.append(contract(evaluation))
    return lines, failed
