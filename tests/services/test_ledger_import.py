"""Ledger import into the database: the three sample exports, never double counting,
replacement and undo, the unmatched queue, totals check, bad files."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.config import PROJECT_ROOT
from tracker.errors import ImportRejected, ValidationFailed
from tracker.models import LedgerBatch, LedgerRow, Project, ProjectMonthSpending
from tracker.services.ledger_import import LedgerUpload, commit, prepare, undo
from tracker.services.ledger_queue import assign, export_spending
from tracker.services.spending import closed_through, spent_through
from tracker.services.target_import import UploadedFile, apply_import, plan_import

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ledgers"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
SEEDS = PROJECT_ROOT / "seeds"


def load_seed(session: Session, name: str) -> None:
    path = SEEDS / name
    apply_import(session, plan_import(session, [UploadedFile(path.name, path.read_bytes())]), "test")
    session.flush()


def import_ledger(session: Session, name: str, data: bytes | None = None, **options):  # type: ignore[no-untyped-def]
    upload = LedgerUpload(name, data if data is not None else (FIXTURES / name).read_bytes())
    override = options.pop("override", None)
    result = commit(session, prepare(session, upload, **options), "test", override)
    session.flush()
    return result


def spent_by(session: Session, as_of: date, key: str) -> dict[str, Decimal]:
    totals = spent_through(session, as_of)
    return {getattr(p, key): totals.get(p.id, Decimal("0.00"))
            for p in session.scalars(select(Project).where(Project.year == as_of.year))}


@pytest.mark.parametrize(("file_name", "key", "options"), [
    ("yitihua_payments_tangshan_2021H1.xlsx", "code", {}),
    ("grp_mingxizhang_gaoxinqu_2023.xlsx", "name", {}),
    ("payments_shizuishan_2025H1_utf8bom.csv", "name", {"period": "2025-01-01..2025-06-30"}),
])
def test_sample_exports_reach_the_hand_worked_answers(session: Session, file_name: str, key: str,
                                                       options: dict[str, str]) -> None:
    expected = EXPECTED[file_name]
    load_seed(session, expected["seed"])
    result = import_ledger(session, file_name, **options)
    assert result.imported, result.reason
    assert result.preview.unmatched_rows == 0
    for label, answers in expected.items():
        if not label.startswith("spent_yuan_"):
            continue
        as_of = date.fromisoformat(label.removeprefix("spent_yuan_"))
        actual = spent_by(session, as_of, key)
        assert {k: actual[k] for k in answers} == {k: Decimal(v).quantize(Decimal("0.01"))
                                                   for k, v in answers.items()}, label


def test_payment_status_rows_are_kept_but_not_counted(session: Session) -> None:
    load_seed(session, "001_c3b4ac4d0f5c9307.txt")
    result = import_ledger(session, "yitihua_payments_tangshan_2021H1.xlsx")
    rows = session.scalars(select(LedgerRow).where(LedgerRow.batch_id == result.batch.id)).all()
    assert len(rows) == 6
    not_counted = {r.status: r.not_counted_reason for r in rows if not r.counts}
    assert set(not_counted) == {"已退回", "已作废"} and all(not_counted.values())
    summary = result.as_json()
    assert summary["totals_check"]["stated"] == "60034000.00" and summary["totals_check"]["ok"] is True
    assert summary["counted_total_yuan"] == "58534000.00"


def test_identical_file_again_changes_nothing(session: Session) -> None:
    load_seed(session, "002_ae7a2bed391112e9.txt")
    first = import_ledger(session, "grp_mingxizhang_gaoxinqu_2023.xlsx")
    again = import_ledger(session, "grp_mingxizhang_gaoxinqu_2023.xlsx")
    assert first.imported and not again.imported and "已导入过" in again.reason
    assert session.scalar(select(func.count(LedgerBatch.id))) == 1


CSV_HEAD = "业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"


def shizuishan_csv(rows: list[tuple[str, str, str]]) -> bytes:
    lines = [f"{d},{i:04d},205001-石嘴山市科学技术局,{name},摘要{i},\"{amount}\"" for i, (d, name, amount) in enumerate(rows, 1)]
    return ("\ufeff" + CSV_HEAD + "\n".join(lines) + "\n").encode("utf-8")


H1 = [("2025-02-26", "创新驱动、科技发展业务经费", "12,000.00"),
      ("2025-04-18", "中央引导地方科技发展资金", "1,000,000.00")]
JAN_JUL = H1 + [("2025-07-10", "中央引导地方科技发展资金", "500,000.00")]


def test_newer_overlapping_export_replaces_and_undo_restores(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    first = import_ledger(session, "h1.csv", shizuishan_csv(H1), period="2025-01-01..2025-06-30")
    before = spent_by(session, date(2025, 7, 31), "name")
    second = import_ledger(session, "jan-jul.csv", shizuishan_csv(JAN_JUL), period="2025-01-01..2025-07-31")
    assert first.imported and second.imported and second.batch.replaced_rows == 2
    after = spent_by(session, date(2025, 7, 31), "name")
    assert after["中央引导地方科技发展资金"] == Decimal("1500000.00")  # not 2,500,000
    assert after["创新驱动、科技发展业务经费"] == Decimal("12000.00")
    assert closed_through(session, first.batch.unit_id) == date(2025, 7, 31)
    with pytest.raises(ValidationFailed, match="请先撤销批次"):
        undo(session, first.batch.id, "test")
    undo(session, second.batch.id, "test")
    assert spent_by(session, date(2025, 7, 31), "name") == before
    assert closed_through(session, first.batch.unit_id) == date(2025, 6, 30)
    superseded = session.scalar(select(func.count(LedgerRow.id)).where(
        LedgerRow.superseded_by_batch_id.is_not(None)))
    assert superseded == 0


def test_undo_restores_only_rows_no_other_active_batch_replaces(session: Session) -> None:
    """Issue #21: a row is replaced by every later active batch whose period covers it.  A
    January–June list, then a re-export declared for January–June holding only January–March
    (it replaces all six months), then an April–June list: undoing the re-export brings back
    January–March of the first list, not April–June, which the April–June list still replaces."""
    load_seed(session, "004_543d86f9f0ad9464.txt")
    name = "中央引导地方科技发展资金"
    monthly = [(f"2025-{m:02d}-10", name, f"{m},000.00") for m in range(1, 7)]
    import_ledger(session, "h1.csv", shizuishan_csv(monthly), period="2025-01-01..2025-06-30")
    q1 = [(d, n, "1.00") for d, n, _ in monthly[:3]]
    re_export = import_ledger(session, "q1.csv", shizuishan_csv(q1), period="2025-01-01..2025-06-30")
    q2 = [(d, n, "100.00") for d, n, _ in monthly[3:]]
    import_ledger(session, "q2.csv", shizuishan_csv(q2), period="2025-04-01..2025-06-30")
    assert spent_by(session, date(2025, 6, 30), "name")[name] == Decimal("303.00")
    undo(session, re_export.batch.id, "test")
    assert spent_by(session, date(2025, 6, 30), "name")[name] == Decimal("6300.00")  # 1+2+3 千 + 300
    # and the monthly totals monitoring reads agree with the rows
    pms = session.scalar(select(func.sum(ProjectMonthSpending.amount)).join(Project).where(Project.name == name))
    assert pms == Decimal("6300.00")


def test_rows_outside_a_partial_newer_period_stay(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    import_ledger(session, "h1.csv", shizuishan_csv(H1), period="2025-01-01..2025-06-30")
    april_only = import_ledger(session, "april.csv", shizuishan_csv([H1[1]]), period="2025-04-01..2025-04-30")
    assert april_only.batch.replaced_rows == 1
    spent = spent_by(session, date(2025, 6, 30), "name")
    assert spent["创新驱动、科技发展业务经费"] == Decimal("12000.00")  # February row kept
    assert spent["中央引导地方科技发展资金"] == Decimal("1000000.00")


def test_unmatched_rows_wait_and_a_saved_rule_matches_next_time(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    rows = [("2025-03-01", "不认识的项目", "100.00")]
    result = import_ledger(session, "m.csv", shizuishan_csv(rows), period="2025-01-01..2025-03-31")
    assert result.preview.unmatched_rows == 1
    assert spent_through(session, date(2025, 3, 31)) == {}
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    row = session.scalar(select(LedgerRow).where(LedgerRow.project_id.is_(None)))
    count, rule = assign(session, [row.id], project.id, "test", rule_keyword="摘要1")
    assert count == 1 and rule is not None
    assert spent_through(session, date(2025, 3, 31)) == {project.id: Decimal("100.00")}
    nxt = import_ledger(session, "n.csv", shizuishan_csv([("2025-04-02", "还是不认识", "50.00")]),
                        period="2025-04-01..2025-04-30")
    assert nxt.preview.unmatched_rows == 0
    assert spent_through(session, date(2025, 4, 30))[project.id] == Decimal("150.00")


def test_totals_mismatch_blocks_unless_overridden(session: Session) -> None:
    load_seed(session, "001_c3b4ac4d0f5c9307.txt")
    from openpyxl import load_workbook
    import io

    book = load_workbook(FIXTURES / "yitihua_payments_tangshan_2021H1.xlsx")
    sheet = book.active
    for row in sheet.iter_rows():
        if row[0].value == "合计":
            row[10].value = "60,034,001.00"
    buffer = io.BytesIO()
    book.save(buffer)
    blocked = import_ledger(session, "wrong-total.xlsx", buffer.getvalue())
    assert not blocked.imported and "不一致" in blocked.reason
    assert session.scalar(select(func.count(LedgerBatch.id))) == 0
    forced = import_ledger(session, "wrong-total.xlsx", buffer.getvalue(), override="合计行手工录入有误，已与国库核对")
    assert forced.imported and forced.batch.totals_override_reason.startswith("合计行")


def test_file_for_another_year_is_rejected(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    data = shizuishan_csv([("2024-03-01", "专项业务经费", "1.00")])
    with pytest.raises(ImportRejected, match="2024"):
        prepare(session, LedgerUpload("old.csv", data), period="2024-01-01..2024-12-31")


def test_second_source_of_a_unit_does_not_count_twice(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    import_ledger(session, "pay.csv", shizuishan_csv(H1), period="2025-01-01..2025-06-30")
    other = import_ledger(session, "books.csv", shizuishan_csv(H1[::-1]), period="2025-01-01..2025-06-30",
                          source="用友明细账")
    assert other.imported and other.preview.counted_rows == 0
    assert spent_by(session, date(2025, 6, 30), "name")["中央引导地方科技发展资金"] == Decimal("1000000.00")


def test_export_spending_contract(session: Session) -> None:
    load_seed(session, "002_ae7a2bed391112e9.txt")
    import_ledger(session, "grp_mingxizhang_gaoxinqu_2023.xlsx")
    exported = export_spending(session, date(2023, 12, 31))
    item = next(p for p in exported if p["project_name"] == "创投基金注资")
    assert item["spent_yuan"] == "20000000.00" and item["project_code"] is None
    assert item["unit"]["name"] == "高新区科技局"


def test_cli_import_ledger_json_and_exit_codes(runner, session: Session) -> None:  # type: ignore[no-untyped-def]
    load_seed(session, "002_ae7a2bed391112e9.txt")
    session.commit()
    path = str(FIXTURES / "grp_mingxizhang_gaoxinqu_2023.xlsx")
    result = runner("import", "ledger", path, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)["files"][0]
    assert summary["counted_total_yuan"] == "41730000.00" and summary["matched_rows"] == 6
    assert {"batch_id", "rows_read", "transactions", "summary_rows_skipped", "counted_rows",
            "matched_rows", "unmatched_rows", "replaced_rows", "totals_check", "findings"} <= set(summary)
    again = runner("import", "ledger", path, "--json")
    assert again.exit_code != 0
    spending = json.loads(runner("export", "spending", "--as-of", "2023-11-30", "--json").output)
    assert next(p for p in spending if p["project_name"] == "高新技术企业扶持资金")["spent_yuan"] == "6400000.00"
    undone = runner("ledger", "undo", str(summary["batch_id"]))
    assert undone.exit_code == 0, undone.output
    assert json.loads(runner("ledger", "unmatched", "--json").output) == []


def test_file_for_another_unit_is_rejected(session: Session) -> None:
    load_seed(session, "002_ae7a2bed391112e9.txt")
    load_seed(session, "004_543d86f9f0ad9464.txt")
    data = (FIXTURES / "grp_mingxizhang_gaoxinqu_2023.xlsx").read_bytes()  # 单位：高新区科技局
    with pytest.raises(ImportRejected, match="其他单位"):
        prepare(session, LedgerUpload("grp.xlsx", data), unit="石嘴山市科学技术局")


def test_cli_says_a_second_source_is_not_counted(runner, session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Messages agree with what happened (#15): the summary line of a second source says
    不计入支出, never "计入支出 0 行"; counts and money carry thousands separators."""
    load_seed(session, "004_543d86f9f0ad9464.txt")
    session.commit()
    payments, books = tmp_path / "pay.csv", tmp_path / "books.csv"
    payments.write_bytes(shizuishan_csv(H1))
    books.write_bytes(shizuishan_csv(H1[::-1]))
    first = runner("import", "ledger", str(payments), "--period", "2025-01-01..2025-06-30")
    assert first.exit_code == 0, first.output
    assert "计入支出 2 行 1,012,000.00 元" in first.output
    second = runner("import", "ledger", str(books), "--period", "2025-01-01..2025-06-30",
                    "--source", "用友明细账")
    assert second.exit_code == 0, second.output
    assert "不计入支出（本单位以“国库集中支付”计入支出，此来源仅作核对" in second.output
    assert "计入支出 0 行" not in second.output and "匹配 0 行" not in second.output
