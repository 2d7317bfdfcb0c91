"""How many SQL statements a unit's pages cost (issue 19: a unit's /projects/<id>/monitoring
read its inputs once per date, 31 statements).  Upper bounds the old code exceeded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.models import DeviationExplanation, Role

PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}


@contextmanager
def statements(app) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The SQL text of every statement the app's engine runs inside the block."""
    engine = app.extensions["tracker.db"].engine
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _unit_project(session):  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN, indicators=[
        {"name": "支持企业数", "target_number": Decimal(10), "target_unit": "家", "target_raw": "≥10家"},
        {"name": "满意度", "kind": "qualitative", "op": None, "target_number": None,
         "level1": "满意度指标", "level2": "服务对象满意度", "target_raw": "较高"}])
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-02-01", "100000"),
                                                             (project, "2025-06-01", "300000")])
    report(session, project.indicators[0], "2025-03-20", value="2")
    report(session, project.indicators[0], "2025-06-20", value="5")
    session.add(DeviationExplanation(project_id=project.id, as_of=project.plan_points[1].checkpoint,
                                     causes=["other"], likelihood="possible", reason="进度偏慢", actor="staff"))
    session.commit()
    return unit, project


def test_a_units_monitoring_page_reads_its_inputs_once(app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _unit_project(session)
    logged_in(Role.unit_staff, units=[unit])
    client.get(f"/projects/{project.id}/monitoring?as_of=2025-06-15")  # warm: login, caches
    with statements(app) as seen:
        page = client.get(f"/projects/{project.id}/monitoring?as_of=2025-06-15")
    assert page.status_code == 200 and "判断日期" in page.get_data(as_text=True)
    # 34 before (spending, likelihoods and indicators read once per date, the settings
    # three times, the project's plan twice); now each input once: 16 with the test's savepoint.
    assert len(seen) <= 16, f"{len(seen)} statements:\n" + "\n".join(s[:100] for s in seen)
    assert sum(s.lstrip().upper().startswith("SELECT SETTING") for s in seen) <= 1

