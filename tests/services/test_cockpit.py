"""领导驾驶舱 service: the year, unit and date chosen, the scope, and what is gathered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.models import Alert, AlertRead, DeviationExplanation, PlanPoint, Role
from tracker.services.cockpit import choose, gather, unread_alerts
from tracker.services.monitoring.evaluate import evaluate

PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}
TODAY = date(2026, 11, 23)


def _department(session: Session):  # type: ignore[no-untyped-def]
    science, finance = make_unit(session, "科技局"), make_unit(session, "财政局")
    lagging = make_project(session, science, budget="1000000", plan=PLAN, name="滞后项目", indicators=[
        {"name": "支持企业数", "target_number": Decimal(10), "target_unit": "家"}])
    on_plan = make_project(session, science, budget="3000000", plan=PLAN, name="正常项目")
    other = make_project(session, finance, budget="2000000", plan=PLAN, name="财政项目")
    make_project(session, science, year=2024, plan=None, name="去年项目")
    add_ledger(session, science, ("2025-01-01", "2025-06-30"),
               [(lagging, "2025-03-15", "50000"), (lagging, "2025-06-10", "100000.55"),
                (on_plan, "2025-05-20", "1500000")])
    add_ledger(session, finance, ("2025-01-01", "2025-03-31"), [(other, "2025-02-01", "200000")])
    report(session, lagging.indicators[0], "2025-06-20", value="2")
    return science, finance, lagging, on_plan, other


def test_choose_settles_year_unit_and_date_and_says_what_it_changed(session, make_user) -> None:  # type: ignore[no-untyped-def]
    science, finance, *_ = _department(session)
    leader = make_user(Role.leader)

    chosen = choose(session, leader, year=None, unit_id=None, as_of="", today=TODAY)
    assert chosen.years == (2025, 2024) and chosen.year == 2025  # 2026 has none: newest before
    # the latest date a ledger covers (科技局 through 06-30; 财政局 only through 03-31), said why
    assert chosen.as_of == date(2025, 6, 30) and chosen.notes == ()
    assert chosen.opening is not None and chosen.opening.note == (
        "显示截至 2025-06-30 的情况：这是已导入台账覆盖到的最新日期；2 个单位中 1 个的台账已覆盖此日，"
        "其余 1 个单位的项目资金状态显示为无法判断。")
    assert [(c.label, c.day.isoformat()) for c in chosen.checkpoints] == [
        ("3月底", "2025-03-31"), ("6月底", "2025-06-30"), ("10月底", "2025-10-31"), ("12月底", "2025-12-31")]
    one_unit = choose(session, leader, year=2025, unit_id=finance.id, as_of="", today=TODAY)
    assert one_unit.as_of == date(2025, 3, 31) and one_unit.opening is not None
    assert one_unit.opening.note == "显示截至 2025-03-31 的情况：这是已导入台账覆盖到的最新日期（1 个单位的台账均已覆盖）。"
    assert {uid for uid, _ in chosen.units} == {science.id, finance.id}

    later = choose(session, leader, year=2025, unit_id=finance.id, as_of="2026-03-01", today=TODAY)
    assert later.as_of == date(2025, 12, 31) and later.unit_id == finance.id
    assert later.notes == ("所选日期 2026-03-01 不在 2025 年内，已按年末 2025-12-31 计算。",)
    earlier = choose(session, leader, year=2025, unit_id=None, as_of="2024-12-31", today=TODAY)
    assert earlier.as_of == date(2025, 1, 1) and "已按年初 2025-01-01 计算" in earlier.notes[0]
    inside = choose(session, leader, year=2025, unit_id=None, as_of="2025-05-20", today=TODAY)
    assert inside.as_of == date(2025, 5, 20) and inside.notes == () and inside.opening is None
    bad = choose(session, leader, year=2025, unit_id=None, as_of="五月", today=TODAY)
    assert bad.as_of == date(2025, 6, 30) and bad.notes == ("日期“五月”无效，已按 2025-06-30 计算。",)
    this_year = choose(session, leader, year=2025, unit_id=None, as_of="", today=date(2025, 5, 8))
    assert this_year.as_of == date(2025, 5, 8) and this_year.notes == ()  # never after today
    # a ledger closed through 2025-06-30 covers 2024 whole (as monitoring judges coverage)
    assert choose(session, leader, year=2024, unit_id=None, as_of="", today=TODAY).as_of == date(2024, 12, 31)
    missing = choose(session, leader, year=1999, unit_id=None, as_of="", today=TODAY)
    assert missing.year == 2025 and missing.notes[0] == "1999 年没有可查看的项目，已改为显示其他年度。"
    make_project(session, make_unit(session, "新单位"), year=2026, name="今年项目")
    no_ledger = choose(session, leader, year=None, unit_id=None, as_of="", today=TODAY)
    assert no_ledger.year == 2026 and no_ledger.as_of == TODAY and no_ledger.opening is not None
    assert no_ledger.opening.note.startswith("2026 年还没有导入覆盖本年度的台账，按 2026-11-23 显示")


def test_unit_staff_see_only_their_units(session, make_user) -> None:  # type: ignore[no-untyped-def]
    science, finance, lagging, on_plan, other = _department(session)
    session.add_all([
        Alert(unit_id=finance.id, project_id=other.id, kind="turned_red", severity="red",
              as_of=date(2025, 6, 30), message="财政局的提醒"),
        Alert(unit_id=science.id, project_id=lagging.id, kind="turned_red", severity="red",
              as_of=date(2025, 6, 30), message="科技局的提醒")])
    session.flush()
    staff = make_user(Role.unit_staff, units=[science])

    chosen = choose(session, staff, year=2025, unit_id=finance.id, as_of="2025-06-30", today=TODAY)
    assert chosen.units == ((science.id, f"{science.code} 科技局"),) and chosen.unit_id is None
    assert chosen.notes == ("所选单位在该年度没有可查看的项目，已显示全部单位。",)
    data = gather(session, staff, chosen)
    assert data is not None
    assert {r.name for r in data.projects} == {"滞后项目", "正常项目"}
    assert all({r.project_id for r in rows} == {lagging.id, on_plan.id} for rows in data.month_ends.values())
    assert dict(data.units) == {science.id: "科技局"}
    assert [a.message for a in data.alerts] == ["科技局的提醒"]

    nobody = make_user(Role.unit_staff, units=[])
    empty = choose(session, nobody, year=None, unit_id=None, as_of="", today=TODAY)
    assert empty.year is None and gather(session, nobody, empty) is None


def test_gather_reads_every_figure_at_the_date_and_at_each_month_end(session, make_user) -> None:  # type: ignore[no-untyped-def]
    science, finance, lagging, on_plan, other = _department(session)
    for day, actions in ((date(2025, 3, 31), "三月的措施"), (date(2025, 6, 30), "加快支付进度"),
                         (date(2025, 10, 31), "十月的措施")):
        session.add(DeviationExplanation(project_id=lagging.id, as_of=day, causes=["funding", "other"],
                                         likelihood="possible", reason="资金晚到",
                                         corrective_actions=actions, actor="张三"))
    session.flush()
    alerts = [Alert(unit_id=science.id, project_id=lagging.id, kind="turned_red", severity="red",
                    as_of=date(2025, 6, 30), message="未读"),
              Alert(unit_id=science.id, project_id=lagging.id, kind="turned_yellow", severity="yellow",
                    as_of=date(2025, 5, 31), message="已读"),
              Alert(unit_id=science.id, project_id=None, kind="ledger_missing", severity="grey",
                    as_of=date(2024, 12, 31), message="去年")]
    session.add_all(alerts)
    session.flush()
    leader = make_user(Role.leader)
    session.add(AlertRead(alert_id=alerts[1].id, user_id=leader.id))
    session.flush()

    data = gather(session, leader, choose(session, leader, year=2025, unit_id=None, as_of="2025-06-30",
                                          today=TODAY))
    assert data is not None and data.as_of == date(2025, 6, 30)
    by_id = {r.project_id: r for r in data.projects}
    assert set(by_id) == {lagging.id, on_plan.id, other.id}
    assert by_id[lagging.id].spent == Decimal("150000.55")  # exact, from the ledger
    assert by_id[lagging.id].money_status == "red" and by_id[on_plan.id].money_status == "green"
    assert by_id[other.id].ledger_covered is False and by_id[other.id].money_status == "grey"
    assert sorted(data.month_ends) == [date(2025, m, d) for m, d in (
        (1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30),
        (10, 31), (11, 30), (12, 31))]
    march = {r.project_id: r for r in data.month_ends[date(2025, 3, 31)]}
    assert march[lagging.id].spent == Decimal("50000.00") and march[other.id].ledger_covered
    assert data.checkpoints == [date(2025, 3, 31), date(2025, 6, 30), date(2025, 10, 31),
                                date(2025, 12, 31)]
    assert data.cutoff == date(2025, 6, 30)

    explanation = data.explanations[lagging.id]  # the newest on or before the date
    assert (explanation.as_of, explanation.corrective_actions) == (date(2025, 6, 30), "加快支付进度")
    assert explanation.causes == ("经费保障", "其他") and explanation.likelihood == "有可能"
    assert [a.message for a in data.alerts] == ["未读"]  # unread, of this year
    assert [(i.name, i.level1) for i in data.indicators] == [("支持企业数", "产出指标")]
    assert data.indicators[0].colour == "red"  # 2 of 10 × 6/12

    one_unit = gather(session, leader, choose(session, leader, year=2025, unit_id=finance.id,
                                              as_of="2025-06-30", today=TODAY))
    assert one_unit is not None and [r.name for r in one_unit.projects] == ["财政项目"]
    assert one_unit.alerts == [] and one_unit.unit_id == finance.id


def test_unread_alerts_are_counted_beyond_those_read(session, make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The page lists the newest ten and the export the newest ``ALERTS_READ``; the count
    they print is of every unread alert, and the export says the rest are not in it."""
    import tracker.services.cockpit as cockpit_service
    from tracker.reports import cockpit as cockpit_figures
    from tracker.reports import page_tables

    unit = make_unit(session)
    make_project(session, unit)
    session.add_all(Alert(unit_id=unit.id, project_id=None, kind="ledger_missing", severity="grey",
                          as_of=date(2025, 6, 30), message=f"提醒{n}") for n in range(5))
    session.flush()
    leader = make_user(Role.leader)
    selection = choose(session, leader, year=2025, unit_id=None, as_of="2025-06-30", today=TODAY)
    listed, total = unread_alerts(session, leader, selection, limit=2)
    assert [a.message for a in listed] == ["提醒4", "提醒3"] and total == 5
    assert unread_alerts(session, leader, selection, limit=10)[1] == 5

    monkeypatch.setattr(cockpit_service, "ALERTS_READ", 3)
    data = gather(session, leader, selection)
    assert data is not None and len(data.alerts) == 3 and data.alerts_total == 5
    sheet = next(t for t in page_tables.cockpit(data).tables if t.title == "未读提醒")
    rows = list(sheet.rows)
    assert len(rows) == 4 and rows[-1][-1] == "仅列最新 3 条，共 5 条未读提醒；全部提醒见“提醒”页的导出"

    # a province's year of alerts is not counted on every page view: beyond the cap, "more than"
    monkeypatch.setattr(cockpit_service, "ALERTS_COUNTED", 4)
    monkeypatch.setattr(cockpit_figures, "ALERTS_COUNTED", 4)
    listed, total = unread_alerts(session, leader, selection, limit=2)
    assert len(listed) == 2 and total == 5 and cockpit_figures.alert_count_text(total) == "超过 4 条"
    assert cockpit_figures.alert_count_text(4) == " 4 条"
    data = gather(session, leader, selection)
    assert data is not None
    rows = list(next(t for t in page_tables.cockpit(data).tables if t.title == "未读提醒").rows)
    assert rows[-1][-1] == "仅列最新 3 条，共超过 4 条未读提醒；全部提醒见“提醒”页的导出"


def test_month_end_money_is_what_evaluate_says_there(session, make_user) -> None:  # type: ignore[no-untyped-def]
    """The curve and the matrix read money at month ends without a full evaluation; it must
    agree with ``evaluate`` for every kind of plan."""
    science, finance, *_ = _department(session)
    make_project(session, science, budget="500000", plan={"03-31": "40", "06-30": "30",  # dips
                                                           "12-31": "100"}, name="计划回落")
    make_project(session, finance, budget="800000", plan={"03-31": "25", "09-30": "75"}, name="按季度")
    default = make_project(session, finance, budget="0", plan={"06-30": "50", "12-31": "100"},
                           default_plan=True, name="默认计划无预算")
    blank = make_project(session, finance, budget="300000", name="空白节点", plan={  # seed 003
        "03-31": "", "06-30": "", "10-31": "", "12-31": "100"})
    stray = make_project(session, science, budget="600000", name="他年节点")
    session.add(PlanPoint(project_id=stray.id, checkpoint=date(2024, 12, 31),
                          cumulative_pct=Decimal(100), is_default=False))
    add_ledger(session, finance, ("2025-07-01", "2025-09-30"),
               [(default, "2025-08-08", "1000"), (stray, "2025-09-01", "-50")])
    leader = make_user(Role.leader)

    data = gather(session, leader, choose(session, leader, year=2025, unit_id=None,
                                          as_of="2025-08-20", today=TODAY))
    assert data is not None and len(data.month_ends) == 12
    for day, rows in data.month_ends.items():
        evaluated = evaluate(session, day)
        assert {r.project_id for r in rows} == set(evaluated)
        for r in rows:
            e = evaluated[r.project_id]
            assert (r.budget, r.spent, r.planned_pct, r.ledger_covered, r.unit_id) == (
                e.budget, e.spent, e.money.planned_pct, e.ledger_covered, e.unit_id), (day, r)
    # blank checkpoints are interpolated, never 0% (DOMAIN §2): 181/365 at 06-30
    june = {r.project_id: r for r in data.month_ends[date(2025, 6, 30)]}
    assert round(june[blank.id].planned_pct, 2) == Decimal("49.59")
