"""The ledger mapping screen in Debian's Chromium (issues #15, #22): finance uploads an export
whose layout no synonym knows, chooses its columns from the drop-downs of the file's own headers,
previews, answers the preview's question about an unknown 支付状态, saves the mapping as a
profile and confirms.  A unit of its own (2024) keeps the demo data the other tests count as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS, run_tracker
from tests.browser.signing_in import sign_in

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PASSWORD = "mapping-pass-1"


@pytest.fixture(scope="module")
def clerk(server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    text = (SEEDS / "004_543d86f9f0ad9464.txt").read_text(encoding="utf-8")
    document = tmp_path_factory.mktemp("mapping") / "2024年映射市项目绩效目标.txt"
    document.write_text(text.replace("2025", "2024").replace("石嘴山市", "映射市"), encoding="utf-8")
    run_tracker(server_env, "import", "targets", str(document))
    run_tracker(server_env, "user", "create", "--username", "mapper", "--role", "finance",
                "--password", PASSWORD)
    return "mapper"


def test_an_unrecognised_export_is_mapped_previewed_answered_and_imported(server: str, browser, clerk,
                                                                          tmp_path) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, clerk, PASSWORD)

    export = tmp_path / "映射市经费流水.csv"
    export.write_text("某单位经费流水\n发生时间,事由,花费,归属,结果\n"
                      "2024-03-15,培训场地费,\"12,000.00\",创新驱动、科技发展业务经费,已支付\n"
                      "2024-05-20,专家咨询费,\"3,500.00\",创新驱动、科技发展业务经费,已受理\n", encoding="gbk")
    page.goto(server + "/ledger/import")
    page.set_input_files("input[name=file]", str(export))
    page.select_option("select[name=unit]", label=next(
        o for o in page.eval_on_selector_all("select[name=unit] option", "os => os.map(o => o.textContent)")
        if "映射市科学技术局" in o))
    page.fill("input[name=period]", "2024-01-01..2024-06-30")
    page.click("button:has-text('预览')")
    page.wait_for_selector("select[name=map_date]")
    body = page.inner_text("body")
    assert "未识别表头" in body and "列映射" in body
    assert page.inner_text("label[for=map_date]") == "日期"
    options = page.eval_on_selector_all("select[name=map_amount] option", "os => os.map(o => o.textContent)")
    assert "花费（示例：12,000.00）" in options
    page.select_option("select[name=map_date]", "发生时间")
    page.select_option("select[name=map_summary]", "事由")
    page.select_option("select[name=map_amount]", "花费")
    page.select_option("select[name=map_project_name]", "归属")
    page.select_option("select[name=map_status]", "结果")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ledger-mapping.png"), full_page=True)
    page.click("button:has-text('预览')")
    page.wait_for_selector("button:has-text('确认导入')")
    body = page.inner_text("body")
    assert "支付状态“已受理”（1行）表示钱已付出吗" in body and "12,000.00 元" in body

    page.select_option("select[name=status_answer_1]", "counts")
    page.click("button:has-text('按此映射和回答重新预览')")
    page.wait_for_selector("button:has-text('确认导入')")
    body = page.inner_text("body")
    assert "15,500.00 元" in body and "需要您回答的问题" not in body
    page.fill("input[name=profile_name]", "映射市经费流水")
    page.click("button:has-text('确认导入')")
    page.wait_for_load_state()
    assert "已导入批次" in page.inner_text("body")
    page.goto(server + "/ledger/import")
    assert "映射市经费流水" in page.inner_text("select[name=profile]")
    # the one expected: the unrecognised layout's page is answered 422 (nothing was imported)
    assert [p for p in problems if "status of 422" not in p] == []
    assert len(problems) <= 1
    context.close()
