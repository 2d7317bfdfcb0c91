"""The ledger mapping screen through the real forms (issues #15, #22): an unrecognised layout
shows the mapping instead of a dead end, in Chinese, each field a drop-down of the file's own
headers with a sample value; the preview's questions (an unknown 支付状态, the project of a sheet
without one) are answered there; confirm imports what the preview showed; a named profile
keeps columns and answers, and the next import with it asks nothing."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.importers import ledger_fixtures as fx
from tracker.config import PROJECT_ROOT
from tracker.models import LedgerBatch, LedgerRow, MappingProfile, Project, Role, Unit

SEED = str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt")
QUESTIONS = "文件没有说明、需要您回答的问题"


class _Form(HTMLParser):
    """The fields a browser would post from the form whose action is ``action``, and every
    select's options (value, text)."""

    def __init__(self, action: str, index: int) -> None:
        super().__init__()
        self.action, self.index, self.seen = action, index, -1
        self.inside = False
        self.fields: dict[str, str] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.select: str | None = None
        self.option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("action") == self.action:
            self.seen += 1
            self.inside = self.seen == self.index
        if not self.inside:
            return
        if tag == "input" and a.get("type") in ("hidden", "text", None) and "name" in a:
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
            self.options[self.select] = []
        elif tag == "option" and self.select is not None:
            self.option = a.get("value", "")
            if not self.options[self.select] or "selected" in a:
                self.fields[self.select] = self.option
            self.options[self.select].append((self.option, ""))

    def handle_data(self, data: str) -> None:
        if self.inside and self.option is not None and self.select is not None:
            value, text = self.options[self.select][-1]
            self.options[self.select][-1] = (value, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "option":
            self.option = None


def form(html: str, action: str, index: int = 0) -> _Form:
    parsed = _Form(action, index)
    parsed.feed(html)
    assert parsed.fields, f"no form {action} #{index}"
    return parsed


def post(client, action: str, fields: dict[str, str], **changes: str):  # type: ignore[no-untyped-def]
    return client.post(action, data={**fields, **changes, "csrf_token": csrf_token(client, "/ledger/import")})


def upload(client, name: str, data: bytes, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/ledger/preview", data={
        "csrf_token": csrf_token(client, "/ledger/import"), "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data")


def unit_id(session) -> str:  # type: ignore[no-untyped-def]
    return str(session.scalar(select(Unit.id).where(Unit.name == "石嘴山市科学技术局")))


def own_layout(rows: list[tuple[str, str, str, str]]) -> bytes:
    """A layout no synonym knows: 发生时间 / 事由 / 花费 / 归属."""
    lines = "".join(f"{d},{s},\"{a}\",{p}\n" for d, s, a, p in rows)
    return ("\ufeff某单位经费流水\n发生时间,事由,花费,归属\n" + lines).encode("utf-8")


def test_an_unrecognised_layout_shows_the_mapping_and_a_profile_reads_the_next_file(
        client, logged_in, runner, session) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    logged_in(Role.finance)
    data = own_layout([("2025-02-03", "会务", "1,200.00", "专项业务经费"), ("2025-02-09", "差旅", "300.00", "专项业务经费")])
    refused = upload(client, "流水.csv", data, unit=unit_id(session), period="2025-02-01..2025-02-28")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "未识别表头" in html
    mapping = form(html, "/ledger/preview")
    assert mapping.fields["token"]  # the upload is kept for the mapping
    assert ("发生时间", "发生时间（示例：2025-02-03）") in mapping.options["map_date"]
    assert ("花费", "花费（示例：1,200.00）") in mapping.options["map_amount"]
    for label in ("<label for=\"map_date\">日期</label>", ">凭证号<", ">摘要<", ">科目编码<", ">借方<"):
        assert label in html
    assert "map_account_code" in mapping.options and "summary</td>" not in html  # no English names
    preview = post(client, "/ledger/preview", mapping.fields, map_date="发生时间", map_summary="事由",
                   map_amount="花费", map_project_name="归属")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    assert "1,500.00" in page and "专项业务经费" in page
    again = form(page, "/ledger/preview")
    assert again.fields["map_date"] == "发生时间" and again.fields["map_amount"] == "花费"
    done = post(client, "/ledger/confirm", form(page, "/ledger/confirm").fields, profile_name="经费流水")
    assert done.status_code == 302
    batch = session.scalar(select(LedgerBatch))
    assert batch.counted_total == 1500 and batch.matched_rows == 2
    profile = session.scalar(select(MappingProfile))
    assert profile.name == "经费流水" and profile.mapping == {
        "date": "发生时间", "summary": "事由", "amount": "花费", "project_name": "归属"}
    assert "经费流水" in client.get("/ledger/import").get_data(as_text=True)
    following = upload(client, "流水3月.csv", own_layout([("2025-03-02", "会务", "80.00", "专项业务经费")]),
                       unit=unit_id(session), period="2025-03-01..2025-03-31", profile="经费流水")
    follow_page = following.get_data(as_text=True)
    assert following.status_code == 200 and "80.00" in follow_page and QUESTIONS not in follow_page


def payments(rows: list[tuple[str, str, str]]) -> bytes:
    lines = "".join(f"{d},{i:04d},205001-石嘴山市科学技术局,专项业务经费,摘要{i},\"{a}\",{s}\n"
                    for i, (d, a, s) in enumerate(rows, 1))
    return ("\ufeff业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）,支付状态\n" + lines).encode("utf-8")


def test_an_unknown_status_is_asked_answered_and_saved_with_the_profile(
        client, logged_in, runner, session) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    logged_in(Role.finance)
    preview = upload(client, "支付.csv", payments([("2025-02-03", "100.00", "已受理"), ("2025-02-04", "50.00", "已支付")]),
                     period="2025-02-01..2025-02-28")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and QUESTIONS in html and "支付状态“已受理”（1行）表示钱已付出吗" in html
    assert "<strong>1</strong> 行，50.00 元" in html  # not counted until answered
    answer = form(html, "/ledger/preview")
    assert answer.fields["status_text_1"] == "已受理" and answer.fields["status_answer_1"] == ""
    answered = post(client, "/ledger/preview", answer.fields, status_answer_1="counts").get_data(as_text=True)
    assert "<strong>2</strong> 行，150.00 元" in answered and QUESTIONS not in answered
    assert form(answered, "/ledger/preview").fields["status_answer_1"] == "counts"
    done = post(client, "/ledger/confirm", form(answered, "/ledger/confirm").fields, profile_name="石嘴山支付")
    assert done.status_code == 302
    assert session.scalar(select(LedgerBatch.counted_total)) == 150
    assert session.scalar(select(MappingProfile.status_answers)) == {"已受理": True}
    following = upload(client, "支付3月.csv", payments([("2025-03-03", "30.00", "已受理")]),
                       period="2025-03-01..2025-03-31", profile="石嘴山支付").get_data(as_text=True)
    assert QUESTIONS not in following and "<strong>1</strong> 行，30.00 元" in following


SHEET = [["科目：7201 事业支出"], ["日期", "凭证号", "摘要", "借方", "贷方"],
         ["2025-02-02", "记-1", "设备", "100.00", ""], ["2025-02-03", "记-2", "差旅", "20.00", ""]]


def test_the_project_of_a_sheet_without_one_is_chosen_and_saved_by_sheet_name(
        client, logged_in, runner, session) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", SEED)
    logged_in(Role.finance)
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    data = fx.xlsx_bytes({"设备购置": SHEET})
    html = upload(client, "设备.xlsx", data, unit=unit_id(session),
                  period="2025-02-01..2025-02-28").get_data(as_text=True)
    assert "工作表“设备购置”属于哪个项目" in html
    answer = form(html, "/ledger/preview")
    assert answer.fields["sheet_name_1"] == "设备购置"
    assert any(value == str(project.id) and "专项业务经费" in text for value, text in answer.options["sheet_project_1"])
    answered = post(client, "/ledger/preview", answer.fields, sheet_project_1=str(project.id)).get_data(as_text=True)
    assert QUESTIONS not in answered and "已匹配 2 行，待匹配 0 行" in answered
    done = post(client, "/ledger/confirm", form(answered, "/ledger/confirm").fields, profile_name="设备账")
    assert done.status_code == 302
    assert set(session.execute(select(LedgerRow.project_id, LedgerRow.match_method)).all()) == {(project.id, "sheet")}
    assert session.scalar(select(MappingProfile.sheet_projects)) == {"设备购置": project.id}
    following = upload(client, "设备3月.xlsx", fx.xlsx_bytes({"设备购置": SHEET[:3]}), unit=unit_id(session),
                       period="2025-02-01..2025-02-28", profile="设备账").get_data(as_text=True)
    assert QUESTIONS not in following and "已匹配 1 行，待匹配 0 行" in following
