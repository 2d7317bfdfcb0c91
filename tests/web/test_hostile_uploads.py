"""A refused upload is deleted at once (issue #21 item 4: ten refused previews left 114 MB in
uploads/ for 24 h), the page names the limit, and the database is left as it was."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.importers import hostile_fixtures as hf
from tests.importers import ledger_fixtures as fx
from tests.importers.target_fixtures import SEED_000_P1, xlsx_bytes
from tracker.config import Config
from tracker.models import LedgerBatch, LedgerRow, Project, Role, TargetImport


def _refused_files() -> list[tuple[str, bytes, str]]:
    """Ten files refused for ten reasons: (name, bytes, what the page must say)."""
    good = fx.payment_xlsx(fx.payment_transactions())
    word = io.BytesIO()
    with zipfile.ZipFile(word, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return [
        ("炸弹.xlsx", hf.sheet_bomb(30), "压缩比超过 100 倍的上限"),
        ("谎报.xlsx", hf.with_declared_sizes(hf.sheet_bomb(30), "xl/worksheets/sheet1.xml", 1000),
         "压缩比超过 100 倍的上限"),
        ("远.xlsx", hf.workbook(hf.SHEET_START + hf.HEADER_ROW
                                + '<row r="900000"><c r="ZZ900000"><v>1</v></c></row>' + hf.SHEET_END),
         "超过 40,000,000 个单元格的上限"),
        ("多.xlsx", hf.many_entries(2_500), "超过 2,000 个文件的上限"),
        ("截断.xlsx", good[: len(good) // 2], "不完整"),
        ("空.csv", b"", "文件是空的"),
        ("扫描.xlsx", b"%PDF-1.7 ...", "PDF"),
        ("文档.xlsx", word.getvalue(), "Word"),
        ("乱码.csv", b"\x00\x01garbage\x00" * 50, "无法识别的文件格式"),
        ("无表头.csv", "说明,备注\n这是,一个说明\n".encode("gbk"), "未识别表头"),
    ]


def _upload_folders(instance_path: str) -> set[str]:
    root = Path(instance_path) / "uploads"
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def test_ten_refused_ledger_previews_leave_nothing_behind(client, logged_in, session,  # type: ignore[no-untyped-def]
                                                          instance_path: str) -> None:
    logged_in(Role.finance)
    before = _upload_folders(instance_path)
    for name, data, reason in _refused_files():
        response = client.post("/ledger/preview", data={
            "csrf_token": csrf_token(client, "/ledger/import"), "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (name, html[:500])
        assert f"文件“{name}”未导入：" in html and reason in html, (name, reason)
        assert 'name="token"' not in html and 'type="file"' in html  # choose a file again
        assert _upload_folders(instance_path) == before, name  # deleted at once
    assert session.scalar(select(func.count(LedgerBatch.id))) == 0
    assert session.scalar(select(func.count(LedgerRow.id))) == 0


def test_ten_refused_target_previews_leave_nothing_behind(client, logged_in, session,  # type: ignore[no-untyped-def]
                                                          instance_path: str) -> None:
    logged_in(Role.finance)
    before = _upload_folders(instance_path)
    bombs = [("炸弹.docx", hf.docx_bomb(120), "文件解压后超过 50 MB 上限"),
             ("炸弹.xlsx", hf.sheet_bomb(30), "压缩比超过 100 倍的上限"),
             ("行多.docx", hf.word_table(20_001), "超过绩效目标表 20,000 行的上限"),
             ("多.xlsx", hf.many_entries(2_500), "超过 2,000 个文件的上限")]
    for name, data, reason in bombs * 2 + bombs[:2]:
        response = client.post("/imports/targets/preview", data={
            "csrf_token": csrf_token(client, "/imports/targets"), "year": "",
            "files": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (name, html[:500])
        assert reason in html, (name, reason)
        assert _upload_folders(instance_path) == before, name
    assert session.scalar(select(func.count(Project.id))) == 0
    assert session.scalar(select(func.count(TargetImport.id))) == 0


def test_the_pages_and_the_cli_use_the_configured_limits(app, client, logged_in, session,  # type: ignore[no-untyped-def]
                                                         monkeypatch, tmp_path: Path) -> None:
    configured = replace(app.extensions["tracker.config"], max_ledger_rows=3, max_target_rows=5)
    monkeypatch.setitem(app.extensions, "tracker.config", configured)
    logged_in(Role.finance)
    ledger = fx.csv_bytes(fx.payment_rows(fx.payment_transactions()), "gbk")
    response = client.post("/ledger/preview", data={
        "csrf_token": csrf_token(client, "/ledger/import"), "file": (io.BytesIO(ledger), "支付.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "超过台账 3 行的上限" in response.get_data(as_text=True)
    target = xlsx_bytes([SEED_000_P1], one_sheet=True)
    response = client.post("/imports/targets/preview", data={
        "csrf_token": csrf_token(client, "/imports/targets"), "year": "",
        "files": (io.BytesIO(target), "目标.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "超过绩效目标表 5 行的上限" in response.get_data(as_text=True)

    path = tmp_path / "支付.csv"
    path.write_bytes(ledger)
    environment = {**os.environ, "TRACKER_INSTANCE_PATH": str(tmp_path), "TRACKER_MAX_LEDGER_ROWS": "3",
                   "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    done = subprocess.run([sys.executable, "-m", "tracker.cli", "import", "ledger", str(path)],
                          capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "错误：文件 支付.csv：文件有 11 行，超过台账 3 行的上限；请按月份或单位拆分后分别导入"
    assert session.scalar(select(func.count(LedgerBatch.id))) == 0


def test_the_limits_come_from_the_environment(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRACKER_MAX_DECOMPRESSED_MB", "500")
    monkeypatch.setenv("TRACKER_MAX_LEDGER_ROWS", "1000")
    limits = Config.from_env({"instance_path": str(tmp_path)}).file_limits
    assert limits.max_decompressed_bytes == 500 * 1024 * 1024 and limits.max_ledger_rows == 1000
    assert limits.max_target_rows == 20_000  # the others keep their defaults
