"""Ledger pages: upload → preview (nothing written) → confirm → batches → undo; the queue."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tracker.config import PROJECT_ROOT
from tracker.models import LedgerBatch, LedgerRow, Project, Role, Unit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ledgers"


def _preview(client, name: str, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/ledger/preview", data={
        "csrf_token": csrf_token(client, "/ledger/import"), "file": (io.BytesIO(data), name),
        **fields}, content_type="multipart/form-data")


def _token(html: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)


def test_preview_confirm_and_undo(client, logged_in, runner, session) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "002_ae7a2bed391112e9.txt"))
    logged_in(Role.finance)
    data = (FIXTURES / "grp_mingxizhang_gaoxinqu_2023.xlsx").read_bytes()
    preview = _preview(client, "明细账.xlsx", data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "尚未写入任何数据" in html and "百川房屋租赁费" in html and "本期发生额/借方" in html
    assert "41,730,000.00" in html  # counted amount
    assert session.scalar(select(func.count(LedgerBatch.id))) == 0
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html),
        "profile_name": "高新区用友明细账"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "已导入批次" in page and "明细账.xlsx" in page
    batch = session.scalar(select(LedgerBatch))
    assert batch.status == "active" and batch.counted_rows == 6
    undone = client.post(f"/ledger/batches/{batch.id}/undo",
                         data={"csrf_token": csrf_token(client, "/ledger/batches")}, follow_redirects=True)
    assert "已撤销批次" in undone.get_data(as_text=True)
    session.refresh(batch)
    assert batch.status == "undone"


def test_unknown_unit_asks_for_one_and_keeps_the_upload(client, logged_in, runner, session) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    csv = "\ufeff业务日期,凭证编号,摘要,项目名称,金额（元）\n2025-02-01,1,会务费,专项业务经费,\"100.00\"\n"
    response = _preview(client, "无单位.csv", csv.encode("utf-8"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "无法从文件确定所属单位" in html
    unit_id = re.search(r'<option value="(\d+)"[^>]*>205 石嘴山市科学技术局', html).group(1)
    again = client.post("/ledger/preview", data={
        "csrf_token": csrf_token(client, "/ledger/import"), "token": _token(html), "unit": unit_id,
        "period": "2025-02-01..2025-02-28"})
    assert again.status_code == 200 and "专项业务经费" in again.get_data(as_text=True)


def test_unmatched_queue_assign(client, logged_in, runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    csv = tmp_path / "unmatched.csv"
    csv.write_text("\ufeff业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"
                   "2025-03-01,1,205001-石嘴山市科学技术局,谁也不认识,<b>差旅</b>,\"88.00\"\n",
                   encoding="utf-8")
    assert runner("import", "ledger", str(csv), "--period", "2025-03-01..2025-03-31").exit_code == 0
    logged_in(Role.finance)
    page = client.get("/ledger/unmatched").get_data(as_text=True)
    assert "&lt;b&gt;差旅&lt;/b&gt;" in page  # text from files is escaped
    row = session.scalar(select(LedgerRow).where(LedgerRow.project_id.is_(None)))
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    done = client.post("/ledger/unmatched/assign", data={
        "csrf_token": csrf_token(client, "/ledger/unmatched"), "row_id": str(row.id),
        "project_id": str(project.id), "rule_keyword": "差旅"}, follow_redirects=True)
    assert "已分配 1 行，并保存为规则" in done.get_data(as_text=True)
    session.refresh(row)
    assert row.project_id == project.id and row.match_method == "manual"


def test_project_ledger_drill_down_adds_up(client, logged_in, runner, session) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "002_ae7a2bed391112e9.txt"))
    runner("import", "ledger", str(FIXTURES / "grp_mingxizhang_gaoxinqu_2023.xlsx"))
    logged_in(Role.leader)
    project = session.scalar(select(Project).where(Project.name == "百川房屋租赁费"))
    page = client.get(f"/projects/{project.id}/ledger?as_of=2023-12-31").get_data(as_text=True)
    assert "<strong>3</strong> 行，合计 <strong>9,730,000.00</strong> 元" in page
    assert "-500,000.00" in page and "7101行政支出 第7行" in page.replace("</small>", "")
    before = client.get(f"/projects/{project.id}/ledger?as_of=2023-11-30").get_data(as_text=True)
    assert "<strong>0</strong> 行" in before


def _confirm_fields(html: str) -> dict[str, str]:
    """The hidden fields of the confirm form, as a browser posts them."""
    form = re.search(r'<form method="post" action="/ledger/confirm".*?</form>', html, re.S).group(0)
    return {name: value for name, value in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form) if name != "csrf_token"}


YONYOU_SHARED_CODE = (
    "\ufeff明细账\n"
    "科目：7101 行政支出,,,,,\n"
    "日期,凭证号,摘要,单位名称,预算项目,借方,贷方\n"
    "2021-03-05,记-12,会议费,604002 唐山市科学技术局,{project},\"12,000.00\",\n"
    "2021-04-08,记-30,专家咨询费,604002 唐山市科学技术局,{project},\"8,000.00\",\n")


@pytest.mark.parametrize("case", ["tangshan_payments", "shizuishan_payments", "yonyou_shared_code"])
def test_confirm_from_the_file_commits_what_the_preview_showed(client, logged_in, runner, session,
                                                               case: str) -> None:  # type: ignore[no-untyped-def]
    """Issue #21 6b: 单位 left at 从文件识别; the browser posts back every hidden field of the
    preview, and confirm imports exactly the preview: same unit, rows and total."""
    seed = {"tangshan_payments": "001_c3b4ac4d0f5c9307.txt", "yonyou_shared_code": "001_c3b4ac4d0f5c9307.txt",
            "shizuishan_payments": "004_543d86f9f0ad9464.txt"}[case]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / seed))
    fields = {"unit": ""}
    if case == "tangshan_payments":
        name, data = "支付明细.xlsx", (FIXTURES / "yitihua_payments_tangshan_2021H1.xlsx").read_bytes()
    elif case == "shizuishan_payments":
        name, data = "支付.csv", (FIXTURES / "payments_shizuishan_2025H1_utf8bom.csv").read_bytes()
        fields["period"] = "2025-01-01..2025-06-30"
    else:  # a 用友 明细账 whose unit code 604002 is shared with another body: told apart by name
        tangshan = session.scalar(select(Unit).where(Unit.name == "唐山市科学技术局"))
        session.add(Unit(code=tangshan.code, name="迁安市农业农村局"))
        session.commit()
        project = session.scalar(select(Project).where(Project.unit_id == tangshan.id))
        name = "用友明细账.csv"
        data = YONYOU_SHARED_CODE.format(project=project.name).encode("utf-8")
        fields["period"] = "2021-01-01..2021-06-30"
    logged_in(Role.finance)
    preview = _preview(client, name, data, **fields)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    shown_unit = re.search(r"<dt>单位</dt><dd>([^<（]+)", html).group(1)
    shown_rows = int(re.search(r"<dt>计入项目支出</dt><dd><strong>(\d+)</strong>", html).group(1))
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)})
    assert done.status_code == 302, done.get_data(as_text=True)
    batch = session.scalar(select(LedgerBatch))
    assert batch.unit.label == shown_unit and batch.counted_rows == shown_rows > 0


def test_confirm_waits_for_another_import_of_the_unit_and_says_so(fresh_database_url: str, tmp_path: Path) -> None:
    """Issue #21: the page's confirm waits (a real second connection holds the unit's lock)
    instead of failing, then imports and says how long it waited."""
    import threading
    import time

    from sqlalchemy import text

    from tests.conftest import TEST_PASSWORD
    from tracker import create_app, migration
    from tracker.services.ledger_lock import NAMESPACE
    from tracker.services.target_import import UploadedFile, apply_import, plan_import
    from tracker.services.users import create_user

    app = create_app({"database_url": fresh_database_url, "instance_path": str(tmp_path), "testing": True,
                      "secret_key": "test-secret"})
    database = app.extensions["tracker.db"]
    migration.upgrade(fresh_database_url, database.engine)
    seed = PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"
    with database.session() as session:
        apply_import(session, plan_import(session, [UploadedFile(seed.name, seed.read_bytes())]), "test")
        user = create_user(session, "finance1", Role.finance, TEST_PASSWORD)
        session.commit()
        user_id = user.get_id()
        unit_id = session.scalar(select(Unit.id).where(Unit.name == "石嘴山市科学技术局"))
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"], flask_session["_fresh"] = user_id, True
    csv = "\ufeff业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n2025-02-01,1,205001-石嘴山市科学技术局,专项业务经费,会务费,\"100.00\"\n"
    html = _preview(client, "支付.csv", csv.encode("utf-8"), period="2025-02-01..2025-02-28").get_data(as_text=True)
    holder = database.engine.connect()  # another import of the unit, still writing
    if holder.dialect.name == "postgresql":
        holder.execute(text("SELECT pg_advisory_xact_lock(:n, :u)"), {"n": NAMESPACE, "u": unit_id})
    else:
        holder.exec_driver_sql("UPDATE unit SET id = id WHERE 0")

    def finish_later() -> None:
        time.sleep(2)
        holder.rollback()
        holder.close()

    finisher = threading.Thread(target=finish_later)
    try:
        finisher.start()
        done = client.post("/ledger/confirm", data={
            "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)}, follow_redirects=True)
    finally:
        finisher.join()
        page = done.get_data(as_text=True) if "done" in locals() else ""
        database.dispose()
    assert done.status_code == 200 and "已导入批次" in page, page
    assert re.search(r"曾等待另一导入完成 \d+ 秒", page)


def _shizuishan_csv(amount: str) -> bytes:
    return ("\ufeff业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"
            f"2025-02-01,1,205001-石嘴山市科学技术局,专项业务经费,会务费,\"{amount}\"\n").encode("utf-8")


def test_confirm_after_someone_imported_the_same_file_says_so(client, logged_in, runner, session,
                                                               tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    html = _preview(client, "支付.csv", _shizuishan_csv("100.00"), period="2025-02-01..2025-02-28").get_data(as_text=True)
    same = tmp_path / "支付.csv"
    same.write_bytes(_shizuishan_csv("100.00"))
    assert runner("import", "ledger", str(same), "--period", "2025-02-01..2025-02-28").exit_code == 0
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)})
    assert done.status_code == 422 and "同一文件已导入过" in done.get_data(as_text=True)
    assert session.scalar(select(func.count(LedgerBatch.id))) == 1


def test_confirm_shows_the_preview_again_when_the_data_changed_meanwhile(client, logged_in, runner, session,
                                                                         tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Another source became the unit's counting source after the preview: the rows would no
    longer count, so confirm imports nothing and shows the new preview."""
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    html = _preview(client, "支付.csv", _shizuishan_csv("100.00"), period="2025-02-01..2025-02-28").get_data(as_text=True)
    books = tmp_path / "账簿.csv"
    books.write_bytes(_shizuishan_csv("300.00"))
    assert runner("import", "ledger", str(books), "--period", "2025-02-01..2025-02-28",
                  "--source", "用友明细账").exit_code == 0
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)})
    page = done.get_data(as_text=True)
    assert done.status_code == 409 and "预览之后数据已有变化" in page and "不计入支出" in page
    assert session.scalar(select(func.count(LedgerBatch.id))) == 1
    again = client.post("/ledger/confirm", data={  # confirming the new preview imports it
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(page)})
    assert again.status_code == 302
    assert session.scalar(select(func.count(LedgerBatch.id))) == 2


def test_confirm_shows_the_preview_again_when_another_export_landed_meanwhile(
        client, logged_in, runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A colleague imported an overlapping export of the same source after the preview: the
    import would now replace their rows, which the preview did not show."""
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    html = _preview(client, "支付.csv", _shizuishan_csv("100.00"), period="2025-02-01..2025-02-28").get_data(as_text=True)
    other = tmp_path / "同事的导出.csv"
    other.write_bytes(_shizuishan_csv("90.00"))
    assert runner("import", "ledger", str(other), "--period", "2025-02-01..2025-02-28").exit_code == 0
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)})
    page = done.get_data(as_text=True)
    assert done.status_code == 409 and "预览之后数据已有变化" in page
    assert re.search(r"<dt>将替换旧行</dt><dd>1 行", page)
    assert session.scalar(select(func.count(LedgerBatch.id))) == 1


def test_the_preview_asks_what_the_file_does_not_say_and_the_mapping_answers(client, logged_in, runner,  # type: ignore[no-untyped-def]
                                                                             session) -> None:
    """Issue #15: two columns could be the amount, and nothing says which project the rows
    belong to — the preview asks both; the mapping answers the first and is not asked again."""
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    unit = session.scalar(select(Unit).where(Unit.name.like("%石嘴山%")))
    csv = ("\ufeff支付日期,支付凭证号,用途,支付金额,实付金额\n"
           "2025-02-01,Z1,会务费,\"120.00\",\"100.00\"\n").encode("utf-8")
    html = _preview(client, "支付.csv", csv, unit=str(unit.id), period="2025-02-01..2025-02-28"
                    ).get_data(as_text=True)
    assert "需要您回答的问题" in html
    assert "哪一列是金额 / 支付金额？“支付金额”与“实付金额”都可能是" in html
    assert "工作表“CSV”属于哪个项目？" in html
    assert "120.00" in html
    again = client.post("/ledger/preview", data={
        "csrf_token": csrf_token(client, "/ledger/import"), "token": _token(html), "unit": str(unit.id),
        "period": "2025-02-01..2025-02-28", "map_date": "支付日期", "map_voucher": "支付凭证号",
        "map_summary": "用途", "map_amount": "实付金额"})
    page = again.get_data(as_text=True)
    assert again.status_code == 200, page
    assert "哪一列是金额" not in page and "100.00" in page


def _forbid_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #18: from here on, reading a ledger file fails the test."""
    def read_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the confirmation read the file again")

    import tracker.importers.ledger as package
    import tracker.importers.ledger.reader as reader
    import tracker.services.ledger_import as service
    for module in (package, reader, service):
        monkeypatch.setattr(module, "read_ledger", read_again)


def test_confirm_imports_the_parse_the_preview_kept_without_reading_the_file(  # type: ignore[no-untyped-def]
        client, logged_in, runner, session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #18: the preview keeps what it read beside the upload; confirm matches and writes
    that, and never calls the reader."""
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "002_ae7a2bed391112e9.txt"))
    logged_in(Role.finance)
    html = _preview(client, "明细账.xlsx", (FIXTURES / "grp_mingxizhang_gaoxinqu_2023.xlsx").read_bytes()
                    ).get_data(as_text=True)
    assert "41,730,000.00" in html
    _forbid_reading(monkeypatch)
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)})
    assert done.status_code == 302, done.get_data(as_text=True)
    batch = session.scalar(select(LedgerBatch))
    assert batch.counted_rows == 6 and batch.transactions == session.scalar(
        select(func.count(LedgerRow.id)).where(LedgerRow.batch_id == batch.id))
    assert f"{batch.counted_total:,.2f}" == "41,730,000.00"


def test_confirm_without_reading_still_sees_what_changed_in_the_database(  # type: ignore[no-untyped-def]
        client, logged_in, runner, session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept parse is matched against the database as it is at confirm time: an overlapping
    export landed meanwhile gives the 409 preview, and confirming that one imports it."""
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    html = _preview(client, "支付.csv", _shizuishan_csv("100.00"), period="2025-02-01..2025-02-28").get_data(as_text=True)
    other = tmp_path / "同事的导出.csv"
    other.write_bytes(_shizuishan_csv("90.00"))
    assert runner("import", "ledger", str(other), "--period", "2025-02-01..2025-02-28").exit_code == 0
    _forbid_reading(monkeypatch)
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)})
    page = done.get_data(as_text=True)
    assert done.status_code == 409 and re.search(r"<dt>将替换旧行</dt><dd>1 行", page)
    again = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(page)})
    assert again.status_code == 302, again.get_data(as_text=True)
    assert session.scalar(select(func.count(LedgerBatch.id))) == 2


@pytest.mark.parametrize("damage", ["removed", "altered"])
def test_a_kept_parse_gone_or_altered_asks_to_upload_again(  # type: ignore[no-untyped-def]
        app, client, logged_in, runner, session, damage: str) -> None:
    """Cleaned away with old uploads, or changed on disk (its seal no longer verifies, so it is
    never unpickled): confirm imports nothing and says, in Chinese, to upload again."""
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    html = _preview(client, "支付.csv", _shizuishan_csv("100.00"), period="2025-02-01..2025-02-28").get_data(as_text=True)
    [kept] = (Path(app.extensions["tracker.config"].instance_path) / "uploads" / _token(html)).glob("result-*.bin")
    if damage == "removed":
        kept.unlink()
    else:
        blob = bytearray(kept.read_bytes())
        blob[-1] ^= 1
        kept.write_bytes(bytes(blob))
    done = client.post("/ledger/confirm", data={
        "csrf_token": csrf_token(client, "/ledger/import"), **_confirm_fields(html)})
    page = done.get_data(as_text=True)
    assert done.status_code == 404 and "请重新上传文件并预览" in page and "Traceback" not in page
    assert session.scalar(select(func.count(LedgerBatch.id))) == 0


def test_batches_are_listed_100_a_page_newest_first(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    from tests.monitoring_builders import add_ledger, make_unit
    unit = make_unit(session, "科技局")
    made = [add_ledger(session, unit, ("2025-01-01", "2025-01-31"), []) for _ in range(103)]
    session.commit()
    logged_in(Role.finance)
    first = client.get("/ledger/batches").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r"<td>#(\d+)</td>", first)]
    assert ids == sorted((b.id for b in made), reverse=True)[:100]
    assert "共 103 个批次（最新的在前），第 1–100 个。" in first and 'href="/ledger/batches?page=2">下一页' in first
    second = client.get("/ledger/batches?page=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(r"<td>#(\d+)</td>", second)] == sorted(b.id for b in made)[:3][::-1]
    assert "上一页" in second and "下一页" not in second
    assert "第 101–103 个" in client.get("/ledger/batches?page=7").get_data(as_text=True)
