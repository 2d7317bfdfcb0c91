"""One CLI shape (issue #18): a command that lists things prints one JSON array with ``--json``,
a command that does one thing prints one object; ``monitor evaluate`` is ``check`` by its old
name (same options, same records)."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tests.services.test_ledger_import import FIXTURES, load_seed
from tests.services.test_evaluation import _project_a, _project_b


def _two_projects(session):  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    first = make_project(session, unit, name="甲项目", budget="1000", year=2025, indicators=[
        {"name": "企业满意度", "target_number": Decimal(90), "target_unit": "%"}])
    second = make_project(session, unit, name="乙项目", budget="2000", year=2025, indicators=[
        {"name": "培训人次", "target_number": Decimal(100), "target_unit": "人次"}])
    report(session, first.indicators[0], "2025-06-01", value="95")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(first, "2025-03-01", "500"),
                                                            (second, "2025-03-01", "100")])
    session.commit()
    return first, second


def test_monitor_evaluate_is_check_by_its_old_name(runner, session) -> None:  # type: ignore[no-untyped-def]
    first, second = _two_projects(session)
    checked = runner("check", "--as-of", "2025-06-30", "--json")
    evaluated = runner("monitor", "evaluate", "--as-of", "2025-06-30", "--json")
    assert checked.exit_code == evaluated.exit_code == 0, evaluated.output
    records = json.loads(evaluated.output)
    assert isinstance(records, list) and evaluated.output == checked.output
    assert [(r["project_id"], r["execution_pct"], r["status"]) for r in records] == [
        (first.id, "50.00", "green"), (second.id, "5.00", "red")]
    only = json.loads(runner("monitor", "evaluate", "--as-of", "2025-06-30", "--project", str(second.id),
                             "--json").output)
    assert [r["project_id"] for r in only] == [second.id]
    assert json.loads(runner("check", "--as-of", "2025-06-30", "--project", str(first.id), "--json").output
                      )[0]["project_id"] == first.id
    text = runner("monitor", "evaluate", "--as-of", "2025-06-30").output
    assert "2025-06-30：2 个项目（红灯 1，绿灯 1）" in text and text == runner("check", "--as-of", "2025-06-30").output


def test_evaluate_json_is_one_array(runner, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    _project_a(session, unit)
    _project_b(session, unit)
    session.commit()
    result = runner("evaluate", "--year", "2025", "--json")
    assert result.exit_code == 0, result.output
    lines = json.loads(result.output)
    assert isinstance(lines, list) and [line["project_name"] for line in lines] == ["科技创新券", "零预算项目"]
    assert json.loads(runner("evaluate", "--year", "2024", "--json").output) == []


def test_import_ledger_prints_one_object_whatever_the_number_of_files(runner, session) -> None:  # type: ignore[no-untyped-def]
    load_seed(session, "002_ae7a2bed391112e9.txt")
    session.commit()
    path = str(FIXTURES / "grp_mingxizhang_gaoxinqu_2023.xlsx")
    result = runner("import", "ledger", path, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["imported"] is True and len(answer["files"]) == 1
    assert answer["files"][0]["counted_total_yuan"] == "41730000.00"
