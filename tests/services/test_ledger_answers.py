"""The answers to what a ledger preview asks (DOMAIN §4, issue #15): an unknown 支付状态 does not
count until answered, a sheet without a project takes the one chosen for it; both travel in the
preview's plan to its confirmation and are saved with a mapping profile, so the same layout
imported again with the profile asks nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.importers import ledger_fixtures as fx
from tests.services.test_ledger_import import load_seed
from tracker.errors import ValidationFailed
from tracker.models import LedgerRow, MappingProfile, Project, Unit
from tracker.services.ledger_import import (LedgerUpload, commit, prepare, prepare_as_previewed,
                                            preview_plan)
from tracker.services.ledger_queue import save_profile
from tracker.services.spending import spent_through

UNIT = "205 石嘴山市科学技术局"


def status_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    lines = [f"{d},{i:04d},205001-石嘴山市科学技术局,{name},摘要{i},\"{amount}\",{status}"
             for i, (d, name, amount, status) in enumerate(rows, 1)]
    return ("\ufeff业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）,支付状态\n"
            + "\n".join(lines) + "\n").encode("utf-8")


FEB = [("2025-02-03", "专项业务经费", "100.00", "已受理"), ("2025-02-04", "专项业务经费", "50.00", "已支付")]
MAR = [("2025-03-03", "专项业务经费", "30.00", "已受理")]


def questions(preview) -> list[str]:  # type: ignore[no-untyped-def]
    return [f["code"] for f in preview.findings if f["code"] in ("unusual_status", "question_sheet_project")]


def test_an_unknown_status_counts_only_once_answered_and_the_profile_keeps_the_answer(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    upload = LedgerUpload("feb.csv", status_csv(FEB))
    asked = prepare(session, upload, period="2025-02-01..2025-02-28")
    assert asked.counted_total == Decimal("50.00") and questions(asked) == ["unusual_status"]
    answered = prepare(session, upload, period="2025-02-01..2025-02-28", statuses={"已受理": True})
    assert answered.counted_total == Decimal("150.00") and questions(answered) == []
    plan = preview_plan(answered, profile=None, period="2025-02-01..2025-02-28")
    again, changed = prepare_as_previewed(session, upload, answered.parse, plan)
    assert not changed and again.counted_total == Decimal("150.00")
    commit(session, again, "test")
    save_profile(session, "石嘴山支付", dict(again.parse.mapping), again.source, "test",
                 status_answers=again.status_answers, sheet_projects=again.sheet_projects)
    session.flush()
    assert session.scalar(select(MappingProfile.status_answers)) == {"已受理": True}
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    assert spent_through(session, date(2025, 2, 28)) == {project.id: Decimal("150.00")}
    following = prepare(session, LedgerUpload("mar.csv", status_csv(MAR)), profile="石嘴山支付",
                        period="2025-03-01..2025-03-31")
    assert questions(following) == [] and following.counted_total == Decimal("30.00")


def test_a_refusal_does_not_count_and_a_profile_keeps_answers_for_other_statuses(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    save_profile(session, "石嘴山支付", {}, None, "test", status_answers={"已受理": True})
    upload = LedgerUpload("feb.csv", status_csv(FEB + [("2025-02-05", "专项业务经费", "7.00", "已拒付")]))
    preview = prepare(session, upload, period="2025-02-01..2025-02-28", statuses={"已拒付": False})
    assert preview.counted_total == Decimal("50.00")  # 已受理 asked: a profile applies only when chosen
    chosen = prepare(session, upload, profile="石嘴山支付", period="2025-02-01..2025-02-28",
                     statuses={"已拒付": False})
    assert chosen.counted_total == Decimal("150.00") and questions(chosen) == []
    save_profile(session, "石嘴山支付", dict(chosen.parse.mapping), None, "test",
                 status_answers={"已拒付": False})
    assert session.scalar(select(MappingProfile.status_answers)) == {"已受理": True, "已拒付": False}


SHEET = [["科目：7201 事业支出"], ["日期", "凭证号", "摘要", "借方", "贷方"],
         ["2025-02-02", "记-1", "设备", "100.00", ""], ["2025-02-03", "记-2", "差旅", "20.00", ""]]


def test_a_sheet_without_a_project_takes_the_one_chosen_and_the_profile_keeps_it(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    project = session.scalar(select(Project).where(Project.name == "专项业务经费"))
    upload = LedgerUpload("两表.xlsx", fx.xlsx_bytes({"设备购置": SHEET, "差旅": SHEET}))
    asked = prepare(session, upload, unit=UNIT, period="2025-02-01..2025-02-28")
    assert asked.parse.sheets_without_project == ("设备购置", "差旅")
    assert questions(asked) == ["question_sheet_project"] * 2 and asked.matched_rows == 0
    answered = prepare(session, upload, unit=UNIT, period="2025-02-01..2025-02-28",
                       sheet_projects={"设备购置": project.id})
    assert answered.matched_rows == 2 and answered.unmatched_rows == 2
    assert questions(answered) == ["question_sheet_project"]  # 差旅 still asked
    plan = preview_plan(answered, profile=None, period="2025-02-01..2025-02-28")
    again, changed = prepare_as_previewed(session, upload, answered.parse, plan)
    assert not changed
    commit(session, again, "test")
    session.flush()
    assert sorted(session.execute(select(LedgerRow.sheet, LedgerRow.project_id, LedgerRow.match_method))
                  .all()) == sorted([("设备购置", project.id, "sheet")] * 2 + [("差旅", None, None)] * 2)
    save_profile(session, "两表", dict(again.parse.mapping), None, "test",
                 sheet_projects=again.sheet_projects)
    following = prepare(session, LedgerUpload("两表3月.xlsx", fx.xlsx_bytes({"设备购置": SHEET[:3]})),
                        unit=UNIT, profile="两表", period="2025-02-01..2025-02-28")
    assert questions(following) == [] and following.matched_rows == 1


def test_a_project_of_another_unit_is_refused_for_a_sheet(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    load_seed(session, "002_ae7a2bed391112e9.txt")
    unit_id = session.scalar(select(Unit.id).where(Unit.name == "石嘴山市科学技术局"))
    other = session.scalar(select(Project.id).where(Project.unit_id != unit_id))
    with pytest.raises(ValidationFailed, match="选择的项目不是单位"):
        prepare(session, LedgerUpload("两表.xlsx", fx.xlsx_bytes({"设备购置": SHEET})), unit=UNIT,
                period="2025-02-01..2025-02-28", sheet_projects={"设备购置": other})
