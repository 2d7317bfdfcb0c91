"""报表: pick a year, month and unit, see what is missing before generating, download the
绩效监控情况表 / 自评表 workbooks and the two Word reports.

Every role may download what it may see: unit staff their own units only (another unit
gives 404, never 403), the other roles any unit.  Downloads are GET links (nothing changes).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from tracker.errors import ValidationFailed
from tracker.models import Unit
from tracker.reports import page_tables
from tracker.reports.forms import MonitoringRoundForm, SelfEvalForm
from tracker.services import reporting
from tracker.web.access import READERS, roles_required
from tracker.web.context import config, db_session
from tracker.web.downloads import attachment, wants_xlsx, xlsx

blueprint = Blueprint("reports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _today() -> date:
    return datetime.now(config().tz).date()


def _choice() -> reporting.ReportChoice:
    return reporting.choose(db_session(), current_user, year=request.args.get("year", type=int),
                            month=request.args.get("month", type=int),
                            unit_id=request.args.get("unit", type=int), today=_today())


@blueprint.route("/reports")
@roles_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    session, choice = db_session(), _choice()
    explanations: list[reporting.MissingExplanation] = []
    evaluations: list[reporting.MissingEvaluation] = []
    if choice.year is not None and choice.unit_id is not None:
        explanations = reporting.missing_explanations(session, choice.year, choice.month, choice.unit_id)
        evaluations = reporting.missing_evaluations(session, choice.year, choice.unit_id)
    if wants_xlsx():
        unit = dict(choice.units).get(choice.unit_id, "") if choice.unit_id is not None else ""
        return xlsx(page_tables.report_gaps(explanations, evaluations, choice.year, choice.month, unit))
    if choice.year is None or choice.unit_id is None:
        return render_template("reports/index.html", choice=choice, explanations=[], evaluations=[])
    return render_template("reports/index.html", choice=choice,
                           cutoff=reporting.cutoff_of(choice.year, choice.month),
                           explanations=explanations, evaluations=evaluations)


def _target() -> tuple[Unit, reporting.ReportChoice]:
    """The unit and year a download asks for: 404 unless the user may see the unit and it has
    projects that year; without ``unit``, the only unit the user may see."""
    choice = _choice()
    asked_year, asked_unit = request.args.get("year", type=int), request.args.get("unit", type=int)
    if choice.year is None or (asked_year is not None and asked_year != choice.year):
        abort(404)
    if asked_unit is None and len(choice.units) > 1:
        raise ValidationFailed("请选择单位")
    if request.args.get("month", type=int) not in (None, choice.month):
        raise ValidationFailed("截止月份应为1至12")
    if choice.unit_id is None:
        abort(404)
    unit = db_session().get(Unit, choice.unit_id)
    if unit is None:
        abort(404)
    return unit, choice


def _drafts() -> bool:
    return request.args.get("drafts") == "1"


def _monitoring_form() -> tuple[Unit, reporting.ReportChoice, MonitoringRoundForm]:
    """The chosen unit's 1-N月 绩效监控情况表 (the workbook and the Word report both show it)."""
    unit, choice = _target()
    return unit, choice, reporting.monitoring_round_form(
        db_session(), choice.year, choice.month, unit.id, _today())


def _self_eval_form() -> tuple[Unit, reporting.ReportChoice, SelfEvalForm]:
    """The chosen unit's 项目支出绩效自评表 (the workbook and the Word report both show it)."""
    unit, choice = _target()
    return unit, choice, reporting.self_eval_form(
        db_session(), choice.year, unit.id, _today(),  # type: ignore[arg-type]
        include_drafts=_drafts(), timezone=config().tz)


@blueprint.route("/reports/monitoring.xlsx")
@roles_required(*READERS)
def monitoring_workbook():  # type: ignore[no-untyped-def]
    from tracker.reports import monitoring_workbook as workbook

    unit, choice, form = _monitoring_form()
    return attachment(workbook.build(form), f"{unit.name}{choice.year}年1-{choice.month}月绩效监控情况表.xlsx",
                       f"monitoring-{choice.year}-1-{choice.month}-unit{unit.id}.xlsx", XLSX)


@blueprint.route("/reports/self-eval.xlsx")
@roles_required(*READERS)
def self_eval_workbook():  # type: ignore[no-untyped-def]
    from tracker.reports import self_eval_workbook as workbook

    unit, choice, form = _self_eval_form()
    return attachment(workbook.build(form), f"{unit.name}{choice.year}年度项目支出绩效自评表.xlsx",
                       f"self-evaluation-{choice.year}-unit{unit.id}.xlsx", XLSX)


@blueprint.route("/reports/monitoring.docx")
@roles_required(*READERS)
def monitoring_document():  # type: ignore[no-untyped-def]
    from tracker.reports import narrative  # built separately; imported only when asked for

    unit, choice, form = _monitoring_form()
    return attachment(narrative.monitoring_report(form),
                       f"{unit.name}{choice.year}年1-{choice.month}月绩效运行监控报告.docx",
                       f"monitoring-report-{choice.year}-1-{choice.month}-unit{unit.id}.docx", DOCX)


@blueprint.route("/reports/self-eval.docx")
@roles_required(*READERS)
def self_eval_document():  # type: ignore[no-untyped-def]
    from tracker.reports import narrative  # built separately; imported only when asked for

    unit, choice, form = _self_eval_form()
    return attachment(narrative.self_eval_report(form),
                       f"{unit.name}{choice.year}年度部门整体支出绩效自评报告.docx",
                       f"self-evaluation-report-{choice.year}-unit{unit.id}.docx", DOCX)
