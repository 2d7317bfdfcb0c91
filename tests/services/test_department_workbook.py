"""The 部门整体 sheet of the 填报表: written when the unit has department indicators for the
year, read back with verified identifiers, previewed and applied through department.add_progress."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.services.test_department import import_seed, year_of
from tracker.models import DepartmentProgress, Unit
from tracker.services import department
from tracker.services.progress_workbook import import_workbook, template

SECRET = "test-secret"
AS_OF = date(2023, 6, 30)


def _unit(session: Session) -> Unit:
    import_seed(session, "002")
    return session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()


def _fill(data: bytes, wanted: dict[str, dict[str, object]], edit: Any = None) -> bytes:
    book = load_workbook(BytesIO(data))
    sheet = book["部门整体"]
    header = {c.value: c.column for c in sheet[2]}
    for row in sheet.iter_rows(min_row=3):
        for column, value in wanted.get(row[header["三级指标"] - 1].value, {}).items():
            sheet.cell(row=row[0].row, column=header[column], value=value)
    if edit:
        edit(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _run(session: Session, data: bytes, apply: bool = True):  # type: ignore[no-untyped-def]
    return import_workbook(session, data, filename="填报表.xlsx", actor="clerk", today=date(2023, 7, 5),
                           secret=SECRET, apply=apply)


def _reports(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DepartmentProgress))


def test_the_department_sheet_lists_every_indicator(session: Session) -> None:
    unit = _unit(session)
    record = year_of(session, "高新区科技局", 2023)
    department.add_progress(session, department.indicators_of(session, record)[2],
                            reported_on=date(2023, 5, 1), actor="t", raw="92")
    book = load_workbook(BytesIO(template(session, unit, AS_OF, SECRET)))
    assert book.sheetnames == ["指标填报", "偏差说明", "部门整体", "标识"]
    sheet = book["部门整体"]
    assert [c.value for c in sheet[2]] == ["分项", "一级指标", "二级指标", "三级指标", "年度指标值", "指标类型",
                                          "计量单位", "最近填报值", "最近填报日期", "本次完成值", "完成日期",
                                          "偏差说明", "标识"]
    rows = [[c.value or "" for c in row[:8]] for row in sheet.iter_rows(min_row=3)]
    assert [(r[0], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
        ("为高新区提供科技创新项目支撑", "高新技术企业新增", "25家以上", "定量", "家", ""),
        ("为高新区提供科技创新项目支撑", "新认定国家科技型中小企业", "240家", "定量", "家", ""),
        ("为高新区提供科技创新项目支撑", "区内企业满意度", "大于90%", "定量", "%", "92%"),
        ("完善科技创新服务体系建设，推进机器人产业发展", "及时足额拨付机器人产业扶持资金",
         "及时足额拨付机器人产业扶持资金", "定性", "", ""),
        ("完善科技创新服务体系建设，推进机器人产业发展", "区内机器人企业创新能力", "明显提高", "定性", "", ""),
        ("完善科技创新服务体系建设，推进机器人产业发展", "机器人产业企业满意度", "达到90%", "定量", "%", ""),
    ]
    assert sheet.protection.sheet
    assert "部门整体" not in load_workbook(BytesIO(template(session, unit, date(2024, 6, 30), SECRET))).sheetnames


def test_a_filled_department_sheet_is_previewed_refused_then_applied_once(session: Session) -> None:
    unit = _unit(session)
    blank = template(session, unit, AS_OF, SECRET)
    wrong = _fill(blank, {"高新技术企业新增": {"本次完成值": 12},
                          "新认定国家科技型中小企业": {"本次完成值": "很多"},
                          "机器人产业企业满意度": {"偏差说明": "调查未开展"}})
    refused = _run(session, wrong)
    assert not refused.applied and _reports(session) == 0
    assert [(r.sheet, r.row, r.column, r.message) for r in refused.refusals] == [
        ("部门整体", 4, "本次完成值", "“新认定国家科技型中小企业”的完成值应为数字（可带单位），当前为“很多”"),
        ("部门整体", 8, "本次完成值", "请填写“机器人产业企业满意度”的本次完成值（只填完成日期或偏差说明不能保存）"),
    ]
    good = _fill(blank, {"高新技术企业新增": {"本次完成值": 12, "偏差说明": "下半年集中认定"},
                         "区内企业满意度": {"本次完成值": "95%", "完成日期": "2023-06-15"},
                         "及时足额拨付机器人产业扶持资金": {"本次完成值": "部分达成年度指标并具有一定效果"}})
    preview = _run(session, good, apply=False)
    assert not preview.refusals and not preview.applied and _reports(session) == 0
    assert [(c["row"], c["indicator"], c["reported_on"], c["old"], c["new"]) for c in preview.changes] == [
        (3, "高新技术企业新增", "2023-06-30", "", "12家"),
        (5, "区内企业满意度", "2023-06-15", "", "95%"),
        (6, "及时足额拨付机器人产业扶持资金", "2023-06-30", "", "部分达成年度指标并具有一定效果"),
    ]
    applied = _run(session, good)
    assert applied.applied and len(applied.changes) == 3 and _reports(session) == 3
    record = year_of(session, "高新区科技局", 2023)
    session.expire_all()
    rows = department.indicators_of(session, record)
    assert [(e.value, e.note, e.actor) for e in rows[0].reports] == [(Decimal(12), "下半年集中认定", "clerk")]
    assert rows[3].reports[0].achievement == "partial"
    again = _run(session, good)
    assert again.applied and again.changes == [] and again.unchanged == 3 and _reports(session) == 3


def test_an_identifier_moved_between_sheets_does_not_verify(session: Session) -> None:
    unit = _unit(session)

    def paste_project_id(book: Any) -> None:  # a project row's identifier onto a department row
        book["部门整体"].cell(row=3, column=13, value=book["指标填报"].cell(row=3, column=14).value)

    data = _fill(template(session, unit, AS_OF, SECRET), {"高新技术企业新增": {"本次完成值": 12}},
                 edit=paste_project_id)
    result = _run(session, data)
    assert not result.applied and _reports(session) == 0
    assert [(r.sheet, r.row, r.column) for r in result.refusals] == [("部门整体", 3, "标识")]
    assert "隐藏的行标识被修改" in result.refusals[0].message


def test_a_date_outside_the_year_or_after_today_is_refused_like_on_the_page(session: Session) -> None:
    """完成日期 is the report's date: in the department's year and not after the upload day
    (``_run``: 2023-07-05), as the page and the project sheet refuse it."""
    unit = _unit(session)
    data = _fill(template(session, unit, AS_OF, SECRET), {
        "高新技术企业新增": {"本次完成值": 12, "完成日期": "2023-08-01"},
        "区内企业满意度": {"本次完成值": "95%", "完成日期": "2022-12-31"}})
    result = _run(session, data)
    assert not result.applied and _reports(session) == 0
    assert [(r.row, r.column, r.message) for r in result.refusals] == [
        (3, "本次完成值", "完成值日期应在2023年内且不晚于今天（2023-01-01 至 2023-07-05），当前为 2023-08-01"),
        (5, "本次完成值", "完成值日期应在2023年内且不晚于今天（2023-01-01 至 2023-07-05），当前为 2022-12-31")]


def test_a_row_of_another_units_workbook_does_not_verify(session: Session) -> None:
    """The identifier is signed over the workbook's unit and date: a 部门整体 row copied from
    another unit's 填报表 (seed 003: its 2025 department year and indicator) is refused."""
    unit = _unit(session)
    import_seed(session, "003")
    other = session.scalars(select(Unit).where(Unit.name == "沧州临港经济技术开发区循环经济促进中心")).one()
    other_book = load_workbook(BytesIO(template(session, other, date(2025, 6, 30), SECRET)))
    foreign = other_book["部门整体"].cell(row=3, column=13).value

    def paste(book: Any) -> None:
        book["部门整体"].cell(row=3, column=13, value=foreign)

    result = _run(session, _fill(template(session, unit, AS_OF, SECRET), {"高新技术企业新增": {"本次完成值": 12}},
                                 edit=paste))
    assert not result.applied and _reports(session) == 0
    assert [(r.sheet, r.row, r.column) for r in result.refusals] == [("部门整体", 3, "标识")]


def test_a_department_identifier_pasted_on_the_project_sheet_does_not_verify(session: Session) -> None:
    """The other way round: a 部门整体 row's identifier (signed with its own kind) on a row of
    指标填报 is refused there; nothing is recorded."""
    unit = _unit(session)

    def paste_department_id(book: Any) -> None:
        sheet = book["指标填报"]
        sheet.cell(row=3, column=14, value=book["部门整体"].cell(row=3, column=13).value)
        header = {c.value: c.column for c in sheet[2]}
        sheet.cell(row=3, column=header["本次完成值"], value=5)

    result = _run(session, _fill(template(session, unit, AS_OF, SECRET), {}, edit=paste_department_id))
    assert not result.applied and _reports(session) == 0
    assert [(r.sheet, r.row, r.column) for r in result.refusals] == [("指标填报", 3, "标识")]
