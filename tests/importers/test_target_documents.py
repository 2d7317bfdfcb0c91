"""Golden tests: the five seed documents read to what a person reads in them.

Every expected value below was transcribed by hand from the seed text in ``seeds/`` (not
produced by running the importer): codes, names, budgets, fund splits, plans and indicator rows
(一级, 二级, 三级, 指标值 as printed).  Seed 003 has 12 projects: five are checked in full, all
twelve for code, name, budget and plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

import pytest

from tests.importers.target_fixtures import SEEDS
from tracker.importers.target_records import Location, ProjectRecord, TargetDocument
from tracker.importers.targets import read_target_document

Indicator = tuple[str, str, str, str]  # 一级, 二级, 三级, 指标值 as printed


@cache
def seed(prefix: str) -> TargetDocument:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return read_target_document(path.name, path.read_bytes())


@dataclass(frozen=True)
class Expected:
    code: str | None
    name: str
    budget: str
    fiscal: str | None
    other: str | None
    plan: tuple[tuple[str, str], ...]  # (checkpoint, cumulative percent)
    indicators: tuple[Indicator, ...] | None = None  # None: not checked row by row


MONTHS_2025 = ("2025-03-31", "2025-06-30", "2025-10-31", "2025-12-31")
QUARTERS_2021 = ("2021-03-31", "2021-06-30", "2021-09-30", "2021-12-31")
QUARTERS_2023 = ("2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31")


def plan(checkpoints: tuple[str, ...], *values: str) -> tuple[tuple[str, str], ...]:
    return tuple(zip(checkpoints, values, strict=True))


P, Q, T, C = "产出指标", "质量指标", "时效指标", "成本指标"
E, S, SUS = "效益指标", "社会效益指标", "可持续影响指标"
SAT, SAT2 = "满意度指标", "服务对象满意度指标"

EXPECTED_000 = (
    Expected("13020225P00892710002C", "2025年省级技术创新引导专项资金预算", "300.00", "300.00", None,
             plan(MONTHS_2025, "25", "50", "75", "100"), (
                 (P, "数量指标", "年内认定的科技项目", "≥1个"),
                 (P, Q, "培训或辅导企业覆盖率", "≥80%"),
                 (P, T, "资金支出完成率", "≥100%"),
                 (P, C, "总成本", "≤300万元"),
                 (E, "经济效益指标", "规上工业企业研发经费支出总额", "≥23000万元"),
                 (E, S, "科技成果转化数", "≥5项"),
                 (SAT, SAT2, "群众满意度", "≥90%"),
             )),
    Expected("13020225P00893010002U", "2025年支持市县科技创新和科学普及专项资金预算", "70.62", "70.62", None,
             plan(MONTHS_2025, "25", "50", "75", "100"), (
                 (P, "数量指标", "年内科技特派员工作站全覆盖", "≥6个"),
                 (P, Q, "年内认定的科技项目完成率", "≥90%"),
                 (P, T, "完成时限", "≥1年"),
                 (P, C, "总成本", "≤70.62万元"),
                 (E, "经济效益指标", "企业研发投入后补助", "≤30.62万元"),
                 (E, S, "科技成果转化数", "≥5项"),
                 (SAT, SAT2, "服务对象满意", "≥90%"),
             )),
    Expected("13020225P008712100029", "科技三项经费", "84.00", "84.00", None,
             plan(MONTHS_2025, "25", "50", "75", "100"), (
                 (P, "数量指标", "项目立项数量", "≥5个"),
                 (P, Q, "产品新技术开发数与计划数", "≥3个"),
                 (P, C, "项目资金", "≥84万元"),
                 (P, T, "项目按时完成率", "≥80%"),
                 (E, "经济效益指标", "可持续创新或后续研发能力", "≥60%"),
                 (E, S, "新技术应用率", "≥60%"),
                 (E, SUS, "年内认定科技项目通过情况", "≥90%"),
                 (SAT, SAT2, "服务对象满意", "≥90%"),
             )),
    Expected("13020225P00813510002A", "劳务费", "5.10", "5.10", None,
             plan(MONTHS_2025, "25", "50", "75", "10"), (
                 (P, "数量指标", "发放次数", "12月"),
                 (P, T, "发放时效", "≥95%"),
                 (P, C, "项目支出", "≤30万元"),
                 (P, Q, "发放质量", "≥95%"),
                 (E, "经济效益指标", "符合经济发展趋势", "≥95%"),
                 (E, S, "社会影响力", "≥95%"),
                 (E, SUS, "可持续影响力", "≥95%"),
                 (SAT, SAT2, "派遣人员满意度", "文字描述"),
             )),
    Expected("13020225P00723110003C", "招商引资专项业务费", "10.00", "10.00", None,
             plan(MONTHS_2025, "25", "50", "75", "10"), (
                 (P, "数量指标", "对接企业", "≥6家"),
                 (P, Q, "招商线索", "≥2条"),
                 (P, T, "招商活动", "≥2次"),
                 (P, C, "企业支出", "≥20万元"),
                 (E, "经济效益指标", "符合发展趋势", "≥90%"),
                 (E, S, "社会影响力", "≥90%"),
                 (E, SUS, "可持续创新或后续研发能力", "≥90%"),
                 (SAT, SAT2, "服务对象满意", "≥90%"),
             )),
)

EFFECT = "效果指标"  # 001 and 002 print the older word for 效益指标; kept as printed
EXPECTED_001 = (
    Expected("604002B16DX0021", "技术创新引导专项计划", "7000", "7000", None,
             plan(QUARTERS_2021, "0.00", "50.00", "80.00", "100.00"), (
                 (P, "数量指标", "企业获省科学技术奖项目 18 项", "18 项"),
                 (P, Q, "项目完成率", "100%"),
                 (P, T, "预算资金支出时限", "2021 年 12 月底"),
                 (P, C, "完成全部预算资金支出", "7000 万元"),
                 (EFFECT, S, "科技 奖励培养人才", "30 人"),
                 (SAT, SAT2, "服务对象满意度", "群众满意度达到 95%以上"),
             )),
    Expected("604002B17DX0001", "应用基础研究和人才培养计划", "10000", "10000", None,
             plan(QUARTERS_2021, "0.00", "20.00", "80.00", "100.00"), (
                 (P, "数量指标", "完成省引智项目配套奖励数量", "3个"),
                 (P, Q, "项目完成率", "100%"),
                 (P, T, "项目完成时限", "2021 年 12 月底"),
                 (P, C, "年度预算支出10000万元", "10000 万元"),
                 (EFFECT, S, "建设外国专家公寓，优化人才环境", "1处"),
                 (SAT, SAT2, "服务群众满意度", "95%以上"),
             )),
    Expected("604002B17DX0003", "科技创新创业平台计划", "1178", "1178", None,
             plan(QUARTERS_2021, "10.00", "30.00", "60.00", "100.00"), (
                 (P, "数量指标", "开展创新创业活动 50 场次", "50 场"),
                 (P, Q, "项目完成率", "100%"),
                 (P, T, "项目完成时限", "2021 年 12 月底"),
                 (P, C, "完成预算支出", "1178 万元"),
                 (EFFECT, S, "培养人才", "30 人"),
                 (SAT, SAT2, "服务群众满意度", "95%以上"),
             )),
)

EXPECTED_002 = (
    Expected(None, "高新技术企业扶持资金", "1280", "1280", None,
             plan(QUARTERS_2023, "0", "0", "0", "100"), (
                 (P, "数量指标", "补助高企数量", "≥60家"),
                 (P, "数量指标", "扶持科技型企业的数量", "≥60家"),
                 (P, C, "下发资金标准", "10万元/家"),
                 (P, Q, "符合高企补助的条件的企业资金补助率", "=100%"),
                 (P, T, "补助资金发放时间", "2023年12月31日前"),
                 (EFFECT, S, "企业创新创业水平是否提升", "是"),
                 (SAT, SAT2, "高新技术企业满意度", "≥90%"),
             )),
    Expected(None, "百川房屋租赁费", "973", "973", None,
             plan(QUARTERS_2023, "0", "0", "0", "100"), (
                 (P, "数量指标", "扶持机器人孵化中心的数量", "≥1个"),
                 (P, Q, "研发资金投入", "比上年增加"),
                 (P, C, "预算资金执行率", "≥95%"),
                 (P, T, "扶持资金发放时间", "2023年12月31日前"),
                 (EFFECT, S, "高企科研基础能力", "提高"),
                 (EFFECT, S, "企业创新创业水平是否提升", "是"),
                 (SAT, SAT2, "被服务企业满意度", "≥90%"),
             )),
    Expected(None, "创投基金注资", "2000", "2000", None,
             plan(QUARTERS_2023, "0", "0", "0", "100"), (
                 (P, "数量指标", "扶持科技型企业", "≥1个"),
                 (P, Q, "企业销售收入", "增长"),
                 (P, C, "预算资金执行率", "≥90%"),
                 (P, T, "创投基金发放时间", "2023年12月31日前"),
                 (EFFECT, S, "带动就业水平", "是"),
                 (SAT, SAT2, "被服务企业满意度", "≥90%"),
             )),
)

# Seed 003 prints its plan in 万元 under a （%） header; percent = amount ÷ 预算数 × 100.
BACK_LOADED = plan(MONTHS_2025, "0", "0", "0", "100")
PCT = "100百分比"
EXPECTED_003 = (
    Expected("13091625P00024010001J", "2025科技创新环境建设", "4.00", "4.00", None,
             plan(MONTHS_2025, "25", "50", "75", "100"), (
                 (P, "数量指标", "开展活动次数", "≥2次"),
                 (P, Q, "开展活动完成率", PCT),
                 (P, T, "按时开展活动", PCT),
                 (P, C, "控制在预算内", "控制在预算内"),
                 (E, "经济效益指标", "优化技术创新环境", "优化技术创新环境"),
                 (E, SUS, "持续推进产学研对接", "持续推进产学研对接"),
                 (SAT, SAT2, "服务对象满意度", "≥90百分比"),
             )),
    Expected("13091625P00024210001X", "2025科学技术普及", "4.00", "4.00", None,
             plan(MONTHS_2025, "25", "50", "75", "100"), (
                 (P, "数量指标", "组织开展活动次数", "≥2次"),
                 (P, Q, "参与企业数量", "≥10家"),
                 (P, T, "活动完成时限", "活动完成时限"),
                 (P, C, "控制在预算内", "控制在预算内"),
                 (E, "经济效益指标", "提高开发区企业技术创新意识", "提高开发区企业技术创新意识"),
                 (E, SUS, "持续影响开发区企业技术创新意识", "持续影响开发区企业技术创新意识"),
                 (SAT, SAT2, "企业满意度", "≥90百分比"),
             )),
    Expected("13091625P000241100018", "2025智慧园区与循环经济建设", "15.00", "15.00", None,
             plan(MONTHS_2025, "13.33", "33.33", "66.67", "100")),
    Expected("13091625P000028100012", "2025综合事务管理", "5.00", "5.00", None,
             plan(MONTHS_2025, "20", "40", "60", "100")),
    Expected("13091625P00023810002C", "2025航天沧州能源环保创新研究院项目", "300.00", "300.00", None,
             BACK_LOADED, (
                 (P, "数量指标", "工作开展率", PCT),
                 (P, Q, "资金到位率", PCT),
                 (P, T, "资金准时发放", "资金准时发放"),
                 (P, C, "控制在预算内", "控制在预算内"),
                 (E, "经济效益指标", "科技创新水平提升", "科技创新水平提升"),
                 (E, SUS, "项目持续发挥作用", "项目持续发挥作用"),
                 (SAT, SAT2, "服务对象满意度", "≥90百分比"),
             )),
    Expected("13091625P000236100021", "2025南开大学-沧州渤海新区绿色化工研究院项目", "500.00", "500.00", None,
             BACK_LOADED),
    Expected("13091625P00002710001C", "2025支持科技创新扶持政策项目", "20.00", "20.00", None, BACK_LOADED),
    Expected("13091625P00023910001E", "2025智慧平台一体化项目", "30.00", "30.00", None,
             plan(MONTHS_2025, "33.33", "50", "66.67", "100")),
    Expected("13091625P000252100015", "提前下达2025年技术创新引导专项资金", "10.00", "10.00", None,
             BACK_LOADED, (
                 (P, "数量指标", "拨付企业数量", "1家"),
                 (P, Q, "完成资金拨付", "完成资金拨付"),
                 (P, T, "按时完成资金拨付", "按时完成资金拨付"),
                 (P, C, "控制在预算内完成拨付", "控制在预算内完成拨付"),
                 (E, SUS, "推动开发区科技创新能力提升", "推动开发区科技创新能力提升"),
                 (SAT, SAT2, "服务对象满意度较高", "≥90百分比"),
             )),
    Expected("13091625P00025110001F", "提前下达2025年支持市县科技创新和科学普及专项资金", "34.70", "34.70", None,
             BACK_LOADED),
    Expected("13091624P00024510001G", "下达2023-2024年沧州市重大科技专项（第一批）项目经费", "100.00", "100.00",
             None, BACK_LOADED),
    Expected("13091624P000246100016", "下达沧州市科技计划项目经费446.6", "446.60", "446.60", None,
             BACK_LOADED, (
                 (P, "数量指标", "拨付企业数量", "8家"),
                 (P, Q, "完成资金拨付工作", "完成资金拨付工作"),
                 (P, T, "按时完成资金拨付工作", "按时完成资金拨付工作"),
                 # The 指标值 cell differs from the other three cells of this row ("资金" missing).
                 (P, C, "控制在预算内完成资金拨付工作", "控制在预算内完成拨付工作"),
                 (E, "经济效益指标", "推动开发区科技创新能力提升", "推动开发区科技创新能力提升"),
                 (E, SUS, "推动开发区科技创新能力提升", "推动开发区科技创新能力提升"),
                 (SAT, SAT2, "企业满意度较高", "≥90百分比"),
             )),
)

ECO, SOC, ECOL, SUST, SERV = "经济效益", "社会效益", "生态效益", "可持续影响", "服务对象满意度"
GEQ_98 = r"$\geq 98\%$"
IMPACT = "认知度、影响力，提高良好履职基础，服务社会发展能力"
GREEN = "通过科技项目管理工作的实施，在节能环保、绿色低碳方面有一定积极影响"
LASTING = "通过对科技项目的管理，实现了经济、社会、环保、安全等方面的可持续影响。"
EXPECTED_004 = (
    Expected(None, "创新驱动、科技发展业务经费", "10", None, None, (), (
        (P, "数量指标", "对全市科技型企业进行 R&D 归集申报培训", "4 次"),
        (P, "数量指标", "对全市科技型企业开展培训", "6 次"),
        (P, "数量指标", "聘请专家辅导企业项目申报、评审", "由实际申报项目数决定"),
        (P, Q, "辅导、评审覆盖率", GEQ_98),
        (P, Q, "培训参与度", GEQ_98),
        (P, Q, "培训合格率", GEQ_98),
        (P, T, "资金拨付率", "90%以上"),
        (P, C, "科技项目管理经费", "10 万"),  # printed as "14-成本指标" in the 一级 column
        (E, ECO, "对企业经济效益的影响", "有所提升"),
        (E, SOC, IMPACT, "有所提升"),
        (E, ECOL, GREEN, "达到预期目标"),
        (E, SUST, LASTING, "达到预期目标"),
        (SAT, SERV, "服务企业满意度", GEQ_98),
    )),
    Expected(None, "中央引导地方科技发展资金", "988", None, None, (), (
        (P, "数量指标", "辐射企业数量", "≥12家"),
        (P, "数量指标", "其中：科技成果转化项目", "≥1项"),
        (P, "数量指标", "其中：科技创新基地建设项目", "≥2项"),
        (P, "数量指标", "其中：区域创新体系建设项目", "≥9项"),
        (P, "数量指标", "实施项目数量", "≥12项"),
        (P, Q, "购置科研仪器设备利用率", "较高"),
        (P, Q, "科研违规行为发生率", "≤3%"),
        (P, Q, "任务书（合同书）按期签订率", "100%"),
        (P, Q, "项目按期启动率", "≥90%"),
        (P, Q, "项目单位科研管理规范性", "规范"),
        (P, T, "带动企业及其他投入", "≥1000万元"),
        (P, T, "资金到位及时率", "≥90%"),
        (P, C, "科技成果转化项目平均成本", "≤100万/个"),
        (P, C, "科技创新基地建设项目平均成本", "≤200万/个"),
        (P, C, "区域创新体系建设项目平均成本", "≤100万/个"),  # printed in the 一级 column
        (E, ECO, "产出成果对项目经济效益贡献度", "较为明显"),
        (E, ECO, "产业类项目与区域创新需求契合度", "紧密契合"),
        (E, ECO, "各类创新主体自主投入积极性", "持续提升"),
        (E, ECO, "制约产业发展的共性关键技术", "稳步突破"),
        (E, SOC, "本土科研人才引培力度", "持续加强"),
        (E, SOC, "各类企业创新水平", "进一步提升"),
        (E, ECOL, "促进企业创新发展、降低能耗、减轻碳排放，不断增强企业效益", "达到预期目标"),
        (E, SUST, "区域创新环境", "持续优化"),
        (SAT, SERV, "科研人员满意度", "≥95%"),
    )),
    Expected(None, "专项业务经费", "5", None, None, (), (
        (P, "数量指标", "举办宣讲、培训班次数", "4次"),
        (P, "数量指标", "开展技术需求、融资需求工作调研、摸底、沟通协调", "每月4次"),
        (P, Q, "服务企业覆盖率", "≥98%"),
        (P, Q, "培训参与度", "≥98%"),
        (P, T, "资金拨付率", "90%以上"),
        (P, C, "申请科技项目管理工作经费", "5万元"),
        (E, ECO, "对企业经济效益的影响", "有所提升"),
        (E, SOC, IMPACT, "有所提升"),
        (E, ECOL, GREEN, "达到预期目标"),
        (E, SUST, LASTING, "达到预期目标"),
        (SAT, SERV, "服务企业满意度", "≥98%"),
    )),
)

ALL_EXPECTED = {"000": EXPECTED_000, "001": EXPECTED_001, "002": EXPECTED_002, "003": EXPECTED_003,
                "004": EXPECTED_004}


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def check_project(project: ProjectRecord, expected: Expected) -> None:
    assert project.code == expected.code
    assert project.name == expected.name
    assert project.budget_wan == Decimal(expected.budget)
    assert project.fiscal_wan == _decimal(expected.fiscal)
    assert project.other_wan == _decimal(expected.other)
    assert [(point.checkpoint.isoformat(), point.cumulative_pct) for point in project.plan] == [
        (checkpoint, Decimal(pct)) for checkpoint, pct in expected.plan
    ]
    if expected.indicators is not None:
        assert [
            (indicator.level1, indicator.level2, indicator.name, indicator.value.raw)
            for indicator in project.indicators
        ] == list(expected.indicators)


# ---------------------------------------------------------------------------
# Counts and every project.


def test_project_counts_add_up_to_26() -> None:
    counts = {prefix: len(seed(prefix).projects) for prefix in ALL_EXPECTED}
    assert counts == {"000": 5, "001": 3, "002": 3, "003": 12, "004": 3}
    assert sum(counts.values()) == 26


@pytest.mark.parametrize(
    ("prefix", "index"),
    [(prefix, index) for prefix, projects in ALL_EXPECTED.items() for index in range(len(projects))],
)
def test_every_seed_project(prefix: str, index: int) -> None:
    check_project(seed(prefix).projects[index], ALL_EXPECTED[prefix][index])


def test_money_is_decimal_everywhere() -> None:
    for prefix in ALL_EXPECTED:
        for project in seed(prefix).projects:
            assert isinstance(project.budget_wan, Decimal)
            assert all(isinstance(point.cumulative_pct, Decimal) for point in project.plan)


# ---------------------------------------------------------------------------
# Document-level facts.


@pytest.mark.parametrize(
    ("prefix", "layout", "year", "code", "name", "region"),
    [
        ("000", "word-text", 2025, "306001", "唐山市路南区科学技术局", "唐山市"),
        ("001", "pdf-text", 2021, "604002", "唐山市科学技术局", "唐山市"),
        ("002", "word-text", 2023, None, "高新区科技局", None),
        ("003", "word-text", 2025, "306001", "沧州临港经济技术开发区循环经济促进中心", None),
        ("004", "markdown", 2025, "205", "石嘴山市科学技术局", "石嘴山市"),
    ],
)
def test_document_year_layout_and_unit(
    prefix: str, layout: str, year: int, code: str | None, name: str, region: str | None
) -> None:
    doc = seed(prefix)
    assert (doc.layout, doc.year) == (layout, year)
    assert (doc.unit.code, doc.unit.name, doc.unit.region) == (code, name, region)
    assert doc.findings == ()


def test_department_texts_000() -> None:
    department = seed("000").department
    assert department.overall_goal is not None and department.sub_goals is not None
    assert department.overall_goal.startswith("以习近平新时代中国特色社会主义思想和党的二十大精神为指导")
    assert department.overall_goal.endswith("科技创新指标任务如期完成。")
    assert department.sub_goals.split("\n")[0].startswith("1、科技创新项目支撑。")
    assert department.sub_goals.split("\n")[-1] == "3、科技政务管理。负责系统综合业务管理和机关综合事务管理"
    assert department.safeguards is not None
    assert department.safeguards.split("\n")[0] == "1、抓创新主体培育，促进科技型中小企业快速发展"
    assert department.safeguards.split("\n")[-1] == "6、抓作风建设，努力确保任务落实"


def test_department_texts_001_unwrap_pdf_lines() -> None:
    department = seed("001").department
    assert department.overall_goal is not None
    lines = department.overall_goal.split("\n")
    assert lines[0] == "1.按照有关法律、法规和规章制度要求，确保全局所有行政行为主体、职权、事实、程序合法率100%；"
    assert len(lines) == 5 and lines[4].endswith("按时调查处理率达到100%。")
    assert department.sub_goals is not None and department.sub_goals.startswith("1.完成创新主体培育工作\n绩效目标：")
    assert department.safeguards is not None and department.safeguards.startswith("1.加强组织领导。")
    assert "预算项目绩效表" not in department.safeguards


def test_department_texts_002_003_004() -> None:
    assert (seed("002").department.safeguards or "").startswith("（一）完善制度建设。")
    assert (seed("002").department.overall_goal or "").startswith("高新区科技局致力于为全区提供科技创新项目支撑")
    sub_goals_003 = seed("003").department.sub_goals or ""
    assert sub_goals_003.startswith("一、科学技术普及专项\n绩效目标：开展科学技术普及工作。")
    assert sub_goals_003.endswith("八、航天沧州能源环保创新研究院研发及运营项目\n"
                                  "绩效目标：开展航天沧州能源环保创新研究院研发及运营项目。\n绩效指标：工作开展率")
    department_004 = seed("004").department
    assert (department_004.overall_goal, department_004.sub_goals, department_004.safeguards) == (None, None, None)


def test_year_argument_wins_over_the_printed_year() -> None:
    path = next(SEEDS.glob("000_*.txt"))
    doc = read_target_document(path.name, path.read_bytes(), year=2024)
    assert doc.year == 2024
    assert doc.projects[0].plan[-1].checkpoint == date(2024, 12, 31)
    assert [finding.code for finding in doc.findings] == ["year_differs"]


# ---------------------------------------------------------------------------
# Seed 000: the Word table flattened to text.


def test_000_fields_title_and_locations() -> None:
    project = seed("000").projects[0]
    file = next(SEEDS.glob("000_*.txt")).name
    assert project.title == "2025年省级技术创新引导专项资金预算绩效目标表"
    assert project.implementing_unit == "306001唐山市路南区科学技术局本级"
    assert project.supervising_department is None
    assert project.purpose == "确保财政专项资金支出的“产出”与资金使用项目单位的主要任务完成情况一致。"
    assert project.goal == "1.确保财政专项资金支出的“产出”与资金使用项目单位的主要任务完成情况一致。"
    assert project.location == Location(file, "1", 36)  # the 项目编码/项目名称 row
    first = project.indicators[0]
    assert (first.description, first.basis, first.weight) == ("年内认定的科技项目完成个数", "文件依据", None)
    assert first.location == Location(file, "1", 76)
    assert seed("000").projects[4].location == Location(file, "5", 434)
    assert project.findings == ()


@pytest.mark.parametrize("index", [3, 4])
def test_000_twelve_month_10_percent_is_kept_not_fixed(index: int) -> None:
    project = seed("000").projects[index]
    assert project.plan[-1].cumulative_pct == Decimal(10)
    assert project.plan[-1].raw == "10%"
    assert project.plan_raw == "25% | 50% | 75% | 10%"


def test_000_values_are_parsed_with_level2_and_year() -> None:
    labour = seed("000").projects[3]
    months = labour.indicators[0]  # 数量指标 "12月": twelve monthly payments, not a deadline
    assert (months.value.kind, months.value.number, months.value.unit) == ("quantitative", Decimal(12), "月")
    cost = seed("000").projects[0].indicators[3]
    assert (cost.value.kind, cost.value.op, cost.value.number) == ("reverse", "<=", Decimal(300))
    assert cost.value.unit == "万元"


# ---------------------------------------------------------------------------
# Seed 001: PDF text.


def test_001_budget_read_from_the_sentence_and_purpose_kept() -> None:
    project = seed("001").projects[0]
    assert project.purpose is not None
    assert project.purpose.startswith("预算数 7000 万元，其中财政资金 7000 万元。主要用于高新技术企业奖励、")
    assert project.purpose.endswith("企业获国家和省科学技术奖励项目配套奖励。")
    assert project.goal is not None and project.goal.startswith("奖励企业实施科技创新，促进产业技术创新发展。")
    assert project.plan_raw == "0.00 | 50.00 | 80.00 | 100.00"
    assert project.title is None  # "预算项目绩效表" names no project
    assert [project.implementing_unit for project in seed("001").projects] == ["604002 唐山市科学技术局"] * 3


def test_001_descriptions_and_basis_rebuilt_from_wrapped_lines() -> None:
    first, second, _ = seed("001").projects
    assert [indicator.description for indicator in first.indicators] == [
        "获奖数", "项目完成率", "年度预算资金支出时间", "预算资金支出数", "培养科技创新人才数量", "服务对象满意度",
    ]
    assert [indicator.description for indicator in second.indicators] == [
        "完成省引智项目数量", "项目完成率", "项目完成时限", "年度预算支出10000 万元",
        "建设外国专家公寓，优化人才环境", "服务群众满意度",
    ]
    assert {indicator.basis for project in seed("001").projects for indicator in project.indicators} == {
        "根据年度工作安排"
    }


def test_001_deadline_uses_the_document_year() -> None:
    deadline = seed("001").projects[0].indicators[2].value
    assert (deadline.kind, deadline.deadline) == ("deadline", date(2021, 12, 31))


def test_001_findings_say_what_was_rebuilt_and_what_is_uncertain() -> None:
    file = next(SEEDS.glob("001_*.txt")).name
    projects = seed("001").projects
    for project in projects:
        assert ("info", "indicators_from_pdf_text") in {(f.severity, f.code) for f in project.findings}
    uncertain = [finding for project in projects for finding in project.findings
                 if finding.code == "indicator_row_uncertain"]
    # Only the 成本 row of project 2 is ambiguous: "年度预算支 / 出10000万元 / 年度预算支出 / 10000 万元 / 10000 万元".
    assert [finding.location for finding in uncertain] == [Location(file, "2", 304)]
    assert "年度预算支出10000万元" in uncertain[0].message


# ---------------------------------------------------------------------------
# Seed 002: no project codes, a title that names another project.


def test_002_codes_titles_and_goals() -> None:
    projects = seed("002").projects
    assert [project.code for project in projects] == [None, None, None]
    assert projects[1].title == "机器人产业扶持资金项目绩效目标表"  # kept: the reviewer compares title and name
    assert projects[1].name == "百川房屋租赁费"
    assert projects[0].goal == ("目标1：发挥财政资金引导作用，推动高新技术企业创新能力不断增强。\n"
                                "目标2：加强科技园区建设，推动高新技术企业发展。")
    assert projects[0].plan_raw == "0 | 0 | 0 | 100%"
    assert projects[0].findings == ()


def test_002_values_of_every_kind() -> None:
    indicators = seed("002").projects[0].indicators
    rate = indicators[2].value
    assert (rate.number, rate.unit) == (Decimal(10), "万元/家")
    assert (indicators[4].value.kind, indicators[4].value.deadline) == ("deadline", date(2023, 12, 31))
    assert indicators[5].value.kind == "qualitative"


# ---------------------------------------------------------------------------
# Seed 003: plans in 万元.


def test_003_plan_in_amounts_is_converted_and_flagged() -> None:
    project = seed("003").projects[0]
    assert [point.raw for point in project.plan] == ["1.00", "2.00", "3.00", "4.00"]
    findings = [finding for finding in project.findings if finding.code == "plan_in_amounts"]
    assert len(findings) == 1 and findings[0].severity == "info"
    assert "1.00 | 2.00 | 3.00 | 4.00" in findings[0].message
    assert project.plan_raw == "1.00 | 2.00 | 3.00 | 4.00"


def test_003_blank_checkpoints_before_a_filled_one_read_as_zero() -> None:
    project = seed("003").projects[4]
    assert [point.raw for point in project.plan] == ["", "", "", "300.00"]
    codes = {(finding.severity, finding.code) for finding in project.findings}
    assert codes == {("info", "plan_blank_read_as_zero"), ("info", "plan_in_amounts")}


def test_003_budget_of_100_reads_the_same_either_way() -> None:
    project = seed("003").projects[10]
    assert project.budget_wan == Decimal(100)
    assert [point.cumulative_pct for point in project.plan] == [0, 0, 0, 100]
    assert "plan_in_amounts" not in {finding.code for finding in project.findings}


# ---------------------------------------------------------------------------
# Seed 004: Markdown export.


def test_004_head_fields() -> None:
    projects = seed("004").projects
    assert [project.supervising_department for project in projects] == ["205-石嘴山市科学技术局"] * 3
    assert [project.implementing_unit for project in projects] == [
        "205001-石嘴山市科学技术局", "205001-石嘴山市科学技术局", "205002-石嘴山市科技创新服务中心",
    ]
    assert projects[0].goal is not None and projects[0].goal.startswith("深入学习习近平总书记关于科技创新的重要论述")
    assert [project.title for project in projects] == [None, None, None]  # a form name, not a title
    assert projects[0].purpose is None and projects[0].plan_raw is None


def test_004_no_plan_is_a_finding() -> None:
    for project in seed("004").projects:
        assert project.plan == ()
        assert ("info", "plan_missing") in {(finding.severity, finding.code) for finding in project.findings}


def test_004_misaligned_rows_are_placed_and_flagged() -> None:
    file = next(SEEDS.glob("004_*.txt")).name
    misaligned = [
        (finding.severity, finding.location, finding.message)
        for project in seed("004").projects for finding in project.findings
        if finding.code == "indicator_row_misaligned"
    ]
    assert [(severity, location) for severity, location, _ in misaligned] == [
        ("warning", Location(file, "1", 34)),
        ("warning", Location(file, "2", 65)),
        ("warning", Location(file, "3", 92)),
    ]
    assert "14-成本指标 | 科技项目管理经费 | 10 万" in misaligned[0][2]
    assert "区域创新体系建设项目平均成本 |  | ≤100万/个" in misaligned[1][2]
    assert "二级指标“成本指标”" in misaligned[0][2]


def test_004_latex_value_is_kept_raw_and_parsed() -> None:
    project = seed("004").projects[0]
    value = project.indicators[3].value
    assert value.raw == r"$\geq 98\%$"
    assert (value.op, value.number, value.unit) == (">=", Decimal(98), "%")
    latex = [f for f in project.findings if f.code == "target_latex"]
    assert [(f.severity, f.location) for f in latex][0] == ("info", project.indicators[3].location)
    assert latex[0].message == r"指标值原文“$\geq 98\%$”为 LaTeX 排版，显示为“≥98%”"
    assert len(latex) == sum("$" in i.value.raw for i in project.indicators)
