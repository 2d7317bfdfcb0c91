"""One clock: every time a page shows is in the configured zone (Asia/Shanghai by default),
converted from the stored UTC by the one ``local_time`` filter; no page prints "UTC"."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.models import Alert, AuditEntry, DeviationExplanation, Evaluation, Role

STORED = datetime(2026, 12, 6, 20, 20, tzinfo=UTC)  # 2026-12-07 04:20 in Shanghai
SHOWN = "2026-12-07 04:20"


def _everything_timed(session):  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan={"06-30": "50", "12-31": "100"}, name="计时项目")
    batch = add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-06-01", "1000")])
    batch.imported_at = STORED
    session.add_all([
        AuditEntry(at=STORED, actor="张三", action="update", entity="project", entity_id=project.id, details={}),
        DeviationExplanation(project_id=project.id, as_of=date(2025, 6, 30), causes=["funding"],
                             likelihood="possible", reason="资金晚到", actor="张三", created_at=STORED),
        Alert(unit_id=unit.id, project_id=project.id, kind="turned_red", severity="red",
              as_of=date(2025, 6, 30), message="转为红灯", created_at=STORED),
        Evaluation(project_id=project.id, number=1, year=2025, as_of=date(2025, 12, 31),
                   initial_budget=Decimal(1000000), annual_budget=Decimal(1000000), spent=Decimal(1000),
                   execution_rate=Decimal("0.1"), execution_weight=Decimal(10), execution_score=Decimal("0.01"),
                   total=Decimal("0.01"), grade="差", created_by="张三", created_at=STORED,
                   frozen_by="李四", frozen_at=STORED)])
    session.commit()
    return project


def test_no_page_prints_utc_every_time_is_local(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    project = _everything_timed(session)
    logged_in(Role.admin)
    for url in (f"/projects/{project.id}", f"/projects/{project.id}/monitoring?as_of=2025-06-30",
                "/alerts", "/ledger/batches", f"/projects/{project.id}/evaluation", "/audit"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "UTC" not in page, url
        assert SHOWN in page, url
        assert "2026-12-06 20:20" not in page, url


def test_the_zone_is_a_setting(app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    project = _everything_timed(session)
    logged_in(Role.admin)
    config = app.extensions["tracker.config"]
    saved = config.timezone
    object.__setattr__(config, "timezone", "Europe/London")
    try:
        page = client.get(f"/projects/{project.id}").get_data(as_text=True)
        audit = client.get("/audit").get_data(as_text=True)
    finally:
        object.__setattr__(config, "timezone", saved)
    assert "2026-12-06 20:20" in page and SHOWN not in page
    assert "时间（Europe/London 时间）" in audit and "北京时间" not in audit


def test_exported_times_are_local_too(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    project = _everything_timed(session)
    logged_in(Role.admin)
    local = datetime(2026, 12, 7, 4, 20)
    for url in ("/alerts?format=xlsx", "/ledger/batches?format=xlsx", f"/projects/{project.id}?format=xlsx",
                "/audit?format=xlsx", f"/projects/{project.id}/evaluation?format=xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
        assert local in cells, url
        assert datetime(2026, 12, 6, 20, 20) not in cells, url
