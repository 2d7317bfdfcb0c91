"""Progress reports and deviation explanations: validation, history, evidence files."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.monitoring_builders import make_project, make_unit
from tracker.errors import FormInvalid, NotFound, ValidationFailed
from tracker.models import AuditEntry, DeviationExplanation, ProgressReport
from tracker.services.monitoring.evaluate import evaluate
from tracker.services.progress import (
    Evidence,
    ExplanationForm,
    ProgressForm,
    evidence_path,
    explanation_date,
    record_explanation,
    record_progress,
)

TODAY = date(2025, 7, 10)
D = date.fromisoformat


@pytest.fixture()
def project(session):  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    return make_project(session, unit, indicators=[
        {"name": "培训人数", "target_number": Decimal(200), "target_unit": "人"},
        {"name": "群众满意度", "kind": "qualitative", "op": None, "target_number": None},
        {"name": "按期完工", "kind": "deadline", "op": None, "target_number": None,
         "deadline": D("2025-09-30")},
    ])


def _form(indicator, **values: str) -> ProgressForm:  # type: ignore[no-untyped-def]
    return ProgressForm(indicator_id=str(indicator.id), reported_on=values.pop("reported_on", "2025-06-30"),
                        **values)


def test_history_is_kept_and_the_newest_by_date_counts(session, project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    people = project.indicators[0]
    first = record_progress(session, project, _form(people, value="1,20", note="上半年"), TODAY, "staff",
                            Evidence("C:\\材料\\签到表.pdf", b"%PDF-1.4 sign-in"), tmp_path)
    record_progress(session, project, _form(people, value="60", reported_on="2025-05-31"), TODAY, "staff")
    reports = session.scalars(select(ProgressReport).order_by(ProgressReport.id)).all()
    assert [(r.reported_on, r.value) for r in reports] == [(D("2025-06-30"), Decimal("120")),
                                                           (D("2025-05-31"), Decimal("60"))]
    assert first.evidence_name == "签到表.pdf" and first.evidence_size == 16
    digest = hashlib.sha256(b"%PDF-1.4 sign-in").hexdigest()
    assert first.evidence_sha256 == digest
    assert evidence_path(tmp_path, digest).read_bytes() == b"%PDF-1.4 sign-in"
    status = evaluate(session, D("2025-06-30"))[project.id].indicators[0]
    assert status.report.value == 120 and status.status.colour == "blue"  # 120 ÷ (200 × 6/12) = 120%
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "report_progress")) is not None


@pytest.mark.parametrize(("position", "values", "message"), [
    (0, {"value": ""}, "请填写“培训人数”的当前完成值"),
    (0, {"value": "很多"}, "应为数字"),
    (0, {"value": "1.00001"}, "最多保留4位小数"),
    (0, {"value": "-5"}, "当前完成值不能为负数（指标单位为“人”），当前为“-5”"),
    (0, {"value": "-5人"}, "不能为负数"),
    (0, {"value": "−5 人"}, "不能为负数"),
    (0, {"value": "5", "reported_on": "2024-12-31"}, "应在2025年内"),
    (0, {"value": "5", "reported_on": "2025-07-11"}, "不晚于今天"),
    (0, {"value": "5", "reported_on": "6月底"}, "应为日期"),
    (1, {"achievement": "还行"}, "定性指标完成情况应为"),
    (2, {}, "时限指标请填写完成日期"),
    (2, {"completed_on": "2025-07-01"}, "完成日期不能晚于"),
])
def test_progress_is_validated(session, project, position: int, values: dict[str, str], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match=message):
        record_progress(session, project, _form(project.indicators[position], **values), TODAY, "staff")
    assert session.scalar(select(ProgressReport.id)) is None


def test_every_error_is_found_at_once_by_field(session, project) -> None:  # type: ignore[no-untyped-def]
    people, _, works = project.indicators
    with pytest.raises(FormInvalid) as caught:
        record_progress(session, project, _form(people, value="很多", reported_on="2024-12-31"), TODAY, "staff")
    assert caught.value.fields == {
        "reported_on": "完成值日期应在2025年内且不晚于今天（2025-01-01 至 2025-07-10），当前为 2024-12-31",
        "value": "当前完成值应为数字（可带单位），当前为“很多”"}
    with pytest.raises(FormInvalid) as caught:
        record_progress(session, project, _form(works, completed_on="七月", reported_on="六月"), TODAY, "staff")
    assert set(caught.value.fields) == {"reported_on", "completed_on"}


@pytest.mark.parametrize("typed", ["95%", "95 %", "95％", "95百分比", " 95 ％ "])
def test_a_percentage_is_accepted_with_its_sign(session, typed: str) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session, make_unit(session), indicators=[
        {"name": "验收合格率", "target_number": Decimal(90), "target_unit": "%", "target_raw": "≥90%"}])
    saved = record_progress(session, project, _form(project.indicators[0], value=typed), TODAY, "staff")
    assert saved.value == Decimal(95)


def test_a_negative_value_is_kept_for_a_rate_that_can_fall_or_a_negative_target(session) -> None:  # type: ignore[no-untyped-def]
    """−5 人 is a typing error; a growth rate of −3 % or −3 个百分点 is a fact, and so is a value
    below zero when the target itself is below zero (a 指标值 of ≤ −2)."""
    project = make_project(session, make_unit(session), indicators=[
        {"name": "营业收入增长率", "target_number": Decimal(10), "target_unit": "%", "target_raw": "≥10%"},
        {"name": "合格率变化", "target_number": Decimal(1), "target_unit": "百分点", "target_raw": "≥1百分点"},
        {"name": "温差", "target_number": Decimal(-2), "target_unit": None, "target_raw": "≤-2"}])
    rate, points, below = project.indicators
    assert record_progress(session, project, _form(rate, value="-3%"), TODAY, "staff").value == Decimal(-3)
    assert record_progress(session, project, _form(rate, value="－2.5 ％"), TODAY, "staff").value == Decimal("-2.5")
    assert record_progress(session, project, _form(points, value="-0.5"), TODAY, "staff").value == Decimal("-0.5")
    assert record_progress(session, project, _form(below, value="-4"), TODAY, "staff").value == Decimal(-4)


def test_a_unit_that_contradicts_the_indicator_is_refused_by_name(session, project) -> None:  # type: ignore[no-untyped-def]
    people = project.indicators[0]
    with pytest.raises(FormInvalid) as caught:
        record_progress(session, project, _form(people, value="95%"), TODAY, "staff")
    assert caught.value.fields == {"value": "当前完成值单位“%”与年度指标值单位“人”不一致，请换算后填写"}
    assert record_progress(session, project, _form(people, value="120 人"), TODAY, "staff").value == 120


def test_qualitative_and_deadline_readings(session, project) -> None:  # type: ignore[no-untyped-def]
    _, quality, works = project.indicators
    record_progress(session, project, _form(quality, achievement="部分达成目标并具有一定效果"), TODAY, "staff")
    record_progress(session, project, _form(works, note="主体完工，待验收"), TODAY, "staff")
    record_progress(session, project, _form(works, completed_on="2025-06-20"), TODAY, "staff")
    statuses = [i.status for i in evaluate(session, D("2025-06-30"))[project.id].indicators]
    # nothing reported for 培训人数 ten days after 3月底: yellow 逾期未填报 (DOMAIN §2)
    assert [(s.colour, s.label) for s in statuses][0] == ("yellow", "逾期未填报")
    assert [s.colour for s in statuses] == ["yellow", "yellow", "green"]
    assert statuses[2].label == "已完成"


def test_an_indicator_of_another_project_is_not_found(session, project) -> None:  # type: ignore[no-untyped-def]
    other = make_project(session, project.unit, indicators=[{"name": "他项目指标"}])
    with pytest.raises(NotFound):
        record_progress(session, project, _form(other.indicators[0], value="1"), TODAY, "staff")


def _explanation(**changes: object) -> ExplanationForm:
    values: dict[str, object] = {"as_of": "2025-06-30", "causes": (), "likelihood": "certain",
                                 "reason": "", "corrective_actions": "", "forecasts": {}}
    return ExplanationForm(**{**values, **changes})  # type: ignore[arg-type]


def test_possible_or_impossible_needs_causes_and_forecasts(session, project) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as failure:
        record_explanation(session, project, _explanation(likelihood="possible"), "staff")
    assert "至少选择一项偏差原因" in str(failure.value)
    assert "缺 3 个：培训人数、群众满意度、按期完工" in str(failure.value)
    forecasts = {str(i.id): "预计完成" for i in project.indicators}
    with pytest.raises(ValidationFailed, match="选择“其他”偏差原因时"):
        record_explanation(session, project, _explanation(
            likelihood="impossible", causes=("other",), forecasts=forecasts), "staff")
    saved = record_explanation(session, project, _explanation(
        likelihood="possible", causes=("staffing", "funding"), forecasts={
            **forecasts, str(project.indicators[0].id): "180人"},
        reason="资金下达晚", corrective_actions="加快采购"), "staff")
    assert saved.causes == ["funding", "staffing"] and saved.cause_labels == ["经费保障", "人员保障"]
    assert saved.likelihood_label == "有可能"
    assert {f.indicator.name: f.forecast for f in saved.forecasts}["培训人数"] == "180人"


def test_every_explanation_error_is_found_at_once_by_field(session, project) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FormInvalid) as caught:
        record_explanation(session, project, _explanation(as_of="2025-05-05", likelihood="possible",
                                                          causes=("other", "天气")), "staff")
    assert set(caught.value.fields) == {"as_of", "causes", "forecasts", "reason"}
    assert caught.value.fields["causes"] == "未知的偏差原因：天气"


def test_the_missing_forecasts_are_listed_whole(session) -> None:  # type: ignore[no-untyped-def]
    names = [f"指标{n}" for n in range(1, 8)]
    project = make_project(session, make_unit(session), plan={"06-30": "50"},
                           indicators=[{"name": name} for name in names])
    with pytest.raises(ValidationFailed) as failure:
        record_explanation(session, project, _explanation(likelihood="possible", causes=("funding",)), "staff")
    assert f"缺 7 个：{'、'.join(names)}）" in str(failure.value) and "等" not in str(failure.value)


def test_certain_needs_no_forecast_and_history_is_kept(session, project) -> None:  # type: ignore[no-untyped-def]
    record_explanation(session, project, _explanation(), "staff")
    record_explanation(session, project, _explanation(causes=("hardware",)), "staff")
    assert len(session.scalars(select(DeviationExplanation)).all()) == 2


@pytest.mark.parametrize(("values", "message"), [
    ({"as_of": "2025-06-15"}, "不是本项目的检查点"),
    ({"as_of": "六月"}, "应为日期"),
    ({"likelihood": ""}, "请选择完成目标可能性"),
    ({"causes": ("weather",)}, "未知的偏差原因"),
])
def test_explanation_is_validated(session, project, values: dict[str, object], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed, match=message):
        record_explanation(session, project, _explanation(**values), "staff")


def test_the_explanation_form_defaults_to_the_latest_passed_checkpoint(session, project) -> None:  # type: ignore[no-untyped-def]
    assert explanation_date(session, project, "", D("2025-07-10")) == D("2025-06-30")
    assert explanation_date(session, project, "2025-10-31", D("2025-07-10")) == D("2025-10-31")
    assert explanation_date(session, project, "2025-10-30", D("2025-03-01")) == D("2025-03-31")
