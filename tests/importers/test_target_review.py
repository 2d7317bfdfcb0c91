"""Target quality review: one test per finding (present and absent), document review, scores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracker.importers.target_records import (
    DepartmentTexts,
    Finding,
    IndicatorRecord,
    Location,
    PlanPoint,
    ProjectRecord,
    TargetDocument,
    UnitRecord,
)
from tracker.importers.target_review import (
    DEDUCTIONS,
    department_ranking,
    quality_score,
    review_document,
    review_project,
)
from tracker.importers.target_values import parse_target_value

D = Decimal
FILE = "000_84b2129734047c8f.txt"
CHECKPOINTS = (date(2025, 3, 31), date(2025, 6, 30), date(2025, 10, 31), date(2025, 12, 31))


# ---------------------------------------------------------------------------
# Builders.


def ind(
    level1: str,
    level2: str,
    name: str,
    raw: str,
    *,
    description: str | None = None,
    row: int = 1,
) -> IndicatorRecord:
    return IndicatorRecord(
        level1=level1,
        level2=level2,
        name=name,
        description=description,
        value=parse_target_value(raw, level2=level2, year=2025),
        basis="文件依据",
        weight=None,
        location=Location("uploaded-as.txt", "3", row),
    )


def plan(*pcts: str | None) -> tuple[PlanPoint, ...]:
    return tuple(
        PlanPoint(checkpoint=checkpoint, cumulative_pct=D(pct), raw=f"{pct}%")
        for checkpoint, pct in zip(CHECKPOINTS, pcts)
        if pct is not None
    )


def good_indicators() -> tuple[IndicatorRecord, ...]:
    return (
        ind("产出指标", "数量指标", "项目立项数量", "≥5个", row=10),
        ind("产出指标", "质量指标", "项目按时完成率", "≥90%", row=11),
        ind("产出指标", "时效指标", "资金拨付时间", "2025年12月31日前", row=12),
        ind("产出指标", "成本指标", "总成本", "≤84万元", row=13),
        ind("效益指标", "社会效益指标", "新技术应用", "有所提升", row=14),
        ind("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%", row=15),
    )


def project(**overrides: object) -> ProjectRecord:
    """A clean project (no findings); override one thing to provoke one finding."""
    fields: dict[str, object] = {
        "code": "13020225P008712100029",
        "name": "科技三项经费",
        "title": "3.科技三项经费绩效目标表",
        "supervising_department": None,
        "implementing_unit": "306001唐山市路南区科学技术局本级",
        "budget_wan": D("84.00"),
        "fiscal_wan": D("84.00"),
        "other_wan": None,
        "carryover_wan": None,
        "purpose": "带动社会资金向科技创新投入",
        "goal": "确保财政专项资金支出的“产出”与主要任务完成情况一致。",
        "plan": plan("25", "50", "75", "100"),
        "plan_raw": "25% | 50% | 75% | 100%",
        "indicators": good_indicators(),
        "findings": (),
        "location": Location("uploaded-as.txt", "3", 1),
    }
    fields.update(overrides)
    return ProjectRecord(**fields)  # type: ignore[arg-type]


def with_indicator(extra: IndicatorRecord, **overrides: object) -> ProjectRecord:
    return project(indicators=(*good_indicators(), extra), **overrides)


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [finding.code for finding in findings]


def review(p: ProjectRecord) -> tuple[Finding, ...]:
    return review_project(p, file=FILE)


def only(findings: tuple[Finding, ...], code: str) -> Finding:
    matching = [finding for finding in findings if finding.code == code]
    assert len(matching) == 1, codes(findings)
    return matching[0]


# ---------------------------------------------------------------------------
# A clean project.


def test_clean_project_has_no_findings_and_full_score() -> None:
    assert review(project()) == ()
    assert quality_score(project(), ()) == (100, ())


# ---------------------------------------------------------------------------
# Spending plan.


def test_plan_drop_at_year_end_is_flagged_with_values_and_guess() -> None:
    findings = review(project(plan=plan("25", "50", "75", "10")))
    finding = only(findings, "plan_not_monotonic")
    assert finding.severity == "warning"
    assert finding.message == (
        "12月底计划 10% 低于10月底的 75%，疑为 100% 之误；监控暂按单调包络（75%）处理，请在项目页确认更正"
    )
    assert finding.location == Location(FILE, "3", 1)
    assert "plan_incomplete" not in codes(findings)  # the drop already explains the year end


def test_plan_drop_in_the_middle_guesses_a_lost_zero() -> None:
    finding = only(review(project(plan=plan("25", "5", "75", "100"))), "plan_not_monotonic")
    assert finding.message.startswith("6月底计划 5% 低于3月底的 25%，疑为 50% 之误")


def test_plan_drop_without_a_plausible_guess() -> None:
    finding = only(review(project(plan=plan("40", "30", "75", "100"))), "plan_not_monotonic")
    assert "疑为" not in finding.message
    assert "单调包络（40%）" in finding.message


@pytest.mark.parametrize("pcts", [("25", "50", "75", "100"), ("0", "0", "0", "100"), (None, None, None, "100")])
def test_monotonic_plan_gives_no_plan_finding(pcts: tuple[str | None, ...]) -> None:
    assert not [code for code in codes(review(project(plan=plan(*pcts)))) if code.startswith("plan_")]


def test_plan_not_reaching_100() -> None:
    finding = only(review(project(plan=plan("25", "50", "75", "90"))), "plan_incomplete")
    assert "12月底" in finding.message and "90%" in finding.message
    assert "未换算" not in finding.message


def test_plan_in_wan_not_converted_gets_a_hint() -> None:
    p = project(budget_wan=D("4.00"), fiscal_wan=D("4.00"), plan=plan("1.00", "2.00", "3.00", "4.00"))
    finding = only(review(p), "plan_incomplete")
    assert "疑为金额未换算成百分比" in finding.message and "4万元" in finding.message


def test_plan_above_100() -> None:
    findings = review(project(plan=plan("25", "50", "75", "120")))
    finding = only(findings, "plan_above_100")
    assert finding.severity == "error"
    assert "120%" in finding.message
    assert "plan_incomplete" not in codes(findings)


def test_no_plan_is_an_info() -> None:
    finding = only(review(project(plan=())), "plan_missing")
    assert finding.severity == "info"
    assert "序时进度" in finding.message


# ---------------------------------------------------------------------------
# Identity: title and code.


def test_title_disagreeing_with_name_seed_002() -> None:
    p = project(title="机器人产业扶持资金项目绩效目标表", name="百川房屋租赁费", code=None)
    finding = only(review(p), "title_name_mismatch")
    assert finding.severity == "error"
    assert "机器人产业扶持资金项目绩效目标表" in finding.message and "百川房屋租赁费" in finding.message


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("1.2025年省级技术创新引导专项资金预算绩效目标表", "2025年省级技术创新引导专项资金预算"),
        ("[bookmark: _Toc_4_4_0000000006]3.科技三项经费绩效目标表", "科技三项经费"),
        ("5.2025航天沧州能源环保创新研究院项目绩效目标表", "2025航天沧州能源环保创新研究院项目"),
        ("9.提前下达2025年技术创新引导专项资金绩效目标表", "提前下达2025年技术创新引导专项资金"),
        ("11.下达2023-2024年沧州市重大科技专项（第一批）项目经费绩效目标表", "下达2023-2024年沧州市重大科技专项（第一批）项目经费"),
        ("高新技术企业扶持资金项目绩效目标表", "高新技术企业扶持资金"),
        ("2025年科技三项费用预算绩效目标表", "科技三项经费"),
        (None, "科技三项经费"),
    ],
)
def test_matching_titles_are_not_flagged(title: str | None, name: str) -> None:
    assert "title_name_mismatch" not in codes(review(project(title=title, name=name)))


@pytest.mark.parametrize("code", [None, "", "　"])
def test_missing_project_code(code: str | None) -> None:
    finding = only(review(project(code=code)), "missing_project_code")
    assert "科技三项经费" in finding.message


# ---------------------------------------------------------------------------
# Money.


def test_budget_zero() -> None:
    p = project(budget_wan=D("0"), fiscal_wan=None)
    finding = only(review(p), "budget_missing")
    assert finding.severity == "error"
    assert "0万元" in finding.message


def test_fund_split_not_adding_up() -> None:
    finding = only(review(project(fiscal_wan=D("80"), other_wan=D("10"))), "fund_split_mismatch")
    assert finding.message == "财政资金 80万元 + 其他资金 10万元 = 90万元，与预算数 84万元 不符"


@pytest.mark.parametrize(
    ("fiscal", "other", "carryover"),
    [("74", "10", None), ("84.00", "0", None), ("70", "10", "4"), ("80", None, None), (None, None, None)],
)
def test_fund_split_that_adds_up(fiscal: str | None, other: str | None, carryover: str | None) -> None:
    p = project(
        fiscal_wan=D(fiscal) if fiscal else None,
        other_wan=D(other) if other else None,
        carryover_wan=D(carryover) if carryover else None,
    )
    assert "fund_split_mismatch" not in codes(review(p))


def test_single_fund_part_above_budget() -> None:
    finding = only(review(project(fiscal_wan=D("90"))), "fund_split_mismatch")
    assert "财政资金 90万元 大于预算数 84万元" in finding.message


# ---------------------------------------------------------------------------
# Indicator values.


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (ind("产出指标", "成本指标", "总成本", "控制在预算内", row=20), "value_placeholder"),
        (ind("满意度指标", "服务对象满意度指标", "派遣人员满意度", "文字描述", row=20), "value_placeholder"),
        (ind("产出指标", "数量指标", "聘请专家辅导企业项目申报、评审", "由实际申报项目数决定", row=20), "value_placeholder"),
        (ind("产出指标", "数量指标", "对接企业", "有所提升", row=20), "value_not_measurable"),
        (ind("产出指标", "成本指标", "项目支出", "较高", row=20), "value_not_measurable"),
        (ind("产出指标", "数量指标", "对接企业", "", row=20), "value_missing"),
        (
            ind("产出指标", "成本指标", "控制在预算内", "控制在预算内", description="控制在预算内", row=20),
            "value_repeats_name",
        ),
        (
            ind("效益指标", "经济效益指标", "优化技术创新环境", "优化技术创新环境", description="优化技术创新环境", row=20),
            "value_repeats_name",
        ),
        (ind("产出指标", "时效指标", "资金准时发放", "资金准时发放", row=20), "value_repeats_name"),
    ],
)
def test_value_not_a_target(extra: IndicatorRecord, code: str) -> None:
    findings = review(with_indicator(extra))
    assert codes(findings) == [code]  # one finding per indicator, the most specific one
    assert findings[0].location == Location(FILE, "3", 20)
    assert extra.name in findings[0].message


@pytest.mark.parametrize(
    "extra",
    [
        ind("效益指标", "社会效益指标", "企业创新创业水平是否提升", "是"),
        ind("产出指标", "质量指标", "研发资金投入", "比上年增加"),
        ind("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90百分比"),
        ind("产出指标", "数量指标", "发放次数", "12月"),
        ind("产出指标", "数量指标", "开展技术需求调研", "每月4次"),
    ],
)
def test_acceptable_values_are_not_flagged(extra: IndicatorRecord) -> None:
    assert review(with_indicator(extra)) == ()


def test_cost_with_lower_bound() -> None:
    finding = only(review(with_indicator(ind("产出指标", "成本指标", "项目资金", "≥84万元"))), "cost_not_upper_bound")
    assert "≥84万元" in finding.message


def test_cost_with_upper_bound_is_fine() -> None:
    assert review(with_indicator(ind("产出指标", "成本指标", "项目资金", "≤84万元"))) == ()


def test_cost_above_budget_seed_000_labour() -> None:
    indicators = tuple(indicator for indicator in good_indicators() if indicator.name != "总成本")
    p = project(
        indicators=(*indicators, ind("产出指标", "成本指标", "项目支出", "≤30万元", row=20)),
        budget_wan=D("5.10"),
        fiscal_wan=D("5.10"),
    )
    finding = only(review(p), "cost_exceeds_budget")
    assert finding.message == "成本指标“项目支出”的指标值“≤30万元”高于项目预算数 5.1万元"
    assert finding.location == Location(FILE, "3", 20)


def test_cost_above_budget_names_the_converted_amount() -> None:
    finding = only(review(with_indicator(ind("产出指标", "成本指标", "平均成本", "≤1亿元"))), "cost_exceeds_budget")
    assert finding.message == "成本指标“平均成本”的指标值“≤1亿元”（10000万元）高于项目预算数 84万元"


@pytest.mark.parametrize(
    ("raw", "flagged"),
    [
        ("≤50000元", False),  # 5万元 within 84万元
        ("≤1亿元", True),
        ("≤840000元", False),  # exactly the budget
        ("≤840001元", True),
        ("10万元/家", False),  # a rate cannot be compared with the budget
        ("≤100万/个", False),
    ],
)
def test_cost_above_budget_converts_units(raw: str, flagged: bool) -> None:
    findings = review(with_indicator(ind("产出指标", "成本指标", "平均成本", raw)))
    assert ("cost_exceeds_budget" in codes(findings)) is flagged


def test_misaligned_cost_row_in_level1_is_still_a_cost() -> None:
    extra = ind("14-成本指标", "", "科技项目管理经费", "≥10 万")
    assert "cost_not_upper_bound" in codes(review(with_indicator(extra)))


@pytest.mark.parametrize(
    ("raw", "flagged"),
    [
        ("≥1000万元", True),  # seed 004: 带动企业及其他投入 filed under 时效
        ("≥2次", True),  # seed 000: 招商活动
        ("及时", True),
        ("90%以上", False),  # 资金拨付率: a rate
        ("100百分比", False),
        ("2023年12月31日前", False),
        ("12月底前完成", False),
        ("12月", False),  # a deadline under 时效
        ("≤15个工作日", False),  # a duration
    ],
)
def test_timeliness_value_that_is_not_a_deadline(raw: str, flagged: bool) -> None:
    findings = review(with_indicator(ind("产出指标", "时效指标", "带动企业及其他投入", raw)))
    assert codes(findings) == (["timeliness_not_deadline"] if flagged else [])


# ---------------------------------------------------------------------------
# 一级 categories.


@pytest.mark.parametrize(
    ("drop", "code"),
    [
        ("产出指标", "missing_output_indicators"),
        ("效益指标", "missing_benefit_indicators"),
        ("满意度指标", "missing_satisfaction_indicators"),
    ],
)
def test_missing_level1_category(drop: str, code: str) -> None:
    kept = tuple(indicator for indicator in good_indicators() if indicator.level1 != drop)
    assert codes(review(project(indicators=kept))) == [code]


def test_categories_fall_back_on_level2_and_accept_xiaoguo() -> None:
    indicators = (
        ind("", "数量指标", "项目立项数量", "≥5个"),
        ind("效果指标", "社会效益指标", "培养人才数量", "30 人"),
        ind("", "服务对象满意度指标", "服务对象满意度", "≥90%"),
    )
    assert review(project(indicators=indicators)) == ()


def test_project_without_indicators() -> None:
    findings = review(project(indicators=()))
    assert codes(findings) == ["no_indicators"]
    assert findings[0].severity == "error"


# ---------------------------------------------------------------------------
# Whole projects modelled on the seeds.


def test_seed_000_labour_project() -> None:
    labour = project(
        code="13020225P00813510002A",
        name="劳务费",
        title="4.劳务费绩效目标表",
        budget_wan=D("5.10"),
        fiscal_wan=D("5.10"),
        plan=plan("25", "50", "75", "10"),
        indicators=(
            ind("产出指标", "数量指标", "发放次数", "12月"),
            ind("产出指标", "时效指标", "发放时效", "≥95%"),
            ind("产出指标", "成本指标", "项目支出", "≤30万元"),
            ind("产出指标", "质量指标", "发放质量", "≥95%"),
            ind("效益指标", "经济效益指标", "符合经济发展趋势", "≥95%"),
            ind("效益指标", "社会效益指标", "社会影响力", "≥95%"),
            ind("效益指标", "可持续影响指标", "可持续影响力", "≥95%"),
            ind("满意度指标", "服务对象满意度指标", "派遣人员满意度", "文字描述"),
        ),
    )
    findings = review(labour)
    assert sorted(codes(findings)) == ["cost_exceeds_budget", "plan_not_monotonic", "value_placeholder"]
    score, reasons = quality_score(labour, findings)
    assert score == 100 - 10 - 5 - 4
    assert reasons == (
        "支出计划前高后低（1处）：扣10分",
        "成本上限高于预算数（1处）：扣5分",
        "指标值为占位文字（1处）：扣4分",
    )


def repeated(level1: str, level2: str, text: str) -> IndicatorRecord:
    return ind(level1, level2, text, text, description=text)


def seed_003_project(name: str = "2025科技创新环境建设", code: str = "13091625P00024010001J") -> ProjectRecord:
    return project(
        code=code,
        name=name,
        title=f"1.{name}绩效目标表",
        budget_wan=D("4.00"),
        fiscal_wan=D("4.00"),
        indicators=(
            ind("产出指标", "数量指标", "开展活动次数", "≥2次", description="开展活动次数"),
            ind("产出指标", "质量指标", "开展活动完成率", "100百分比", description="开展活动完成率"),
            ind("产出指标", "时效指标", "按时开展活动", "100百分比", description="按时开展活动"),
            repeated("产出指标", "成本指标", "控制在预算内"),
            repeated("效益指标", "经济效益指标", "优化技术创新环境"),
            repeated("效益指标", "可持续影响指标", "持续推进产学研对接"),
            ind("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90百分比", description="服务对象满意度"),
        ),
    )


def test_seed_003_boilerplate_project() -> None:
    p = seed_003_project()
    findings = review(p)
    assert codes(findings) == ["value_repeats_name"] * 3
    assert quality_score(p, findings) == (88, ("指标值照抄指标名称（3处）：扣12分",))


# ---------------------------------------------------------------------------
# Document review.


def document(*projects: ProjectRecord) -> TargetDocument:
    return TargetDocument(
        file=FILE,
        layout="word-text",
        year=2025,
        unit=UnitRecord(code="306001", name="唐山市路南区科学技术局本级"),
        department=DepartmentTexts(),
        projects=projects,
        findings=(Finding("info", "import_note", Location(FILE), "导入说明"),),
    )


def test_review_document_appends_findings_and_keeps_existing_ones() -> None:
    existing = Finding("warning", "importer_said", Location(FILE, "1", 3), "导入时发现")
    bad = project(code=None, name="劳务费", findings=(existing,))
    doc = document(bad, project(code="X-2", name="招商引资专项业务费", title=None))
    reviewed = review_document(doc)
    assert reviewed.projects[0].findings == (existing, *review_project(bad, file=FILE))
    assert "missing_project_code" in codes(reviewed.projects[0].findings)
    assert reviewed.projects[1].findings == ()
    assert reviewed.findings[0] == doc.findings[0]
    assert doc.projects[0].findings == (existing,)  # the input is untouched


def test_review_document_twice_adds_nothing() -> None:
    doc = document(project(code=None), seed_003_project())
    once = review_document(doc)
    assert review_document(once) == once


def test_document_level_duplicates_and_copied_indicators() -> None:
    first = seed_003_project("2025航天沧州能源环保创新研究院项目", "13091625P00023810002C")
    second = seed_003_project("2025南开大学-沧州渤海新区绿色化工研究院项目", "13091625P00023810002C")
    third = project(name="2025航天沧州能源环保创新研究院项目", code="OTHER")
    reviewed = review_document(document(first, second, third))
    doc_codes = codes(reviewed.findings)
    assert doc_codes == ["import_note", "duplicate_project_code", "duplicate_project_name", "identical_indicators"]
    copied = reviewed.findings[-1]
    assert copied.severity == "info" and "7 项绩效指标完全相同" in copied.message
    assert all(finding.location == Location(FILE) for finding in reviewed.findings)


def test_distinct_projects_give_no_document_findings() -> None:
    reviewed = review_document(document(project(), seed_003_project()))
    assert codes(reviewed.findings) == ["import_note"]


def test_document_without_projects() -> None:
    assert codes(review_document(document()).findings) == ["import_note", "no_projects"]


# ---------------------------------------------------------------------------
# Scores and ranking.


def test_score_caps_each_code() -> None:
    many = tuple(repeated("效益指标", "社会效益指标", f"推动能力提升{n}") for n in range(7))
    p = project(indicators=(*good_indicators(), *many))
    score, reasons = quality_score(p, review(p))
    cap = DEDUCTIONS["value_repeats_name"].cap
    assert score == 100 - cap
    assert reasons == (f"指标值照抄指标名称（7处）：扣{cap}分（已封顶）",)


def test_score_floor_is_zero() -> None:
    p = project(code=None, budget_wan=D(0), fiscal_wan=None, indicators=(), plan=plan("50", "120", "10", "5"),
                title="机器人产业扶持资金项目绩效目标表", name="百川房屋租赁费")
    score, reasons = quality_score(p, review(p))
    assert score == 0
    assert reasons[0] == "没有绩效指标（1处）：扣40分"


def test_score_counts_project_findings_once_and_unknown_codes_by_severity() -> None:
    importer_error = Finding("error", "budget_unreadable", Location(FILE, "3", 2), "预算数无法识别")
    importer_info = Finding("info", "bookmark_noise", Location(FILE, "3", 1), "忽略了书签")
    p = project(findings=(importer_error, importer_info))
    assert quality_score(p, (importer_error,)) == (90, ("其他错误（budget_unreadable）（1处）：扣10分",))


def test_score_of_a_reviewed_project_needs_no_extra_findings() -> None:
    p = project(plan=plan("25", "50", "75", "10"))
    reviewed = review_document(document(p)).projects[0]
    assert quality_score(reviewed, ()) == quality_score(p, review(p)) == (90, ("支出计划前高后低（1处）：扣10分",))


def test_department_ranking_worst_first() -> None:
    clean = project(name="科技三项经费")
    boilerplate = seed_003_project()
    labour = project(name="劳务费", title=None, plan=plan("25", "50", "75", "10"), code=None)
    ranking = department_ranking(document(clean, boilerplate, labour))
    assert [(name, score) for name, score, _ in ranking] == [
        ("劳务费", 85),
        ("2025科技创新环境建设", 88),
        ("科技三项经费", 100),
    ]
    assert ranking[0][2] == ("支出计划前高后低（1处）：扣10分", "缺少项目编码（1处）：扣5分")
    assert department_ranking([clean, labour, boilerplate]) == ranking
