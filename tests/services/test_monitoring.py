"""双监控 evaluation, checkpoint freezing, daily refresh, transitions and reminders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.errors import ValidationFailed
from tracker.models import Alert, DeviationExplanation, Role, Snapshot
from tracker.services.monitoring.alerts import alerts_for, mark_read, unread_count
from tracker.services.monitoring.pages import project_monitoring
from tracker.services.monitoring.projects import checkpoints_of
from tracker.services.monitoring.settings import settings_form_values, update_settings
from tracker.services.monitoring.snapshots import record_checkpoints
from tracker.services.monitoring.evaluate import evaluate
from tracker.services.monitoring.reminders import send_reminders
from tracker.services.monitoring.snapshots import freeze_checkpoints, refresh_daily, summarize_changes, transition_kind
from tracker.services.spending import spent_through
from tracker.services.users import create_user

PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}
D = date.fromisoformat


@pytest.fixture()
def unit(session):  # type: ignore[no-untyped-def]
    return make_unit(session)


def _alerts(session, kind: str | None = None) -> list[Alert]:  # type: ignore[no-untyped-def]
    query = select(Alert).order_by(Alert.id)
    if kind:
        query = query.where(Alert.kind == kind)
    return list(session.scalars(query))


# --- evaluation ---------------------------------------------------------------------------


def test_evaluation_at_a_checkpoint_gives_every_figure(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN, indicators=[
        {"name": "支持企业数", "target_number": Decimal(10)}])
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(project, "2025-02-10", "100000"), (project, "2025-06-30", "200000")])
    report(session, project.indicators[0], "2025-06-20", value="5")

    e = evaluate(session, D("2025-06-30"))[project.id]

    assert e.spent == Decimal("300000.00")
    assert e.money.execution_rate == 30 and e.money.planned_pct == 50
    assert e.money.gap_points == 20 and e.money.ratio == 60
    assert e.money.status == "yellow"  # v = 60 is yellow, not red
    assert e.ledger_covered and e.ledger_closed_through == D("2025-06-30")
    assert e.forecast.by_plan == Decimal("800000")  # 300000 + 1000000 × (100 − 50)%
    assert e.forecast.carry_over_by_plan == Decimal("200000")
    assert e.indicators[0].status.colour == "green" and e.indicators[0].status.ratio == 100
    assert (e.results, e.overall) == ("green", "yellow")
    values = e.snapshot_values()
    assert values["forecast_run_rate"] == Decimal("600000.00")  # 300000 ÷ 序时进度 50%
    assert values["indicators"][0]["colour"] == "green"


@pytest.mark.parametrize(("spent", "status"), [
    ("299999.99", "red"),  # v just under 60
    ("300000", "yellow"),  # v = 60
    ("399999.99", "yellow"),
    ("400000", "green"),  # v = 80
    ("1000000", "green"),
    ("1000000.01", "overspent"),  # 执行率 > 100%
])
def test_money_thresholds(session, unit, spent: str, status: str) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", spent)])
    assert evaluate(session, D("2025-06-30"))[project.id].money.status == status


def test_a_date_the_ledger_does_not_cover_is_grey_not_red(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-05-31"), [(project, "2025-01-05", "1")])
    e = evaluate(session, D("2025-06-30"))[project.id]
    assert e.money.status == "grey" and not e.ledger_covered
    assert "台账未覆盖" in e.money.note
    assert e.overall == "grey"  # no indicators either
    # the current status judges money at the last covered day instead
    current = evaluate(session, D("2025-06-30"), money_at_ledger_date=True)[project.id]
    assert current.money_as_of == D("2025-05-31") and current.ledger_covered
    assert current.money.status == "red"


def test_mid_month_dates_count_rows_up_to_the_day(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [
        (project, "2025-05-31", "100"), (project, "2025-06-10", "20"), (project, "2025-06-16", "3")])
    assert evaluate(session, D("2025-06-15"))[project.id].spent == Decimal("120.00")
    assert evaluate(session, D("2025-06-16"))[project.id].spent == Decimal("123.00")


def test_month_end_totals_agree_with_spent_through(session, unit) -> None:  # type: ignore[no-untyped-def]
    a, b = make_project(session, unit), make_project(session, unit)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [
        (a, "2025-01-31", "10.01"), (a, "2025-06-30", "5"), (b, "2025-04-01", "-2.50"),
        (b, "2025-07-01", "99")])
    day = D("2025-06-30")
    assert spent_through(session, day) == {a.id: Decimal("15.01"), b.id: Decimal("-2.50")}
    assert spent_through(session, day, [a.id]) == {a.id: Decimal("15.01")}
    assert spent_through(session, D("2025-06-29")) == {a.id: Decimal("10.01"), b.id: Decimal("-2.50")}
    assert evaluate(session, day)[b.id].spent == Decimal("-2.50")


def test_plan_default_budget_zero_and_unparsed_indicator(session, unit) -> None:  # type: ignore[no-untyped-def]
    no_plan = make_project(session, unit)  # 序时进度: 6/12 at 06-30
    empty = make_project(session, unit, budget="0", indicators=[
        {"name": "无法解析", "target_number": None}])
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(no_plan, "2025-03-01", "500000")])
    result = evaluate(session, D("2025-06-30"))
    assert result[no_plan.id].money.planned_pct == 50 and result[no_plan.id].money.status == "green"
    assert result[empty.id].money.status == "grey"
    assert result[empty.id].indicators[0].status.colour == "grey"


def test_only_projects_of_the_year_are_evaluated(session, unit) -> None:  # type: ignore[no-untyped-def]
    this, other = make_project(session, unit), make_project(session, unit, year=2024)
    assert set(evaluate(session, D("2025-03-31"), [this.id, other.id])) == {this.id}


def test_indicator_reports_newest_by_date_counts_and_results_take_the_worst(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, indicators=[
        {"name": "数量", "target_number": Decimal(100)},
        {"name": "成本", "kind": "reverse", "op": "<=", "target_number": Decimal(50)},
        {"name": "满意度", "kind": "qualitative", "op": None, "target_number": None},
        {"name": "未填", "target_number": Decimal(1)},
    ])
    quantity, cost, quality, _blank = project.indicators
    report(session, quantity, "2025-06-20", value="50")
    report(session, quantity, "2025-06-10", value="1")  # entered later, dated earlier
    report(session, quantity, "2025-07-05", value="0")  # after as_of: not counted yet
    report(session, cost, "2025-06-01", value="60")
    report(session, quality, "2025-06-01", achievement="部分达成目标并具有一定效果")

    e = evaluate(session, D("2025-06-30"))[project.id]
    colours = [i.status.colour for i in e.indicators]
    # 未填: nothing reported after the reporting deadline (04-10) → yellow 逾期未填报 (DOMAIN §2)
    assert colours == ["green", "red", "yellow", "yellow"]
    assert e.indicators[0].report.value == 50
    assert e.results == "red"
    assert evaluate(session, D("2025-07-05"))[project.id].indicators[0].status.colour == "red"


def test_own_plan_dates_are_the_checkpoints(session, unit) -> None:  # type: ignore[no-untyped-def]
    quarterly = make_project(session, unit, plan={
        "03-31": "20", "06-30": "40", "09-30": "70", "12-31": "100"})
    defaulted = make_project(session, unit, plan={"12-31": "100"}, default_plan=True)
    assert checkpoints_of(session, quarterly) == (
        D("2025-03-31"), D("2025-06-30"), D("2025-09-30"), D("2025-12-31"))
    assert checkpoints_of(session, defaulted) == (
        D("2025-03-31"), D("2025-06-30"), D("2025-10-31"), D("2025-12-31"))


# --- freezing -----------------------------------------------------------------------------


def test_frozen_checkpoint_survives_a_ledger_correction(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(project, "2025-02-10", "100000"), (project, "2025-06-30", "200000")])

    created = freeze_checkpoints(session, D("2025-07-10"))
    assert sorted(s.as_of for s in created) == [D("2025-03-31"), D("2025-06-30")]
    june = session.scalar(select(Snapshot).where(Snapshot.as_of == D("2025-06-30")))
    assert (june.frozen, june.overall_status, june.spent) == (True, "yellow", Decimal("300000.00"))
    assert june.execution_rate == Decimal("30.0000") and june.evaluated_on == D("2025-07-10")
    assert [a.kind for a in _alerts(session)] == ["checkpoint_flagged"]
    assert "请于2025-07-25前填写偏差说明" in _alerts(session)[0].message

    # finance later books a forgotten May payment: the past changes, the frozen value does not
    add_ledger(session, unit, ("2025-05-01", "2025-05-31"), [(project, "2025-05-15", "300000")])
    assert freeze_checkpoints(session, D("2025-08-01")) == []
    session.expire_all()
    view = project_monitoring(session, project, D("2025-06-30"))
    assert view.frozen.spent == Decimal("300000.00") and view.frozen.overall_status == "yellow"
    assert view.evaluation.spent == Decimal("600000.00") and view.evaluation.money.status == "green"
    assert view.evaluation.overall == "grey"  # no indicator reported: red > yellow > grey > green
    row = next(r for r in view.checkpoints if r.checkpoint == D("2025-06-30"))
    assert row.frozen.money_status == "yellow" and row.now.money.status == "green"


def test_uncovered_checkpoint_is_not_frozen_and_the_unit_is_reminded_once(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-05-31"), [(project, "2025-02-10", "100000")])
    stored = freeze_checkpoints(session, D("2025-07-10"))
    assert [(s.as_of, s.frozen, s.late) for s in stored] == [
        (D("2025-03-31"), True, True), (D("2025-06-30"), False, True)]
    june = stored[1]
    assert june.ledger_covered is False and june.money_status == "grey"
    # the provisional June value is not shown as frozen
    assert project_monitoring(session, project, D("2025-06-30")).frozen is None
    raised = send_reminders(session, D("2025-07-01"))
    ledger = [a for a in raised if a.kind == "ledger_missing"]
    assert len(ledger) == 1 and ledger[0].project_id is None and ledger[0].unit_id == unit.id
    assert "2025-06-30" in ledger[0].message and "台账只导入到2025-05-31" in ledger[0].message
    assert not [a for a in send_reminders(session, D("2025-07-02")) if a.kind == "ledger_missing"]
    assert not [a for a in send_reminders(session, D("2025-06-30")) if a.kind == "ledger_missing"
                and a.as_of == D("2025-06-30")]


def test_checkpoint_on_the_day_itself_is_not_frozen(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-02-10", "1")])
    assert [s.as_of for s in freeze_checkpoints(session, D("2025-06-30"))] == [D("2025-03-31")]
    assert [s.as_of for s in freeze_checkpoints(session, D("2025-07-01"))] == [D("2025-06-30")]


def test_checkpoint_job_on_the_day_then_frozen_when_the_ledger_arrives(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-05-31"), [(project, "2025-02-10", "100000")])
    # 06-30 23:30: evaluated on time, provisional (the June ledger is not in yet)
    [june] = record_checkpoints(session, D("2025-06-30"))
    assert (june.as_of, june.frozen, june.late, june.evaluated_on) == (
        D("2025-06-30"), False, False, D("2025-06-30"))
    assert record_checkpoints(session, D("2025-07-01")) == []  # not a checkpoint
    # nightly: still not covered → left provisional (not re-created late)
    assert [s for s in freeze_checkpoints(session, D("2025-07-02")) if s.as_of == june.as_of] == []
    assert not june.frozen and not june.late
    add_ledger(session, unit, ("2025-06-01", "2025-06-30"), [(project, "2025-06-20", "200000")])
    stored = [s for s in freeze_checkpoints(session, D("2025-07-15")) if s.as_of == june.as_of]
    assert stored == [june] and june.frozen and not june.late
    assert june.spent == Decimal("300000.00") and june.evaluated_on == D("2025-07-15")
    # frozen: later runs leave it alone
    add_ledger(session, unit, ("2025-06-01", "2025-06-30"), [(project, "2025-06-21", "5")])
    assert freeze_checkpoints(session, D("2025-07-20")) == []


def test_last_years_year_end_is_frozen_in_january(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, year=2024, plan={"12-31": "100"})
    add_ledger(session, unit, ("2024-01-01", "2024-12-31"), [(project, "2024-12-20", "1000000")])
    frozen = freeze_checkpoints(session, D("2025-01-15"))
    assert D("2024-12-31") in {s.as_of for s in frozen}
    year_end = next(s for s in frozen if s.as_of == D("2024-12-31"))
    assert (year_end.money_status, year_end.overall_status) == ("green", "grey")  # nothing reported


# --- daily refresh and transitions --------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "kind"), [
    (None, "yellow", "turned_yellow"), ("green", "red", "turned_red"), ("grey", "red", "turned_red"),
    ("blue", "yellow", "turned_yellow"), ("yellow", "red", "worsened"), ("red", "green", "recovered"),
    ("yellow", "blue", "recovered"), ("red", "yellow", None), ("green", "grey", None),
    ("red", "grey", None), ("red", "red", None), (None, "green", None),
])
def test_transition_kinds(old: str | None, new: str, kind: str | None) -> None:
    assert transition_kind(old, new) == kind


def _results_green(session, project) -> None:  # type: ignore[no-untyped-def]
    """Report the project's one level indicator at its target, so the combined status is the
    money colour (an unreported project is grey, DOMAIN §2)."""
    report(session, project.indicators[0], "2025-01-15", value="90")


SATISFACTION = [{"name": "企业满意度", "target_number": Decimal(90), "target_unit": "%"}]


def test_daily_refresh_raises_turned_worsened_recovered(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, indicators=SATISFACTION)  # 序时进度: 50% at 06-30
    _results_green(session, project)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "300000")])
    first = refresh_daily(session, D("2025-07-05"))
    assert [(t.kind, t.old, t.new) for t in first] == [("turned_yellow", None, "yellow")]
    daily = session.scalar(select(Snapshot).where(Snapshot.kind == "daily"))
    assert (daily.as_of, daily.money_as_of) == (D("2025-07-05"), D("2025-06-30"))
    assert refresh_daily(session, D("2025-07-06")) == []  # nothing changed, nothing raised

    add_ledger(session, unit, ("2025-06-01", "2025-06-30"), [(project, "2025-06-05", "-100000")])
    assert [t.kind for t in refresh_daily(session, D("2025-07-07"))] == ["worsened"]
    add_ledger(session, unit, ("2025-06-01", "2025-06-30"), [(project, "2025-06-06", "400000")])
    assert [t.kind for t in refresh_daily(session, D("2025-07-08"))] == ["recovered"]

    kinds = [a.kind for a in _alerts(session)]
    assert kinds == ["turned_yellow", "worsened", "recovered"]
    assert session.scalar(select(Snapshot).where(Snapshot.kind == "daily")).as_of == D("2025-07-08")
    assert len(session.scalars(select(Snapshot).where(Snapshot.kind == "daily")).all()) == 1
    worsened = _alerts(session, "worsened")[0]
    assert "由黄灯状态恶化" in worsened.message and "执行率20.00%" in worsened.message


def test_summarize_changes_after_an_import(session, unit) -> None:  # type: ignore[no-untyped-def]
    red = make_project(session, unit, name="红项目", indicators=SATISFACTION)
    green = make_project(session, unit, name="绿项目", indicators=SATISFACTION)
    _results_green(session, red), _results_green(session, green)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(red, "2025-03-01", "100"), (green, "2025-03-01", "500000")])
    summary = summarize_changes(session, [red.id, green.id], D("2025-07-05"))
    assert [t.name for t in summary.new] == ["红项目"] and summary.new[0].new == "red"
    assert summary.worsened == () and summary.recovered == ()
    assert summary.frozen == 4  # 03-31 and 06-30 of both projects
    assert "新增预警 1 个（红项目）" in summary.text
    add_ledger(session, unit, ("2025-06-01", "2025-06-30"), [(red, "2025-06-02", "500000")])
    again = summarize_changes(session, [red.id], D("2025-07-06"))
    assert [t.name for t in again.recovered] == ["红项目"] and again.frozen == 0
    assert summarize_changes(session, [], D("2025-07-06")).text.startswith("项目状态无变化")


# --- reminders ----------------------------------------------------------------------------


def test_progress_overdue_after_the_grace_period(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, name="进度项目", indicators=[
        {"name": "已报"}, {"name": "旧报"}, {"name": "未报"},
        {"name": "已完成时限", "kind": "deadline", "op": None, "target_number": None,
         "deadline": D("2025-05-31")}])
    done, stale, _never, deadline = project.indicators
    report(session, done, "2025-05-01", value="1")
    report(session, stale, "2025-03-15", value="1")
    report(session, deadline, "2025-05-20", completed_on="2025-05-20")

    on_time = send_reminders(session, D("2025-07-10"))  # 06-30 + 10 days: still on time
    assert not [a for a in on_time if a.kind == "progress_overdue" and a.as_of == D("2025-06-30")]
    late = [a for a in send_reminders(session, D("2025-07-11")) if a.kind == "progress_overdue"]
    assert len(late) == 1 and late[0].as_of == D("2025-06-30") and late[0].project_id == project.id
    assert "2 项（旧报、未报）自2025-03-31后未填报" in late[0].message
    assert "已报" not in late[0].message.split("：")[1] and "已完成时限" not in late[0].message


def test_every_overdue_indicator_is_named_never_cut_with_deng(session, unit) -> None:  # type: ignore[no-untyped-def]
    names = [f"指标{n}" for n in range(1, 8)]
    make_project(session, unit, name="七个指标", indicators=[{"name": name} for name in names])
    late = [a for a in send_reminders(session, D("2025-07-11")) if a.kind == "progress_overdue"]
    assert any(f"7 项（{'、'.join(names)}）" in a.message for a in late)
    assert not any("等" in a.message for a in late)


def test_explanation_overdue_until_explained(session, unit, make_user) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, name="红灯项目")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-02-01", "100000")])
    frozen = freeze_checkpoints(session, D("2025-07-10"))
    assert {s.overall_status for s in frozen} == {"red"}
    session.add(DeviationExplanation(project_id=project.id, as_of=D("2025-06-30"), causes=["funding"],
                                     likelihood="certain", actor="test"))
    session.flush()
    assert not [a for a in send_reminders(session, D("2025-07-25")) if a.kind == "explanation_overdue"]
    late = [a for a in send_reminders(session, D("2025-07-26")) if a.kind == "explanation_overdue"]
    assert [a.as_of for a in late] == [D("2025-03-31")]  # 06-30 is explained
    assert "应于2025-07-25前填写" in late[0].message and late[0].severity == "red"


# --- alerts -------------------------------------------------------------------------------


def test_each_user_sees_the_alerts_of_what_they_may_see(session) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = make_unit(session, "本单位"), make_unit(session, "他单位")
    for unit in (mine, theirs):
        session.add(Alert(unit_id=unit.id, kind="ledger_missing", severity="grey",
                          as_of=D("2025-06-30"), message=f"{unit.name}提醒"))
    session.flush()
    staff = create_user(session, "staff-m", Role.unit_staff, "password123", units=[mine])
    leader = create_user(session, "leader-m", Role.leader, "password123")

    assert [i.alert.message for i in alerts_for(session, staff)] == ["本单位提醒"]
    assert len(alerts_for(session, leader)) == 2
    assert unread_count(session, staff) == 1
    assert mark_read(session, staff, None) == 1
    assert unread_count(session, staff) == 0 and unread_count(session, leader) == 2
    assert alerts_for(session, staff)[0].read
    other = alerts_for(session, leader)[0].alert.id
    assert mark_read(session, leader, [other]) == 1
    assert mark_read(session, staff, [other]) == 0  # not theirs to see


# --- settings -----------------------------------------------------------------------------


def _form(**changes: str) -> dict[str, str]:
    values = {"red_below": "60", "yellow_below": "80", "blue_from": "120",
              "time_progress_method": "month", "default_plan": "", "monitoring_month": "6",
              "progress_due_days": "10", "explanation_due_days": "15", "ledger_due_days": "0"}
    return {**values, **changes}


def test_settings_change_thresholds_plan_and_cutoff_but_not_frozen_values(session, unit) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, unit, plan=PLAN)
    no_plan = make_project(session, unit)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "300000")])
    freeze_checkpoints(session, D("2025-07-10"))

    update_settings(session, _form(red_below="70", default_plan="6：40，12:100",
                                              monitoring_month="7"), "admin")
    assert evaluate(session, D("2025-06-30"))[project.id].money.status == "red"
    assert evaluate(session, D("2025-06-30"))[no_plan.id].money.planned_pct == 40
    assert D("2025-07-31") in checkpoints_of(session, project)
    frozen = session.scalar(select(Snapshot).where(Snapshot.as_of == D("2025-06-30")))
    assert frozen.money_status == "yellow"
    assert settings_form_values(session)["default_plan"] == "6:40, 12:100"

    with pytest.raises(ValidationFailed, match="红灯阈值"):
        update_settings(session, _form(red_below="90"), "admin")
    with pytest.raises(ValidationFailed, match="月份:累计百分比"):
        update_settings(session, _form(default_plan="50"), "admin")
    with pytest.raises(ValidationFailed, match="整数天数"):
        update_settings(session, _form(progress_due_days="-1"), "admin")
    with pytest.raises(ValidationFailed, match="设置不完整"):
        update_settings(session, {}, "admin")


def test_blank_checkpoints_are_interpolated_not_zero(session, unit) -> None:  # type: ignore[no-untyped-def]
    """DOMAIN §2: "at 2025-06-30 a plan given only as 100% at 12月底 reads 181/365 = 49.59%" — the
    issue's seed 003 stores its blank 3月/6月/10月 cells; they are skipped, never read as 0%."""
    project = make_project(session, unit, budget="1000000", plan={
        "03-31": "", "06-30": "", "10-31": "", "12-31": "100"})
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-05-10", "297000")])
    e = evaluate(session, D("2025-06-30"))[project.id]
    assert round(e.money.planned_pct, 2) == Decimal("49.59")
    assert e.money.status == "red"  # v = 29.7 ÷ 49.59 × 100 = 59.89 (under 0% it was green)
    assert not e.forecast.over_plan_by_plan and e.forecast.carry_over_by_plan > 0
    assert round(e.forecast.by_plan) == 297000 + round(1000000 * (1 - Decimal(181) / 365))
    # the blank cells' dates stay the project's checkpoints
    assert checkpoints_of(session, project) == (
        D("2025-03-31"), D("2025-06-30"), D("2025-10-31"), D("2025-12-31"))
