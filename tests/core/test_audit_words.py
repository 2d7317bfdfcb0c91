"""Every code the audit log records reads as a Chinese word on the audit pages and exports.

The codes are found in the source itself (every ``audit.record(…)`` call), so a new action,
object or detail key without its word fails here rather than showing English to an auditor."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tracker
from tracker.models.audit import (
    ACTION_LABELS,
    DETAIL_LABELS,
    ENTITY_LABELS,
    FIELD_LABELS,
    detail_lines,
    details_text,
)

SOURCE = Path(tracker.__file__).resolve().parent


def _record_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):
                calls.append((f"{path.relative_to(SOURCE)}:{node.lineno}", node))
    return calls


def test_the_source_records_audit_entries_this_test_can_see() -> None:
    calls = _record_calls()
    assert len(calls) >= 30  # the scan finds the calls (a rename of the function would empty it)


@pytest.mark.parametrize(("where", "call"), _record_calls(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_recorded_action_object_and_detail_has_a_word(where: str, call: ast.Call) -> None:
    action, entity = call.args[2], call.args[3]
    assert isinstance(action, ast.Constant) and action.value in ACTION_LABELS, where
    assert isinstance(entity, ast.Constant) and entity.value in ENTITY_LABELS, where
    for keyword in call.keywords:
        if keyword.arg is None:  # ``**{...}``: the keys of the dict literal
            assert isinstance(keyword.value, ast.IfExp | ast.Dict), where
            dicts = [keyword.value] if isinstance(keyword.value, ast.Dict) else [
                d for d in (keyword.value.body, keyword.value.orelse) if isinstance(d, ast.Dict)]
            keys = [k.value for d in dicts for k in d.keys if isinstance(k, ast.Constant)]
        else:
            keys = [keyword.arg]
        for key in keys:
            assert key in DETAIL_LABELS, f"{where}: {key}"
        if keyword.arg == "changes" and isinstance(keyword.value, ast.Dict):
            for key in keyword.value.keys:
                assert isinstance(key, ast.Constant) and key.value in FIELD_LABELS, f"{where}: {key}"


def test_details_read_as_words_changes_as_old_to_new() -> None:
    details = {"username": "sun", "changes": {"role": ["finance", "leader"], "units": [[1], [1, 2]],
                                              "active": [True, False]}}
    assert detail_lines(details) == [
        ("username", "用户名", "sun"),
        ("changes", "变更", "角色：财务人员 → 领导；单位编号：1 → 1、2；启用：是 → 否")]
    assert details_text({"likelihood": "possible", "causes": ["funding", "other"], "override": None}) == (
        "完成目标可能性：有可能\n偏差原因：经费保障、其他\n合计不符仍导入的理由：—")
    # settings recorded whole are not changes: a pair inside is a value, not old → new
    assert details_text({"monitoring": {"default_plan": [[6, "50"], [12, "100"]], "monitoring_month": 6},
                         "key": "evaluation"}) == (
        "监控设置：默认支出计划：6月 50%、12月 100%；监控截止月份：6\n设置组：自评设置")
    assert details_text({"name": "国库", "mapping": {"date": "支付日期", "amount": "实付金额"},
                         "status_answers": {"已退回": False}}) == (
        "名称：国库\n列映射：日期：支付日期；金额 / 支付金额：实付金额\n支付状态是否计入支出：已退回：否")
    assert detail_lines({"mystery": 1}) == [("mystery", "mystery", "1")]  # an unknown key shows as is
