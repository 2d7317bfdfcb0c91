"""The two Word reports, drafted from the form records for the clerk to edit:

- ``monitoring_report`` (``narrative.monitoring``): 部门1-N月预算绩效运行监控报告 from a
  ``MonitoringRoundForm`` (一、总体情况; 二、执行进度滞后项目及原因分析; 三、可能无法完成绩效目标的项目;
  四、下一步工作打算);
- ``self_eval_report`` (``narrative.self_eval``): 部门整体支出绩效自评报告 from a ``SelfEvalForm``
  with the sections of DOMAIN §3 (一、部门（单位）概况 … 五、自评结果应用及公开).

Both return the bytes of a .docx written by ``narrative.docx_writer`` (A4, real heading styles with
East-Asian fonts, numbered tables and figures).  ``narrative.phrases`` holds what both say the same
way: money in 万元 with two decimals, rates in % with two decimals, scores with two decimals
(ROUND_HALF_UP, from ``Decimal``).

Nothing is invented: the explanations (原因说明, 纠偏措施, 偏差原因分析及改进措施, goals, the
unit's 职能) are quoted from the records, and where one is missing the text says so with a
highlighted marker “【待补充：…】” for the clerk to fill in.  The sentences around the figures
are fixed drafting phrases chosen by the data (who is behind plan, what is missing).

Deterministic: the same record gives the same bytes (with ``charts=False``; PNG rendering
may differ in the last bit).  The only date in the text and in the document properties is
the record's ``generated_on``; the zip entries carry a fixed timestamp.

Charts: drawn in one kaleido session per document; if that fails (no Chromium, a crash), the
document is still produced, with a sentence saying the charts could not be drawn, and a
warning is logged.  ``charts=False`` leaves them out silently.
"""

from __future__ import annotations

from tracker.reports.narrative.docx_writer import CHARTS_FAILED, TEXT_WIDTH_CM
from tracker.reports.narrative.monitoring import (
    MONITORING_SECTIONS,
    draft_monitoring_report,
    monitoring_report,
)
from tracker.reports.narrative.phrases import Draft
from tracker.reports.narrative.self_eval import SELF_EVAL_SECTIONS, draft_self_eval_report, self_eval_report

__all__ = ["CHARTS_FAILED", "Draft", "MONITORING_SECTIONS", "SELF_EVAL_SECTIONS", "TEXT_WIDTH_CM",
           "draft_monitoring_report", "draft_self_eval_report", "monitoring_report", "self_eval_report"]
