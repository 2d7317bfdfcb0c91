"""A refused upload is deleted at once (issue #21 item 4: ten refused previews left 114 MB in
uploads/ for 24 h), the page names the limit, and the database is left as it was."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.importers import hostile_fixtures as hf
from tests.importers import ledger_fixtures as fx
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
    bombs = [("炸弹.docx", hf.docx_bomb(120), "文件解压后超过 100 MB 上限"),
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
