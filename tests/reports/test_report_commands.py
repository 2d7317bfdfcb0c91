"""``tracker report monitoring`` and ``tracker report self-eval``: files written, warnings on
stderr, one file per unit without --unit, the monitoring month from the settings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy.orm import Session

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.models import Evaluation, Project
from tracker.services.settings import save_monitoring_settings

D = Decimal
PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}


def _evaluation(session: Session, project: Project, *, frozen: bool) -> Evaluation:
    evaluation = Evaluation(
        project_id=project.id, number=1, year=project.year, as_of=date(2025, 12, 31),
        initial_budget=project.initial_budget, annual_budget=project.annual_budget, spent=D(0),
        execution_rate=D(0), execution_weight=D(10), execution_score=D(0), total=D("55.0000"),
        grade="差", created_by="test", frozen_by="zhang" if frozen else None,
        frozen_at=datetime(2026, 1, 10, tzinfo=UTC) if frozen else None)
    session.add(evaluation)
    session.flush()
    return evaluation


def test_monitoring_workbook_for_one_unit_with_the_unexplained_on_stderr(runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "某市科学技术局")
    lagging = make_project(session, unit, plan=PLAN, name="滞后项目")
    fine = make_project(session, unit, plan=PLAN, name="正常项目")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(lagging, "2025-03-01", "100000"), (fine, "2025-03-01", "500000")])
    session.commit()
    out = tmp_path / "监控.xlsx"
    result = runner("report", "monitoring", "--year", "2025", "--month", "6", "--unit", unit.code,
                    "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"已生成 {out}：某市科学技术局 2025年1-6月，2 个项目（2 个未冻结）"
    assert result.stderr.strip() == "警告：某市科学技术局 有 1 个项目未填写偏差说明（表中已标注）：滞后项目（红灯）"
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["汇总", "滞后项目", "正常项目", "数据来源"]
    assert book["滞后项目"]["P13"].value == "未填写偏差说明"


def test_without_unit_one_file_per_unit_and_the_month_from_the_settings(runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = make_unit(session, "甲单位"), make_unit(session, "乙/单位")
    make_project(session, first, plan=PLAN, name="甲项目")
    make_project(session, second, plan=PLAN, name="乙项目")
    make_project(session, second, plan=PLAN, name="去年项目", year=2024)
    save_monitoring_settings(session, {"monitoring_month": 7}, "test")
    session.commit()
    result = runner("report", "monitoring", "--year", "2025", "--out", str(tmp_path / "F.xlsx"))
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted([f"F_{first.id}_甲单位.xlsx", f"F_{second.id}_乙_单位.xlsx"])
    ws = openpyxl.load_workbook(tmp_path / f"F_{first.id}_甲单位.xlsx")["甲项目"]
    assert ws["A2"].value == "（2025年1-7月）"
    assert result.stdout.count("已生成") == 2


def test_self_eval_workbook_lists_missing_and_drafts(runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "某市科学技术局")
    done = make_project(session, unit, name="已提交项目")
    draft = make_project(session, unit, name="草稿项目")
    _evaluation(session, done, frozen=True)
    _evaluation(session, draft, frozen=False)
    session.commit()
    out = tmp_path / "自评.xlsx"
    result = runner("report", "self-eval", "--year", "2025", "--unit", "某市科学技术局", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 个项目的自评表" in result.stdout
    assert result.stderr.strip() == "警告：某市科学技术局 有 1 个项目没有已提交的自评，未生成自评表：草稿项目"
    assert openpyxl.load_workbook(out).sheetnames == ["汇总", "已提交项目", "数据来源"]
    result = runner("report", "self-eval", "--year", "2025", "--unit", str(unit.id), "--out", str(out),
                    "--include-drafts")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == "警告：某市科学技术局 有 1 个项目使用草稿（未提交）：草稿项目"
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["汇总", "已提交项目", "草稿项目", "数据来源"]
    assert book["草稿项目"]["A2"].value == "（2025年度）草稿，未提交"


def test_unknown_unit_and_empty_year_fail(runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "某市科学技术局")
    make_project(session, unit, name="项目")
    session.commit()
    out = str(tmp_path / "F.xlsx")
    unknown = runner("report", "monitoring", "--year", "2025", "--unit", "没有这个单位", "--out", out)
    assert unknown.exit_code != 0 and "找不到单位" in str(unknown.exception)
    empty = runner("report", "self-eval", "--year", "2030", "--out", out)
    assert empty.exit_code != 0 and "2030 年没有项目" in str(empty.exception)
    missing_dir = runner("report", "self-eval", "--year", "2025", "--out", str(tmp_path / "nope" / "F.xlsx"))
    assert missing_dir.exit_code != 0 and "输出目录不存在" in missing_dir.output
    assert not any(tmp_path.iterdir())
