"""One CLI shape (issue #18): a command that lists things prints one JSON array with ``--json``,
a command that does one thing prints one object; ``monitor evaluate`` is ``check`` by its old
name (same options, same records)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import click

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tests.services.test_ledger_import import FIXTURES, load_seed
from tests.services.test_evaluation import _project_a, _project_b
from tracker.cli import cli

#: commands that list things: ``--json`` prints one JSON array
LISTINGS = {"check", "monitor evaluate", "evaluate", "export projects", "export spending",
            "export department-indicators", "ledger batches", "ledger reconcile", "ledger unmatched"}
#: commands that do one thing: ``--json`` prints one JSON object
ACTIONS = {"admin ensure", "db backup", "db current", "db downgrade", "db restore", "db upgrade", "demo load",
           "department correct", "import ledger", "import targets", "ledger assign", "ledger counting-source",
           "ledger undo", "monitor refreeze", "progress add", "progress import", "progress template",
           "report department-self-eval", "report monitoring", "report narrative", "report self-eval",
           "user create", "user update"}
#: commands that run until stopped (the web server, the scheduler): no result to print
RUNNING = {"serve", "scheduler", "scheduler run"}


def _commands(command: click.Command = cli, path: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """Every command a person can run, by its words (a group that runs without a subcommand too)."""
    found: dict[str, click.Command] = {}
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found.update(_commands(sub, (*path, name)))
        if command.invoke_without_command and path:
            found[" ".join(path)] = command
    else:
        found[" ".join(path)] = command
    return found


def _has_json(command: click.Command) -> bool:
    return any(isinstance(p, click.Option) and "--json" in p.opts for p in command.params)


def _json(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


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


def test_every_command_is_a_listing_an_action_or_a_running_process() -> None:
    commands = _commands()
    assert set(commands) == LISTINGS | ACTIONS | RUNNING  # a new command says which it is here
    assert not (LISTINGS & ACTIONS or LISTINGS & RUNNING or ACTIONS & RUNNING)
    assert [path for path, command in sorted(commands.items()) if _has_json(command) == (path in RUNNING)] == []


def test_every_listing_prints_one_array(runner, session) -> None:  # type: ignore[no-untyped-def]
    first, _second = _two_projects(session)
    arguments = {"check": ["--as-of", "2025-06-30"], "monitor evaluate": ["--as-of", "2025-06-30"],
                 "evaluate": ["--year", "2025"], "export projects": ["--year", "2025"],
                 "export spending": ["--as-of", "2025-06-30"], "export department-indicators": ["--year", "2025"],
                 "ledger batches": [], "ledger reconcile": ["--as-of", "2025-06-30"], "ledger unmatched": []}
    assert set(arguments) == LISTINGS
    answers = {}
    for path, extra in arguments.items():
        result = runner(*path.split(), *extra, "--json")
        assert result.exit_code in (0, 2), result.output  # evaluate says on stderr which projects it cannot score
        answers[path] = json.loads(result.stdout)
        assert isinstance(answers[path], list), path
    assert [r["project_id"] for r in answers["check"]] == [r["project_id"] for r in answers["monitor evaluate"]]
    assert first.id in [r["project_id"] for r in answers["check"]]
    assert len(answers["ledger batches"]) == 1 and len(answers["export projects"]) == 2


def test_actions_print_one_object(runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, _second = _two_projects(session)
    batch = json.loads(runner("ledger", "batches", "--json").stdout)[0]["batch_id"]
    current = _json(runner("db", "current", "--json"))
    assert current["up_to_date"] is True and current["revision"] == current["head"]

    created = _json(runner("user", "create", "--username", "wang", "--role", "finance", "--password",
                           "long-enough-1", "--json"))
    assert (created["username"], created["role"], created["email"]) == ("wang", "finance", None)
    assert _json(runner("user", "update", "wang", "--email", "wang@example.cn", "--json")) == {
        "user_id": created["user_id"], "username": "wang", "email": "wang@example.cn"}

    added = _json(runner("progress", "add", "--project", str(first.id), "--indicator", "企业满意度", "--value", "96",
                         "--date", "2025-06-20", "--json"))
    assert (added["project_id"], added["indicator"], added["reported_on"]) == (first.id, "企业满意度", "2025-06-20")

    template = _json(runner("progress", "template", "--unit", first.unit.name, "--as-of", "2025-06-30",
                            "--out", str(tmp_path / "t.xlsx"), "--json"))
    assert template["file"] == str(tmp_path / "t.xlsx") and template["bytes"] == (tmp_path / "t.xlsx").stat().st_size

    for kind in ("monitoring", "self-eval"):
        written = _json(runner("report", kind, "--year", "2025", "--out", str(tmp_path / f"{kind}.xlsx"), "--json"))
        assert [f["file"] for f in written["files"]] == [str(tmp_path / f"{kind}.xlsx")], kind
    narrative = _json(runner("report", "narrative", "--year", "2025", "--kind", "monitoring", "--no-charts",
                             "--out", str(tmp_path / "m.docx"), "--json"))
    assert narrative["files"][0]["projects"] == 2 and narrative["files"][0]["charts_problem"] is None

    undone = _json(runner("ledger", "undo", str(batch), "--json"))
    assert (undone["batch_id"], undone["status"]) == (batch, "undone") and "status_changes" in undone
