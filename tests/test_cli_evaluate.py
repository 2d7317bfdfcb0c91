"""``tracker evaluate --year Y [--unit U] --json``: the contract of the 自评 export.

One JSON array, one object per project.  Frozen: the newest frozen evaluation, ``frozen`` true
with its ``evaluation_number``; otherwise computed from the current data, not saved,
``frozen`` false.  Scores and percents are strings with 2 places.  Worked numbers: see
``tests/services/test_evaluation.py`` (project A 82.375 → "82.38" 良; project B 90 → 优,
budget 0 → ``execution_pct`` null).
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from tests.monitoring_builders import add_ledger, make_unit
from tests.services.test_evaluation import REASONS, _edit, _project_a, _project_b
from tracker.models import Evaluation
from tracker.services.evaluation import IndicatorEdit, create_draft, freeze, update_draft

KEYS = {"project_code", "execution_pct", "execution_score", "indicators", "total", "grade", "frozen"}


def _lines(output: str) -> list[dict]:  # type: ignore[type-arg]
    lines = json.loads(output)
    assert isinstance(lines, list)
    return lines


def test_evaluate_json_contract(runner, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    a = _project_a(session, unit)
    _project_b(session, unit)
    elsewhere = make_unit(session, "他单位")
    add_ledger(session, elsewhere, ("2025-01-01", "2025-12-31"), [])
    draft = create_draft(session, a, "staff", date(2026, 1, 15))
    update_draft(session, draft, _edit(draft, **{**REASONS, "服务对象满意度": IndicatorEdit(
        score="10.5", deviation_reason="样本偏少")}), "staff")
    freeze(session, draft, "staff")
    session.commit()

    result = runner("evaluate", "--year", "2025", "--json")
    assert result.exit_code == 0, result.output
    first, second = _lines(result.output)
    assert KEYS <= set(first) and KEYS <= set(second)
    assert first == {**first, "project_code": "A-001", "frozen": True, "evaluation_number": 1,
                     "execution_pct": "85.00", "execution_score": "8.50", "total": "82.38",
                     "grade": "良", "warnings": []}
    assert first["indicators"] == [
        {"name": "支持企业数", "target_raw": "≥20家", "actual_raw": "16家", "weight": "30.00", "score": "24.00"},
        {"name": "单位培训成本", "target_raw": "≤50万元", "actual_raw": "60万元", "weight": "22.50", "score": "18.00"},
        {"name": "验收合格率", "target_raw": "=100%", "actual_raw": "95%", "weight": "22.50", "score": "21.38"},
        {"name": "服务对象满意度", "target_raw": "较高", "actual_raw": "部分达成年度指标并具有一定效果",
         "weight": "15.00", "score": "10.50"}]
    assert second["frozen"] is False and second["evaluation_number"] is None
    assert second["execution_pct"] is None and second["execution_score"] == "0.00"
    assert second["total"] == "90.00" and second["grade"] == "优"
    # DOMAIN §3: the 分值 column adds up to 100 (with 执行率 10); the last of 产出 takes the rounding
    assert [i["weight"] for i in second["indicators"]] == ["28.13", "28.12", "33.75"]

    again = runner("evaluate", "--year", "2025", "--json")
    assert again.output == result.output  # the same data give the same values every time
    assert session.scalar(select(func.count(Evaluation.id))) == 1  # the fresh one is not saved

    only = _lines(runner("evaluate", "--year", "2025", "--unit", str(elsewhere.id), "--json").output)
    assert only == []
    text = runner("evaluate", "--year", "2025", "--unit", "科技局")
    assert "A-001 科技创新券：总分 82.38 良，执行率 85.00%，第1次自评（已冻结）" in text.output
    assert "执行率 —" in text.output and "2025 年：2 个项目" in text.output


def test_a_project_that_cannot_be_evaluated_is_named_on_stderr(runner, session) -> None:  # type: ignore[no-untyped-def]
    from tests.monitoring_builders import make_project

    unit = make_unit(session)
    make_project(session, unit, name="奇怪项目", indicators=[{"name": "某指标", "level1": "其他", "level2": "其他"}])
    session.commit()
    result = runner("evaluate", "--year", "2025", "--json")
    assert result.exit_code == 2
    assert "奇怪项目" in result.output and "无法归入产出、效益或满意度" in result.output
