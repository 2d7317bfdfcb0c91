"""The cockpit's kept parts are never out of date: after a ledger import, an undo or a progress
report the next page shows the new figures; users of different scopes never share parts; the
unread alerts stay each user's own."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import csrf_token, post_form
from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.config import PROJECT_ROOT
from tracker.models import Alert, AlertRead, LedgerBatch, Role

COCKPIT = "/cockpit?year=2025&as_of=2025-06-30"
PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}
THIS_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


def _kept(app) -> int:  # type: ignore[no-untyped-def]
    """Entries in the app's page cache."""
    cache = app.extensions.get("tracker.page_cache")
    return 0 if cache is None else len(cache)


def _spent(page: str) -> str:
    """累计支出 in 万元 as the page shows it."""
    match = re.search(r'累计支出</span>\s*<span class="kpi-value">([\d,.]+)<small>', page)
    assert match, "no 累计支出 on the page"
    return match.group(1)


def _indicators(page: str, colour: str) -> int:
    match = re.search(rf'id="indicators-{colour}"><summary>.*?(\d+) 项</summary>', page)
    assert match, f"no {colour} indicators on the page"
    return int(match.group(1))


def _shizuishan_csv(rows: list[tuple[str, str, str]]) -> bytes:
    head = "业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"
    lines = [f"{d},{i:04d},205001-石嘴山市科学技术局,{name},摘要{i},\"{amount}\""
             for i, (d, name, amount) in enumerate(rows, 1)]
    return ("\ufeff" + head + "\n".join(lines) + "\n").encode("utf-8")


def test_a_ledger_import_and_its_undo_show_at_once(app, client, logged_in, runner, session,
                                                    tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt")).exit_code == 0
    logged_in(Role.leader)
    first = client.get(COCKPIT).get_data(as_text=True)
    assert _spent(first) == "0.00" and _kept(app) > 0
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "0.00"  # kept

    ledger = tmp_path / "h1.csv"  # imported by another program (the CLI), as finance would
    ledger.write_bytes(_shizuishan_csv([("2025-02-26", "创新驱动、科技发展业务经费", "12,000.00"),
                                        ("2025-04-18", "中央引导地方科技发展资金", "1,000,000.00")]))
    imported = runner("import", "ledger", str(ledger), "--period", "2025-01-01..2025-06-30")
    assert imported.exit_code == 0, imported.output
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "101.20"

    logged_in(Role.finance)
    batch = session.scalar(select(LedgerBatch))
    undone = client.post(f"/ledger/batches/{batch.id}/undo",
                         data={"csrf_token": csrf_token(client, "/ledger/batches")}, follow_redirects=True)
    assert "已撤销批次" in undone.get_data(as_text=True)
    logged_in(Role.leader)
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "0.00"


def test_a_progress_report_shows_at_once(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, year=THIS_YEAR, plan=PLAN, indicators=[
        {"name": "支持企业数", "target_number": Decimal(10), "target_unit": "家", "target_raw": "≥10家"}])
    session.commit()
    cockpit = f"/cockpit?year={THIS_YEAR}"
    logged_in(Role.leader)
    before = client.get(cockpit).get_data(as_text=True)
    # not reported yet: grey 未填报, or yellow 逾期未填报 once the reporting deadline has passed
    assert _indicators(before, "grey") + _indicators(before, "yellow") == 1
    assert client.get(cockpit).get_data(as_text=True).count('id="indicators-grey"') == 1

    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/progress"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    saved = post_form(client, url, {"indicator_id": str(project.indicators[0].id),
                                    "reported_on": today.isoformat(), "value": "10"},
                      token_from=url, follow_redirects=True)
    assert "已保存完成值" in saved.get_data(as_text=True)
    logged_in(Role.leader)
    after = client.get(cockpit).get_data(as_text=True)
    assert _indicators(after, "grey") == 0 and _indicators(after, "yellow") == 0  # 10 of 10: ≥ 100%
    assert sum(_indicators(after, colour) for colour in ("red", "yellow", "green", "blue")) == 1


def test_changes_not_yet_committed_are_shown_and_not_kept(app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    session.commit()
    logged_in(Role.leader)
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "0.00"
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])  # flushed only
    kept = _kept(app)
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "5.00"
    assert _kept(app) == kept


def test_scopes_and_unread_alerts_are_never_shared(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, finance = make_unit(session, "科技局"), make_unit(session, "财政局")
    ours = make_project(session, science, plan=PLAN, budget="1000000", name="科技项目")
    make_project(session, finance, plan=PLAN, budget="3000000", name="财政项目")
    alert = Alert(unit_id=science.id, project_id=ours.id, kind="turned_red", severity="red",
                  as_of=date(2025, 6, 30), message="科技项目转为红灯")
    session.add(alert)
    session.commit()

    reader = logged_in(Role.leader)
    page = client.get(COCKPIT).get_data(as_text=True)
    assert "财政项目" in page and "科技项目转为红灯" in page

    logged_in(Role.unit_staff, units=[science])
    page = client.get(COCKPIT).get_data(as_text=True)
    assert "财政项目" not in page and "100.00<small> 万元</small>" in page
    assert "科技项目转为红灯" in page

    session.add(AlertRead(alert_id=alert.id, user_id=reader.id))  # read by the first leader only
    session.commit()
    logged_in(Role.leader)
    assert "科技项目转为红灯" in client.get(COCKPIT).get_data(as_text=True)
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = reader.get_id()
    page = client.get(COCKPIT).get_data(as_text=True)
    assert "科技项目转为红灯" not in page and "本年度没有未读提醒" in page and "财政项目" in page


def test_a_slow_whole_province_page_shows_its_last_build_while_one_thread_rebuilds_it(
        app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """After a commit, the whole-province page whose last build was slow (every build counts
    as slow here) is shown as last built, with its time, while one thread rebuilds it; the
    next page after that is up to date.  A page of one unit is always exact."""
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    session.commit()
    logged_in(Role.leader)
    first = client.get(COCKPIT).get_data(as_text=True)
    assert _spent(first) == "0.00" and "正在更新" not in first
    cache = app.extensions["tracker.page_cache"]
    cache.slow_build = 0.0
    rebuilds: list = []  # type: ignore[type-arg]
    cache.start = rebuilds.append  # run after the request: the test's requests share one connection

    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    stale = client.get(COCKPIT).get_data(as_text=True)
    assert _spent(stale) == "0.00"
    assert re.search(r"页面数据截至 \d\d:\d\d（北京时间），正在更新", stale)
    assert "正在更新" in client.get(COCKPIT).get_data(as_text=True)
    assert len(rebuilds) == 2  # one rebuild per part (figures, departments), however many ask meanwhile
    for rebuild in rebuilds:
        rebuild()
    cache.wait_for_refreshes(timeout=30)
    fresh = client.get(COCKPIT).get_data(as_text=True)
    assert _spent(fresh) == "5.00" and "正在更新" not in fresh

    one_unit = f"{COCKPIT}&unit={unit.id}"
    assert _spent(client.get(one_unit).get_data(as_text=True)) == "5.00"
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-04-01", "30000")])
    session.commit()
    page = client.get(one_unit).get_data(as_text=True)
    assert _spent(page) == "8.00" and "正在更新" not in page  # one unit: never shown as last built


def test_a_whole_province_page_never_built_at_a_date_is_built_in_the_background(
        app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """When whole-province pages build slowly (every build counts as slow here), one asked at
    a date never built shows that it is being built and refreshes itself; no request waits."""
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    logged_in(Role.leader)
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "5.00"
    cache = app.extensions["tracker.page_cache"]
    cache.slow_build = 0.0
    rebuilds: list = []  # type: ignore[type-arg]
    cache.start = rebuilds.append  # run after the request: the test's requests share one connection

    other_date = "/cockpit?year=2025&as_of=2025-05-31"
    answer = client.get(other_date)
    pending = answer.get_data(as_text=True)
    assert answer.status_code == 202  # accepted, not ready: a load test can tell it from a page
    assert "全省汇总正在后台计算" in pending and '<meta http-equiv="refresh" content="5">' in pending
    assert "累计支出" not in pending and rebuilds
    for rebuild in rebuilds:
        rebuild()
    built = client.get(other_date).get_data(as_text=True)
    assert _spent(built) == "5.00" and "正在后台计算" not in built and "正在更新" not in built


def test_when_the_opening_date_moves_the_last_built_date_is_shown_labelled_while_the_new_one_builds(
        app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """An import that extends the ledgers moves the page's own date (the opening date) to one
    never built: the whole-province page of the date built last is shown, saying which date it
    is and that it is being updated, while one thread builds the new one — never the
    "正在后台计算" page.  A date asked for is never replaced by another."""
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    logged_in(Role.leader)
    opening = "/cockpit?year=2025"
    first = client.get(opening).get_data(as_text=True)
    assert "截至 2025-06-30</h1>" in first and _spent(first) == "5.00"
    cache = app.extensions["tracker.page_cache"]
    cache.slow_build = 0.0
    rebuilds: list = []  # type: ignore[type-arg]
    cache.start = rebuilds.append  # run after the request: the test's requests share one connection

    add_ledger(session, unit, ("2025-07-01", "2025-07-31"), [(project, "2025-07-10", "30000")])
    session.commit()  # the opening date is now 2025-07-31, never built
    answer = client.get(opening)
    moved = answer.get_data(as_text=True)
    assert answer.status_code == 200 and 'id="pending"' not in moved
    assert "截至 2025-06-30</h1>" in moved and _spent(moved) == "5.00"
    assert re.search(r"下面是截至 2025-06-30 的全省汇总（\d\d:\d\d 算好，北京时间），正在更新：默认日期已变为 "
                     r"2025-07-31", moved)
    assert len(rebuilds) == 2  # figures and departments, at the new date
    for rebuild in rebuilds:
        rebuild()
    fresh = client.get(opening).get_data(as_text=True)
    assert "截至 2025-07-31</h1>" in fresh and _spent(fresh) == "8.00" and "正在更新" not in fresh

    asked = client.get("/cockpit?year=2025&as_of=2025-05-31")  # asked for, never built: not replaced
    assert asked.status_code == 202 and "全省汇总正在后台计算" in asked.get_data(as_text=True)


def test_the_server_builds_the_opening_page_before_the_first_leader_asks(
        app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """``cockpit.warm_once`` (the server's warming thread) builds the whole-province page at
    the opening date; the first leader's request builds nothing.  It builds again when the
    opening date moves, and after other changes only once its last build is old."""
    from tracker.web import cockpit as cockpit_view

    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    leader = logged_in(Role.leader)
    with app.app_context():
        assert cockpit_view.warm_once() is True
        assert cockpit_view.warm_once() is False  # up to date
    built: list[str] = []
    original = cockpit_view._build_sections
    cockpit_view._build_sections = lambda *a: built.append("built") or original(*a)  # type: ignore[assignment]
    try:
        page = client.get("/cockpit?year=2025").get_data(as_text=True)
        assert _spent(page) == "5.00" and built == []

        add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-04-01", "10000")])
        session.commit()  # same opening date, newer data: rebuilt unasked only once the build is old
        with app.app_context():
            assert cockpit_view.warm_once() is False
            later = datetime.now(ZoneInfo("UTC")) + timedelta(seconds=cockpit_view.REWARM_SECONDS + 1)
            assert cockpit_view.warm_once(later) is True
        add_ledger(session, unit, ("2025-07-01", "2025-07-31"), [(project, "2025-07-10", "30000")])
        session.commit()  # the opening date moves: built at once
        with app.app_context():
            assert cockpit_view.warm_once() is True
        assert len(built) == 2
        page = client.get("/cockpit?year=2025").get_data(as_text=True)
        assert "截至 2025-07-31</h1>" in page and _spent(page) == "9.00" and len(built) == 2
    finally:
        cockpit_view._build_sections = original  # type: ignore[assignment]
    assert leader is not None


def test_the_page_lists_the_newest_ten_unread_alerts_and_counts_them_all(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    make_project(session, unit, plan=PLAN)
    session.add_all(Alert(unit_id=unit.id, project_id=None, kind="ledger_missing", severity="grey",
                          as_of=date(2025, 6, 30), message=f"第{n}条提醒") for n in range(1, 13))
    session.commit()
    logged_in(Role.leader)
    page = client.get(COCKPIT).get_data(as_text=True)
    assert "全部未读提醒（本年度 12 条）" in page
    assert "第12条提醒" in page and "第3条提醒" in page and "第2条提醒" not in page
