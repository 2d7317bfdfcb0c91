"""``tracker import …``: target tables and ledger exports."""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from tracker.cli.context import Context, echo_json, pass_context, read_files, waiting_notice
from tracker.cli.help import TrackerGroup


@click.group("import", cls=TrackerGroup, help="导入文件")
def import_group() -> None:
    pass


@import_group.command("targets", help="导入绩效目标表（Word、Excel、PDF、文本/Markdown）")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--year", type=int, help="年度（文件中读不到时必须给出）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--dry-run", is_flag=True, help="只预览，不写入")
@pass_context
def import_targets(ctx: Context, files: tuple[str, ...], year: int | None, as_json: bool,
                   dry_run: bool) -> None:
    from tracker.services.target_import import apply_import, plan_import

    with ctx.transaction(write=True) as session:
        plan = plan_import(session, read_files(files), year, limits=ctx.config.file_limits)
        if not dry_run:
            apply_import(session, plan, "cli")
    findings = [{"severity": f.severity, "code": f.code, "location": str(f.location),
                 "message": f.message} for f in plan.all_findings]
    summary = {"projects_created": plan.count("created"), "projects_updated": plan.count("updated"),
               "projects_unchanged": plan.count("unchanged"), "findings": findings}
    if as_json:
        echo_json(summary)
        return
    verb = "将" if dry_run else "已"
    for document in plan.documents:
        click.echo(f"{document.document.file}：{document.document.unit.name} {document.year} 年，"
                   f"{len(document.projects)} 个项目")
    click.echo(f"{verb}新建 {summary['projects_created']} 个、更新 {summary['projects_updated']} 个、"
               f"未变 {summary['projects_unchanged']} 个项目；发现 {len(findings)} 条问题"
               "（用 --json 查看明细）")


#: where the command line gives a choice the import needs (``ChoiceNeeded.choice``)
CHOICE_OPTIONS = {"unit": "可用 --unit 指定单位 ID、编码或名称"}


def yield_cpu(niceness: int) -> None:
    """Lower this process's CPU priority by ``niceness`` (``Config.import_niceness``) before
    the import starts: the web server's requests go first while a 100,000-row import runs
    beside them.  Linux keeps a priority per thread: every thread running already (libraries
    start pools on import) is lowered, and a thread started afterwards (the pipeline's
    reader) inherits it.  Where the system refuses (or has no ``os.setpriority``) the import
    runs as it is."""
    if niceness <= 0:
        return
    try:
        target = min(19, os.getpriority(os.PRIO_PROCESS, 0) + niceness)
        threads = [int(tid) for tid in os.listdir("/proc/self/task")] if os.path.isdir("/proc/self/task") else [0]
        for tid in threads:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, target)
            except ProcessLookupError:  # the thread ended meanwhile
                pass
    except (AttributeError, OSError):
        pass


@import_group.command("ledger", help="导入财务台账/国库支付明细（xlsx、xls、csv）")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--unit", help="单位 ID、编码或名称（文件中读不到时必须给出）")
@click.option("--source", help="来源名称，如“国库集中支付”“用友明细账”")
@click.option("--profile", help="已保存的列映射方案名称")
@click.option("--period", help="期间 YYYY-MM-DD..YYYY-MM-DD（文件未注明时使用）")
@click.option("--override-totals", "override_reason", help="印刷合计不一致时仍导入的理由（会记录）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象：{imported, files: [每个文件的导入结果]}")
@pass_context
def import_ledger(ctx: Context, files: tuple[str, ...], unit: str | None, source: str | None,
                  profile: str | None, period: str | None, override_reason: str | None,
                  as_json: bool) -> None:
    from tracker.services import ledger_read_ahead

    yield_cpu(ctx.config.import_niceness)
    # The first file's reading starts before the database side is imported (SQLAlchemy, the
    # models, the services: half a second of the interpreter's) — the reader's C code guards
    # and parses meanwhile.  With a profile the reader's options come from the database, so
    # the pipeline starts its own reader then, as for the other files.
    first = Path(files[0])
    read_ahead = None
    if not profile and first.is_file():
        read_ahead = ledger_read_ahead.start(first.name, first.read_bytes(),
                                             ledger_read_ahead.reader_options(limits=ctx.config.file_limits))
    try:
        _import_ledger_files(ctx, files, unit, source, profile, period, override_reason, as_json,
                             read_ahead)
    finally:
        if read_ahead is not None:
            read_ahead.close()


def _import_ledger_files(ctx: Context, files: tuple[str, ...], unit: str | None, source: str | None,
                         profile: str | None, period: str | None, override_reason: str | None,
                         as_json: bool, read_ahead: Any) -> None:
    from tracker.core.labels import second_source_kept
    from tracker.errors import ChoiceNeeded
    from tracker.services.ledger_import import LedgerUpload
    from tracker.services.ledger_lock import retrying
    from tracker.importers.ledger.streaming import CHUNK_ROWS
    from tracker.services.ledger_pipeline import import_ledger as import_one

    def written(rows: int) -> None:  # a big file: each chunk as it lands (a small one says nothing)
        if rows >= CHUNK_ROWS:
            click.echo(f"已读入并写入 {rows:,} 行…", err=True)

    results = []
    for path in files:
        file = Path(path)
        if not file.is_file():
            raise click.UsageError(f"文件不存在：{path}")
        ahead, read_ahead = read_ahead, None  # the first file's, for its first attempt only
        upload = LedgerUpload(file.name, ahead.data if ahead is not None else file.read_bytes())

        def write(upload: Any = upload) -> tuple[Any, dict[str, Any]]:
            # one transaction: the file read in chunks while the chunks before are written
            # (services/ledger_pipeline.py); lands whole or not at all
            nonlocal ahead
            given, ahead = ahead, None  # a retry (the unit's lock) reads the file again
            with ctx.transaction() as session:
                result = import_one(session, upload, "cli", unit=unit, source=source, profile=profile,
                                    period=period, override_reason=override_reason, today=ctx.today(),
                                    limits=ctx.config.file_limits, waiting=waiting_notice(),
                                    progress=written, read_ahead=given)
                summary = result.as_json()
                if not result.imported:
                    session.rollback()
            return result, summary

        try:
            result, summary = retrying(write)
        except ChoiceNeeded as error:  # the command says which option gives the choice
            if error.choice not in CHOICE_OPTIONS:
                raise
            raise ChoiceNeeded(f"{error.message}（{CHOICE_OPTIONS[error.choice]}）", location=error.location,
                               choice=error.choice) from None
        results.append(summary)
        if not as_json:
            state = f"批次 {summary['batch_id']}" if result.imported else "未导入"
            second = next((f for f in summary["findings"] if f.get("code") == "second_source"), None)
            if result.imported and not result.preview.counts_now:
                kept, matched = result.preview.kept_for_reconciliation
                counted = second_source_kept(summary["counting_source"], kept, matched,
                                             "；可用 tracker ledger reconcile 对账")
            elif second is not None:
                counted = f"不计入支出（{second['message']}）"
            else:  # matched / unmatched count the rows that count
                counted = (f"计入支出 {summary['counted_rows']:,} 行 "
                           f"{Decimal(summary['counted_total_yuan']):,.2f} 元，匹配 "
                           f"{summary['matched_rows']:,} 行，待匹配 {summary['unmatched_rows']:,} 行")
            click.echo(f"{file.name}：{state}；交易 {summary['transactions']:,} 行，{counted}，替换旧行 "
                       f"{summary['replaced_rows']:,} 行")
            if summary["reconcile_alerts"]:
                click.echo(f"  对账差异 {summary['reconcile_alerts']} 项，已发预警")
        if not result.imported:
            click.echo(f"错误：{file.name}：{result.reason}", err=True)
    if as_json:
        echo_json({"imported": all(r["imported"] for r in results), "files": results})
    if not all(r["imported"] for r in results):
        sys.exit(2)
