"""Target import into the database: the seeds, idempotence, corrections, defaults, contract."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.config import PROJECT_ROOT
from tracker.errors import ImportRejected
from tracker.models import (
    AuditEntry,
    DepartmentYear,
    Indicator,
    PlanPoint,
    ProgressReport,
    Project,
    ProjectFinding,
    TargetImport,
    Unit,
)
from tracker.services.projects import export_projects
from tracker.services.target_import import UploadedFile, apply_import, plan_import

SEEDS = sorted((PROJECT_ROOT / "seeds").glob("*.txt"))


def seed(name_prefix: str) -> UploadedFile:
    path = next(p for p in SEEDS if p.name.startswith(name_prefix))
    return UploadedFile(path.name, path.read_bytes())


def import_files(session: Session, *files: UploadedFile, year: int | None = None):  # type: ignore[no-untyped-def]
    plan = plan_import(session, list(files), year)
    apply_import(session, plan, "test")
    session.flush()
    return plan


def test_all_five_seeds_give_26_projects_in_five_units(session: Session) -> None:
    plan = import_files(session, *(UploadedFile(p.name, p.read_bytes()) for p in SEEDS))
    assert plan.count("created") == 26
    assert session.scalar(select(func.count(Project.id))) == 26
    units = {(u.code, u.name) for u in session.scalars(select(Unit))}
    assert ("306001", "唐山市路南区科学技术局") in units
    assert ("306001", "沧州临港经济技术开发区循环经济促进中心") in units
    assert len(units) == 5
    years = {(dy.unit.name, dy.year) for dy in session.scalars(select(DepartmentYear))}
    assert ("唐山市路南区科学技术局", 2025) in years and ("唐山市科学技术局", 2021) in years
    lunan = session.scalar(select(DepartmentYear).join(Unit).where(Unit.name == "唐山市路南区科学技术局"))
    assert lunan is not None and "小微企业创业创新基地城市示范" in (lunan.overall_goal or "")
    assert lunan.safeguards and "抓创新主体培育" in lunan.safeguards
    assert session.scalar(select(func.count(TargetImport.id))) == 5


def test_the_second_306001_unit_is_flagged(session: Session) -> None:
    import_files(session, seed("000"))
    plan = plan_import(session, [seed("003")])
    codes = [f.code for f in plan.documents[0].findings]
    assert "unit_code_shared" in codes


def test_budget_is_stored_in_yuan_exactly(session: Session) -> None:
    import_files(session, seed("000"))
    project = session.scalar(select(Project).where(Project.code == "13020225P00892710002C"))
    assert project is not None
    assert project.initial_budget == project.annual_budget == Decimal("3000000.00")
    assert [(p.checkpoint.isoformat(), p.cumulative_pct) for p in project.plan_points] == [
        ("2025-03-31", Decimal("25")), ("2025-06-30", Decimal("50")),
        ("2025-10-31", Decimal("75")), ("2025-12-31", Decimal("100"))]
    assert len(project.indicators) == 7
    assert project.indicators[3].target_raw == "≤300万元" and project.indicators[3].kind == "reverse"


def test_reimport_is_idempotent(session: Session) -> None:
    first = import_files(session, seed("000"))
    again = import_files(session, seed("000"))
    assert (first.count("created"), again.count("created"), again.count("unchanged")) == (5, 0, 5)
    assert session.scalar(select(func.count(Project.id))) == 5


def test_latex_target_values_are_stored_as_shown_and_kept_raw_in_a_finding(session: Session) -> None:
    r"""Seed 004 prints ``$\geq 98\%$``: stored (and so shown everywhere) as ``≥98%``, parsed
    as before; the printed text stays in an info finding at the indicator's row."""
    import_files(session, seed("004"))
    indicators = session.scalars(select(Indicator).order_by(Indicator.id)).all()
    assert len(indicators) > 20
    texts = [i.target_raw for i in indicators]
    assert not [t for t in texts if "$" in t or "\\" in t]
    latex = [i for i in indicators if i.target_raw == "≥98%"]
    assert len(latex) >= 4
    assert {(i.op, i.target_number, i.target_unit, i.kind) for i in latex} == {
        (">=", Decimal("98.0000"), "%", "quantitative")}
    project = latex[0].project
    kept = session.scalars(select(ProjectFinding).where(
        ProjectFinding.project_id == project.id, ProjectFinding.code == "target_latex")).all()
    assert kept and all(f.severity == "info" for f in kept)
    assert r"“$\geq 98\%$”" in kept[0].message and "“≥98%”" in kept[0].message
    again = import_files(session, seed("004"))
    assert again.count("unchanged") == 3  # the stored text compares equal on re-import


def test_corrected_document_updates_in_place_with_an_audit_entry(session: Session) -> None:
    original = seed("000")
    import_files(session, original)
    text = original.data.decode("utf-8")
    assert text.count("\t300.00\n") >= 2
    corrected = UploadedFile(original.name, text.replace("\t300.00\n", "\t320.00\n", 2).encode())
    plan = import_files(session, corrected)
    assert (plan.count("created"), plan.count("updated"), plan.count("unchanged")) == (0, 1, 4)
    project = session.scalar(select(Project).where(Project.code == "13020225P00892710002C"))
    assert project is not None and project.initial_budget == Decimal("3200000.00")
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.entity == "project", AuditEntry.entity_id == project.id,
        AuditEntry.action == "update"))
    assert entry is not None and entry.details["changes"]["initial_budget"] == ["3000000.00", "3200000.00"]


def test_missing_plan_uses_the_default_plan(session: Session) -> None:
    import_files(session, seed("004"))
    project = session.scalar(select(Project).where(Project.name == "中央引导地方科技发展资金"))
    assert project is not None
    assert all(p.is_default for p in project.plan_points)
    assert project.plan_points[-1].cumulative_pct == Decimal("100")
    codes = {f.code for f in session.scalars(select(ProjectFinding).where(
        ProjectFinding.project_id == project.id))}
    assert "plan_missing" in codes


def test_non_monotonic_plan_is_kept_and_flagged(session: Session) -> None:
    import_files(session, seed("000"))
    flagged = session.scalars(select(ProjectFinding).where(
        ProjectFinding.code == "plan_not_monotonic")).all()
    assert len(flagged) == 2
    for finding in flagged:
        last = finding.project.plan_points[-1]
        assert last.raw == "10%" and last.cumulative_pct == Decimal("10")
        assert finding.project.quality_score is not None and finding.project.quality_score < 100


def test_rejected_file_imports_nothing(session: Session) -> None:
    before = session.scalar(select(func.count(Project.id)))
    with pytest.raises(ImportRejected):
        plan_import(session, [seed("000"), UploadedFile("junk.txt", bytes(range(256)) * 10)])
    assert session.scalar(select(func.count(Project.id))) == before


def test_export_contract(session: Session) -> None:
    import_files(session, seed("002"))
    exported = export_projects(session, 2023)
    assert len(exported) == 3
    item = next(p for p in exported if p["name"] == "高新技术企业扶持资金")
    assert item["code"] is None and item["unit"] == {"code": None, "name": "高新区科技局"}
    assert item["budget_wan"] == "1280" and item["year"] == 2023
    assert {"checkpoint", "cumulative_pct", "raw"} <= set(item["plan"][0])
    indicator = item["indicators"][0]
    assert {"level1", "level2", "name", "description", "target_raw", "op", "value", "unit",
            "kind", "basis", "weight"} <= set(indicator)
    assert all({"severity", "location", "message"} <= set(f) for f in item["findings"])
    json.dumps(exported, ensure_ascii=False)


def test_cli_import_and_export(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = runner("import", "targets", str(SEEDS[0]), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["projects_created"] == 5 and summary["projects_updated"] == 0
    assert any(f["message"] for f in summary["findings"])
    again = json.loads(runner("import", "targets", str(SEEDS[0]), "--json").output)
    assert again["projects_created"] == 0 and again["projects_unchanged"] == 5
    exported = json.loads(runner("export", "projects", "--year", "2025", "--json").output)
    assert len(exported) == 5

    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x00\x01\x02" * 100)
    failed = runner("import", "targets", str(junk), "--json")
    assert failed.exit_code != 0


FIRST_PLAN = "\t25%\n\t50%\n\t75%\n\t100%\n"  # the first project of seed 000: 3/6/10/12月底


@pytest.mark.parametrize("earlier_plan", ["\t\n\t\n\t\n\t\n", "\t20%\n\t50%\n\t75%\n\t100%\n"],
                         ids=["default_plan", "other_plan"])
def test_a_corrected_plan_replaces_the_stored_points(session: Session, earlier_plan: str) -> None:
    original = seed("000")
    text = original.data.decode("utf-8")
    assert FIRST_PLAN in text
    earlier = UploadedFile(original.name, text.replace(FIRST_PLAN, earlier_plan, 1).encode())
    import_files(session, earlier)
    project = session.scalar(select(Project).where(Project.code == "13020225P00892710002C"))
    assert project is not None and project.plan_points
    plan = import_files(session, original)  # the same checkpoint dates as the stored points
    assert (plan.count("created"), plan.count("updated")) == (0, 1)
    session.expire_all()
    points = session.scalars(select(PlanPoint).where(PlanPoint.project_id == project.id)
                             .order_by(PlanPoint.checkpoint)).all()
    assert [(p.checkpoint.isoformat(), p.cumulative_pct, p.is_default) for p in points] == [
        ("2025-03-31", Decimal("25.0000"), False), ("2025-06-30", Decimal("50.0000"), False),
        ("2025-10-31", Decimal("75.0000"), False), ("2025-12-31", Decimal("100.0000"), False)]


def test_a_corrected_target_keeps_the_progress_reported_on_its_indicators(session: Session) -> None:
    """A corrected 指标值 updates the indicator in place: what units reported on it stays
    (before, the indicators were replaced and their progress went with them by cascade)."""
    original = seed("000")
    text = original.data.decode("utf-8")
    start = text.index("13020225P00892710002C")
    corrected = text[:start] + text[start:].replace("\t≥80%\n", "\t≥85%\n", 1)
    assert corrected != text
    import_files(session, original)
    project = session.scalar(select(Project).where(Project.code == "13020225P00892710002C"))
    assert project is not None and len(project.indicators) >= 3
    before = {i.id: (i.level1, i.level2, i.name) for i in project.indicators}
    for indicator in project.indicators:
        session.add(ProgressReport(project_id=project.id, indicator_id=indicator.id,
                                   reported_on=date(2025, 6, 30), value=Decimal("1"), actor="test"))
    session.flush()

    plan = import_files(session, UploadedFile(original.name, corrected.encode("utf-8")))
    assert (plan.count("created"), plan.count("updated")) == (0, 1)
    session.expire_all()
    project = session.get_one(Project, project.id)
    assert {i.id: (i.level1, i.level2, i.name) for i in project.indicators} == before
    assert any(i.target_raw == "≥85%" for i in project.indicators)
    reports = session.scalars(select(ProgressReport).where(ProgressReport.project_id == project.id)).all()
    assert sorted(r.indicator_id for r in reports) == sorted(before)
