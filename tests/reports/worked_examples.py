"""Worked examples of the official forms, computed by hand (the numbers in the comments are the
arithmetic the tests check the workbooks against).

自评 (weights 产出 50 / 效益 30 / 满意度 10 / 执行率 10):

项目 A “科技创新券补助”, 效益 empty → its 30 points move to the others in proportion:
产出 50 × 90/60 = 75 (three indicators, 25 each), 满意度 10 × 90/60 = 15.
  1 支持企业数 ≥50家, actual 40家 (positive):          40/50 × 25            = 20.00
  2 验收质量 qualitative, 部分达成 (band [60%, 80%)):  top − 0.01 = 0.8×25−0.01 = 19.99
  3 单家企业补助成本 ≤2万元/家, actual 2.5 (reverse):   (1 − 0.5/2) × 25      = 18.75
  4 企业满意度 ≥90%, actual 95%:                        full                  = 15.00
  执行率 900,000 ÷ 1,200,000 = 75% → 0.75 × 10                                =  7.50
  总分 81.24 → 良
项目 B “政策调研课题”, 全年预算数 0: 执行率 — , 执行率得分 0.
  产出 50 full; 效益 qualitative 达成 30 full; 满意度 85% of ≥90%: 85/90 × 10 = 9.4444
  总分 89.4444 → 89.44 → 良
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tracker.reports.forms import (
    MonitoringIndicatorLine,
    MonitoringRoundForm,
    MonitoringSheet,
    SelfEvalForm,
    SelfEvalIndicatorLine,
    SelfEvalSheet,
)

D = Decimal
FORMULA_TEXT = '=HYPERLINK("http://evil.example","点击")'

PROJECT_A = SelfEvalSheet(
    project_id=1, evaluation_id=11, evaluation_number=2, frozen=True,
    project_code="130100-001", project_name="科技创新券补助",
    supervising_department="某市科学技术局", implementing_unit="某市科技创新服务中心", year=2025,
    initial_budget=D("1000000.00"), annual_budget=D("1200000.00"), spent=D("900000.00"),
    fiscal_funds=D("1000000.00"), carryover=D("200000.00"), other_funds=D("0.00"),
    execution_weight=D("10"), execution_rate=D("75.0000"), execution_score=D("7.5000"),
    goal="支持科技型中小企业开展研发活动，发放创新券不少于50家。",
    goal_actual="共支持40家企业，部分验收工作顺延至次年。",
    indicators=(
        SelfEvalIndicatorLine("产出指标", "数量指标", "支持企业数", "≥50家", "40家", D("25.0000"),
                              D("20.0000"), "申报企业少于预期；明年提前宣传。"),
        SelfEvalIndicatorLine("产出指标", "质量指标", "验收质量", "达到预期目标",
                              "部分达成年度指标并具有一定效果", D("25.0000"), D("19.9900"),
                              FORMULA_TEXT, kind="qualitative"),
        SelfEvalIndicatorLine("产出指标", "成本指标", "单家企业补助成本", "≤2万元/家", "2.5万元/家",
                              D("25.0000"), D("18.7500"), "+补助标准上调", kind="reverse"),
        SelfEvalIndicatorLine("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "95%",
                              D("15.0000"), D("15.0000"), ""),
    ),
    total=D("81.2400"), grade="良",
    frozen_at=datetime(2026, 1, 15, 10, 30), frozen_by="zhang",
    ledger_closed_through=date(2025, 12, 31),
    sources=("台账批次：#3、#4", "台账截止日：2025-12-31"),
)

PROJECT_B = SelfEvalSheet(
    project_id=2, evaluation_id=12, evaluation_number=1, frozen=True,
    project_code=None, project_name="政策调研课题",
    supervising_department="某市科学技术局", implementing_unit="某市科学技术局", year=2025,
    initial_budget=D("0.00"), annual_budget=D("0.00"), spent=D("0.00"),
    fiscal_funds=None, carryover=None, other_funds=None,
    execution_weight=D("10"), execution_rate=None, execution_score=D("0.0000"),
    goal="完成年度政策调研。", goal_actual="完成调研报告2篇。",
    indicators=(
        SelfEvalIndicatorLine("产出指标", "数量指标", "调研报告数", "≥2篇", "2篇", D("50.0000"),
                              D("50.0000"), ""),
        SelfEvalIndicatorLine("效益指标", "社会效益指标", "政策建议采纳", "有所提升", "达成年度指标",
                              D("30.0000"), D("30.0000"), "", kind="qualitative"),
        SelfEvalIndicatorLine("满意度指标", "服务对象满意度指标", "委托部门满意度", "≥90%", "85%",
                              D("10.0000"), D("9.4444"), "个别报告提交较晚。"),
    ),
    total=D("89.4444"), grade="良",
    frozen_at=datetime(2026, 1, 16, 9, 0), frozen_by="li",
    ledger_closed_through=date(2025, 12, 31),
    warnings=("全年预算数为0，执行率得分为0",),
)

SELF_EVAL_FORM = SelfEvalForm(
    unit_name="某市科学技术局", year=2025, sheets=(PROJECT_A, PROJECT_B),
    generated_on=date(2026, 2, 1),
    sources=("自评表：2 个项目使用已提交（冻结）的自评，0 个使用草稿，1 个没有自评",
             "台账批次 #3：国库集中支付，payments.xlsx，2025-01-01至2025-06-30"),
    missing=("数字化平台运维",),
)


# --- 绩效监控情况表, 1-6月 of 2025 ------------------------------------------------------------
# 项目 A: 年初 1,000,000 (全部财政拨款), 全年 1,200,000, 1-6月 450,000 → 37.5%; 计划 50% →
# v = 75 → 黄灯; forecast 1,080,000.  Explanation: 经费保障 + 其他, 有可能.
# 项目 B: 全年预算 0: 执行率 —, grey; no indicators reported; red overall without explanation.

MONITORING_A = MonitoringSheet(
    project_id=1, project_code="130100-001", project_name="科技创新券补助",
    supervising_department="某市科学技术局", implementing_unit="某市科技创新服务中心",
    year=2025, month=6, cutoff=date(2025, 6, 30),
    initial_budget=D("1000000.00"), fiscal_funds=D("1000000.00"), other_funds=D("0.00"),
    annual_budget=D("1200000.00"), spent=D("450000.00"), execution_rate=D("37.5000"),
    forecast=D("1080000.00"), planned_pct=D("50.0000"), money_status="yellow",
    overall_status="yellow", ledger_covered=True, frozen=True,
    goal="支持科技型中小企业开展研发活动。", goal_progress="",
    indicators=(
        MonitoringIndicatorLine("产出指标", "数量指标", "支持企业数", "≥50家", "18家", "45家", "yellow"),
        MonitoringIndicatorLine("产出指标", "数量指标", "举办培训场次", "≥4次", "2次", "4次", "green"),
        MonitoringIndicatorLine("产出指标", "成本指标", "单家企业补助成本", "≤2万元/家", "1.8万元/家",
                                "2万元/家", "green"),
        MonitoringIndicatorLine("效益指标", "社会效益指标", "企业研发投入", "有所提升", "部分达成目标并具有一定效果",
                                "达成目标", "yellow"),
        MonitoringIndicatorLine("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "", "", "grey"),
    ),
    causes=("funding", "other"), likelihood="possible",
    reason="上半年资金拨付较晚，申报集中在下半年。", corrective_actions=FORMULA_TEXT,
    frozen_on=date(2025, 6, 30), ledger_closed_through=date(2025, 6, 30),
    explanation_as_of=date(2025, 6, 30),
)

MONITORING_B = MonitoringSheet(
    project_id=2, project_code=None, project_name="政策调研课题",
    supervising_department="某市科学技术局", implementing_unit="某市科学技术局",
    year=2025, month=6, cutoff=date(2025, 6, 30),
    initial_budget=D("0.00"), fiscal_funds=None, other_funds=None,
    annual_budget=D("0.00"), spent=D("0.00"), execution_rate=None,
    forecast=D("0.00"), planned_pct=D("50.0000"), money_status="grey",
    overall_status="red", ledger_covered=False, frozen=False,
    goal="完成年度政策调研。", goal_progress="",
    indicators=(
        MonitoringIndicatorLine("产出指标", "数量指标", "调研报告数", "≥2篇", "0篇", "", "red"),
    ),
    explanation_missing=True, ledger_closed_through=date(2025, 5, 31),
)

MONITORING_FORM = MonitoringRoundForm(
    unit_name="某市科学技术局", year=2025, month=6, cutoff=date(2025, 6, 30),
    sheets=(MONITORING_A, MONITORING_B), generated_on=date(2025, 7, 10),
    sources=("监控轮次：2025年1-6月，截止日 2025-06-30",
             "台账批次 #3：国库集中支付，payments.xlsx，2025-01-01至2025-06-30"),
)
