"""``tracker report …``: the 监控情况表, 自评表 and Word drafts, one file per unit.

Without --unit, one workbook is written per unit that has projects in the year, named
F_<unit id>_<unit name>.xlsx beside F.xlsx (the id keeps two units of the same name or code
apart); with --unit (or when only one unit has projects) exactly F.xlsx.  With --json a command prints one
object, ``{"files": [one object per file written]}``; warnings stay on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.context import Context, echo_json, json_object_option, pass_context
from tracker.cli.help import TrackerGroup
from tracker.core.labels import COLOUR_LABELS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group("report", cls=TrackerGroup, help="生成报表")
def report_group() -> None:
    pass


def _report_targets(session: Session, year: int, unit: str | None, out: Path) -> list[tuple[Any, Path]]:
    """(unit, file) pairs to write: the one --unit, else every unit with projects in ``year``."""
    from sqlalchemy import select

    from tracker.errors import ValidationFailed
    from tracker.models import Project, Unit
    from tracker.services.ledger_import import resolve_unit

    if not out.parent.is_dir():
        raise click.UsageError(f"输出目录不存在：{out.parent}")
    with_projects = select(Unit).where(Unit.id.in_(select(Project.unit_id).where(Project.year == year)))
    if unit:
        chosen = resolve_unit(session, unit)
        if session.scalar(with_projects.where(Unit.id == chosen.id)) is None:
            raise ValidationFailed(f"单位“{chosen.label}”在 {year} 年没有项目")
        return [(chosen, out)]
    units = list(session.scalars(with_projects.order_by(Unit.code, Unit.name, Unit.id)))
    if not units:
        raise ValidationFailed(f"{year} 年没有项目")
    if len(units) == 1:
        return [(units[0], out)]
    suffix = out.suffix or ".xlsx"
    return [(u, out.with_name(f"{out.stem}_{u.id}_{_file_safe(u.name)}{suffix}")) for u in units]


def _file_safe(name: str) -> str:
    import re

    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip() or "单位"


@report_group.command("monitoring", help="绩效监控情况表（1-N月），每个单位一个工作簿")
@click.option("--year", required=True, type=int)
@click.option("--month", type=click.IntRange(1, 12), help="截止月份 N（默认取监控设置中的监控月份）")
@click.option("--unit", help="单位 ID、编码或名称；不给出时每个有项目的单位各生成一个文件")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 F.xlsx（多个单位时为 F_<单位ID>_<单位名称>.xlsx）")
@json_object_option
@pass_context
def report_monitoring(ctx: Context, year: int, month: int | None, unit: str | None, out: Path,
                      as_json: bool) -> None:
    from tracker.reports import monitoring_workbook
    from tracker.services.reporting import monitoring_round_form
    from tracker.services.settings import monitoring_settings

    files = []
    with ctx.transaction() as session:
        month = month or monitoring_settings(session).monitoring_month
        for target, path in _report_targets(session, year, unit, out):
            form = monitoring_round_form(session, year, month, target.id, ctx.today())
            path.write_bytes(monitoring_workbook.build(form))
            unfrozen = sum(1 for s in form.sheets if not s.frozen)
            files.append({"file": str(path), "unit": target.name, "year": year, "month": month,
                          "projects": len(form.sheets), "unfrozen": unfrozen,
                          "explanation_missing": [s.project_name for s in form.sheets if s.explanation_missing]})
            _say(as_json, f"已生成 {path}：{target.name} {year}年1-{month}月，{len(form.sheets)} 个项目"
                 + (f"（{unfrozen} 个未冻结）" if unfrozen else ""))
            missing = [f"{s.project_name}（{COLOUR_LABELS[s.overall_status]}）"
                       for s in form.sheets if s.explanation_missing]
            if missing:
                click.echo(f"警告：{target.name} 有 {len(missing)} 个项目未填写偏差说明（表中已标注）："
                           + "、".join(missing), err=True)
    if as_json:
        echo_json({"files": files})


@report_group.command("self-eval", help="项目支出绩效自评表（已提交的自评），每个单位一个工作簿")
@click.option("--year", required=True, type=int)
@click.option("--unit", help="单位 ID、编码或名称；不给出时每个有项目的单位各生成一个文件")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 F.xlsx（多个单位时为 F_<单位ID>_<单位名称>.xlsx）")
@click.option("--include-drafts", is_flag=True, help="没有已提交自评的项目用其最新草稿（表中标注“草稿”）")
@json_object_option
@pass_context
def report_self_eval(ctx: Context, year: int, unit: str | None, out: Path, include_drafts: bool,
                     as_json: bool) -> None:
    from tracker.reports import self_eval_workbook
    from tracker.services.reporting import self_eval_form

    files = []
    with ctx.transaction() as session:
        for target, path in _report_targets(session, year, unit, out):
            form = self_eval_form(session, year, target.id, ctx.today(), include_drafts=include_drafts,
                                  timezone=ctx.config.tz)
            path.write_bytes(self_eval_workbook.build(form))
            drafts = [s.project_name for s in form.sheets if not s.frozen]
            files.append({"file": str(path), "unit": target.name, "year": year, "projects": len(form.sheets),
                          "drafts": drafts, "missing": list(form.missing)})
            _say(as_json, f"已生成 {path}：{target.name} {year}年度，{len(form.sheets)} 个项目的自评表")
            if drafts:
                click.echo(f"警告：{target.name} 有 {len(drafts)} 个项目使用草稿（未提交）："
                           + "、".join(drafts), err=True)
            if form.missing:
                click.echo(f"警告：{target.name} 有 {len(form.missing)} 个项目没有已提交的自评，未生成自评表："
                           + "、".join(form.missing), err=True)
    if as_json:
        echo_json({"files": files})


@report_group.command("department-self-eval", help="部门整体支出绩效自评表（一个单位一个年度）")
@click.option("--unit", required=True, help="单位编码或名称")
@click.option("--year", required=True, type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出文件 F.xlsx")
@json_object_option
@pass_context
def report_department_self_eval(ctx: Context, unit: str, year: int, out: Path, as_json: bool) -> None:
    from tracker.core.scoring import round_score
    from tracker.reports import department_self_eval_workbook
    from tracker.services import department, department_evaluation

    with ctx.transaction() as session:
        record = department.find_department_year(session, unit, year)
        result = department_evaluation.printable(session, record)
        out.write_bytes(department_self_eval_workbook.build(result))
        if as_json:  # one file, in the shape of the other reports
            echo_json({"files": [{"file": str(out), "unit": result.unit_name, "year": year,
                                  "indicators": len(result.lines), "total": str(round_score(result.total)),
                                  "grade": result.grade}]})
            return
        click.echo(f"已生成 {out}：{result.unit_name} {year}年度部门整体支出绩效自评表，"
                   f"{len(result.lines)} 个指标，总分 {round_score(result.total)}，等级 {result.grade}")


@report_group.command("narrative", help="Word 报告初稿：1-N月预算绩效运行监控报告，或部门整体支出绩效自评报告")
@click.option("--year", required=True, type=int)
@click.option("--unit", help="单位 ID、编码或名称；不给出时每个有项目的单位各生成一个文件")
@click.option("--kind", required=True, type=click.Choice(["monitoring", "self-eval"]),
              help="monitoring：运行监控报告；self-eval：部门整体支出绩效自评报告")
@click.option("--month", type=click.IntRange(1, 12), help="监控报告的截止月份 N（默认取监控设置中的监控月份）")
@click.option("--include-drafts", is_flag=True, help="自评报告：没有已提交自评的项目用其最新草稿")
@click.option("--no-charts", is_flag=True, help="不绘制图表（不启动 Chromium）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="输出文件 F.docx（多个单位时为 F_<单位ID>_<单位名称>.docx）")
@json_object_option
@pass_context
def report_narrative(ctx: Context, year: int, unit: str | None, kind: str, month: int | None,
                     include_drafts: bool, no_charts: bool, out: Path, as_json: bool) -> None:
    from tracker.reports import narrative
    from tracker.services.reporting import monitoring_round_form, self_eval_form
    from tracker.services.settings import monitoring_settings

    files = []
    with ctx.transaction() as session:
        if kind == "monitoring":
            month = month or monitoring_settings(session).monitoring_month
        for target, path in _report_targets(session, year, unit, out):
            if kind == "monitoring":
                form: Any = monitoring_round_form(session, year, month, target.id, ctx.today())
                draft = narrative.draft_monitoring_report(form, charts=not no_charts)
                title = f"{year}年1-{month}月预算绩效运行监控报告"
            else:
                form = self_eval_form(session, year, target.id, ctx.today(), include_drafts=include_drafts,
                                      timezone=ctx.config.tz)
                draft = narrative.draft_self_eval_report(form, charts=not no_charts)
                title = f"{year}年度部门整体支出绩效自评报告"
            path.write_bytes(draft.data)
            files.append({"file": str(path), "unit": target.name, "kind": kind, "title": title,
                          "projects": len(form.sheets), "pending": draft.pending,
                          "charts_problem": draft.charts_problem})
            _say(as_json, f"已生成 {path}：{target.name}{title}，{len(form.sheets)} 个项目"
                 + (f"，{draft.pending} 处【待补充】" if draft.pending else ""))
            if draft.charts_problem:
                click.echo(f"警告：图表未能生成（{draft.charts_problem}），报告中已注明", err=True)
    if as_json:
        echo_json({"files": files})


def _say(as_json: bool, text: str) -> None:
    """A line for a person; with --json stdout holds the JSON object alone."""
    if not as_json:
        click.echo(text)
