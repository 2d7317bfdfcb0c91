"""Words a person reads (issue #22): each message once, in Chinese, true — no severity codes,
no command-line options or setting names on a page, no "确认也不会有任何改动" beside rows to
replace — and counts with thousands separators, like money."""

from __future__ import annotations

import io
import re

from tests.conftest import csrf_token
from tests.services.test_ledger_queue import ledger_csv
from tracker.config import PROJECT_ROOT
from tracker.core.labels import finding_severity_label
from tracker.models import Role

SEED = str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt")
ROWS = [("2025-03-01", "专项业务经费", "会议费", "1,000.00"), ("2025-03-20", "谁也不认识", "差旅费", "2,000.00")]


def _preview(client, name: str, data: bytes, **fields: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = client.post("/ledger/preview", data={
        "csrf_token": csrf_token(client, "/ledger/import"), "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _no_machine_words(html: str) -> None:
    assert "--" not in _text(html).replace("<!--", "")  # no command-line option
    assert "TRACKER_" not in html
    tags = re.findall(r'<span class="tag">([^<]*)</span>', html)
    assert not [t for t in tags if re.search(r"[A-Za-z]", t)], tags


def test_the_period_taken_from_the_transactions_is_said_once_in_chinese(client, logged_in, runner) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    logged_in(Role.finance)
    status, html = _preview(client, "无期间.csv", ledger_csv(ROWS))
    assert status == 200, html
    page = _text(html)
    assert page.count("文件未注明期间") == 1 and "按首末交易日期确定，请确认" in page
    assert "按此期间重新预览" in page  # and where to say it, on this page
    _no_machine_words(html)


def test_an_unknown_unit_is_asked_for_without_a_command_line_option(client, logged_in, runner) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    logged_in(Role.finance)
    csv = "\ufeff业务日期,凭证编号,摘要,项目名称,金额（元）\n2025-02-01,1,会务费,专项业务经费,\"100.00\"\n"
    status, html = _preview(client, "无单位.csv", csv.encode("utf-8"))
    assert status == 422 and "无法从文件确定所属单位，请指定单位" in html
    _no_machine_words(html)


def test_the_command_line_names_its_option(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    path = tmp_path / "无单位.csv"
    path.write_text("\ufeff业务日期,凭证编号,摘要,项目名称,金额（元）\n2025-02-01,1,会务费,专项业务经费,\"100.00\"\n",
                    encoding="utf-8")
    result = runner("import", "ledger", str(path))
    assert result.exit_code != 0
    assert str(result.exception).endswith("无法从文件确定所属单位，请指定单位（可用 --unit 指定单位 ID、编码或名称）")


def test_a_file_imported_before_does_not_promise_replacements(client, logged_in, runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    path = tmp_path / "q.csv"
    path.write_bytes(ledger_csv(ROWS))
    assert runner("import", "ledger", str(path), "--period", "2025-03-01..2025-03-31").exit_code == 0
    logged_in(Role.finance)
    status, html = _preview(client, "q.csv", path.read_bytes(), period="2025-03-01..2025-03-31")
    page = _text(html)
    assert "同一文件已导入过" in page and "不会有任何改动" in page
    assert "将替换旧行" not in page and "计入项目支出" not in page  # nothing would be replaced or counted


def test_counts_have_thousands_separators(client, logged_in, runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    rows = [(f"2025-03-{1 + i % 28:02d}", "专项业务经费", f"办公费{i}", "1.00") for i in range(1200)]
    path = tmp_path / "many.csv"
    path.write_bytes(ledger_csv(rows))
    logged_in(Role.finance)
    status, html = _preview(client, "many.csv", path.read_bytes(), period="2025-03-01..2025-03-31")
    assert status == 200
    assert "1,200 行：交易 1,200 行" in _text(html) and "<strong>1,200</strong> 行，1,200.00 元" in html
    assert runner("import", "ledger", str(path), "--period", "2025-03-01..2025-03-31").exit_code == 0
    batches = _text(client.get("/ledger/batches").get_data(as_text=True))
    assert "1,2001,2001,200.00 00" in batches  # 交易, 计入, 金额, 待匹配, 替换旧行 cells


def test_the_alerts_page_names_no_setting(client, logged_in) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.finance)
    html = client.get("/alerts").get_data(as_text=True)
    assert "尚未配置发送提醒邮件的服务器，提醒目前只在本页显示" in _text(html)
    _no_machine_words(html)


def test_severity_words() -> None:
    assert [finding_severity_label(s) for s in ("error", "warning", "info", "other")] == ["错误", "请核对", "说明", "提示"]
