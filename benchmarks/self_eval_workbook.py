"""自评表 workbook speed: 1,000 projects in one workbook (issue: under 10 s).

    python benchmarks/self_eval_workbook.py [--projects 1000] [--indicators 10] [--repeat 1]

Builds a ``SelfEvalForm`` of N projects (8–12 indicators each, about ``--indicators`` on
average, Chinese names, targets, actual values, deviation reasons and goals of realistic
length; one project in 20 a draft, one in 25 with zero budget), then times in the same run:

  * tracker: ``tracker.reports.self_eval_workbook.build`` (XlsxWriter, in memory);
  * openpyxl: the very same layout (``self_eval_workbook.lay_out``: same cells, merges,
    borders, fonts, fills, number formats, widths, heights, print set-up) written cell by
    cell with openpyxl, each style object made once and assigned per cell, saved to memory;

checks both give the same cell values and merged ranges on the summary, the first and the
last project sheet and 数据来源, and prints both times and their ratio.
"""

from __future__ import annotations

import argparse
import gc
import io
import random
import re
import sys
import time
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from tracker.reports import self_eval_workbook  # noqa: E402
from tracker.reports.forms import SelfEvalForm, SelfEvalIndicatorLine, SelfEvalSheet  # noqa: E402
from tracker.reports.official_workbook import _BASE, _FORMULA_START, STYLES  # noqa: E402

D = Decimal
FOUR = D("0.0001")

LEVELS = [
    ("产出指标", "数量指标", ["支持企业数", "举办培训场次", "发放创新券数量", "新增孵化面积", "培训人次"], "≥{n}家"),
    ("产出指标", "质量指标", ["验收合格率", "成果转化率", "设备完好率"], "≥{p}%"),
    ("产出指标", "时效指标", ["资金拨付及时率", "项目按期完成率"], "≥{p}%"),
    ("产出指标", "成本指标", ["单家企业补助成本", "单场培训成本"], "≤{n}万元/家"),
    ("效益指标", "经济效益指标", ["带动企业研发投入", "新增产值"], "≥{n}万元"),
    ("效益指标", "社会效益指标", ["科技服务能力", "创新氛围"], "有所提升"),
    ("效益指标", "可持续影响指标", ["长效机制建设"], "逐步完善"),
    ("满意度指标", "服务对象满意度指标", ["企业满意度", "参训人员满意度"], "≥{p}%"),
]
REASONS = [
    "受市场环境影响，部分企业推迟申报，实际完成值低于年度指标值；下一步将加强政策宣传，提前组织申报。",
    "项目实施过程中采购程序耗时较长，导致进度滞后；今后将提前编制采购计划，压缩审批时间。",
    "指标值设定偏保守，实际完成情况超出预期；明年将结合历史数据科学设定绩效目标。",
]


def make_form(projects: int, indicators: int, seed: int = 7) -> SelfEvalForm:
    rng = random.Random(seed)
    sheets = []
    for number in range(1, projects + 1):
        budget = D(rng.randrange(0, 5_000_000_00)) / 100 if number % 25 else D("0.00")
        spent = (budget * D(rng.randrange(40, 101)) / 100).quantize(D("0.01"))
        count = max(1, indicators + rng.randrange(-2, 3))
        lines = []
        weight = (D(90) / count).quantize(FOUR, ROUND_HALF_UP)
        for position in range(count):
            level1, level2, names, target = LEVELS[position % len(LEVELS)]
            target_raw = target.format(n=rng.randrange(2, 200), p=rng.randrange(85, 100))
            score = (weight * D(rng.randrange(60, 101)) / 100).quantize(FOUR, ROUND_HALF_UP)
            lines.append(SelfEvalIndicatorLine(
                level1, level2, f"{rng.choice(names)}（{position + 1}）", target_raw,
                target_raw.lstrip("≥≤") if score == weight else f"{rng.randrange(1, 200)}",
                weight, score, "" if score == weight else rng.choice(REASONS),
                kind="reverse" if target_raw.startswith("≤") else
                "qualitative" if not target_raw[0] in "≥≤" else "quantitative"))
        rate = None if budget == 0 else (spent * 100 / budget).quantize(FOUR, ROUND_HALF_UP)
        execution = D(0) if budget == 0 else (spent / budget * 10).quantize(FOUR, ROUND_HALF_UP)
        total = sum((line.score for line in lines), execution)
        grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
        sheets.append(SelfEvalSheet(
            project_id=number, evaluation_id=10_000 + number, evaluation_number=1, frozen=number % 20 != 0,
            project_code=f"1301{number:06d}", project_name=f"{rng.choice(['科技创新', '产业孵化', '人才培养', '平台建设'])}"
                                                             f"专项资金项目第{number}号",
            supervising_department="某市科学技术局", implementing_unit=f"某市科技服务中心第{number % 7 + 1}分中心",
            year=2025, initial_budget=budget, annual_budget=budget, spent=spent, fiscal_funds=budget,
            carryover=D("0.00"), other_funds=D("0.00"), execution_weight=D(10), execution_rate=rate,
            execution_score=execution,
            goal="通过实施本项目，支持科技型中小企业开展研发活动，提升区域创新能力，全年支持企业不少于50家，"
                 "举办培训不少于4场，服务对象满意度不低于90%。",
            goal_actual="全年共支持企业46家，举办培训5场，服务对象满意度93%，部分验收工作顺延至次年一季度完成。",
            indicators=tuple(lines), total=total, grade=grade,
            warnings=("结余率超过20%",) if budget and spent / budget < D("0.8") else (),
            frozen_at=datetime(2026, 1, 15, 10, 30) if number % 20 else None, frozen_by="zhang",
            ledger_closed_through=date(2025, 12, 31),
            sources=("数据截至：2025-12-31", f"计入的台账批次：#{number % 9 + 1}", "台账截止日：2025-12-31")))
    return SelfEvalForm(unit_name="某市科学技术局", year=2025, sheets=tuple(sheets),
                        generated_on=date(2026, 2, 1),
                        sources=tuple(f"台账批次 #{n}：国库集中支付，payments-{n}.xlsx，2025-01-01至2025-12-31"
                                      for n in range(1, 10)))


# --- the same layout, cell by cell with openpyxl ------------------------------------------------


THIN = Side(style="thin")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


class OpenpyxlStyles:
    """openpyxl style objects for each (style name, changes), made once."""

    def __init__(self) -> None:
        self._made: dict[Any, tuple[Font, Alignment, Border | None, PatternFill | None, str]] = {}

    def __call__(self, name: str, **changes: Any) -> tuple[Font, Alignment, Border | None, PatternFill | None, str]:
        changes = {k: v for k, v in changes.items() if v is not None}
        key = (name, tuple(sorted(changes.items())))
        made = self._made.get(key)
        if made is None:
            p = {**_BASE, **STYLES[name], **changes}
            colour = p.get("font_color")
            font = Font(name=p["font_name"], size=p["font_size"], bold=p.get("bold", False),
                        color=None if colour is None else "FF" + colour.lstrip("#"))
            alignment = Alignment(horizontal=p.get("align"), vertical="center", wrap_text=p.get("text_wrap"))
            fill = PatternFill("solid", fgColor="FF" + p["bg_color"].lstrip("#")) if "bg_color" in p else None
            made = self._made[key] = (font, alignment, BORDER if p.get("border") else None, fill,
                                      p.get("num_format", "General"))
        return made


class OpenpyxlSheet:
    """``tracker.reports.official_workbook.Sheet``'s interface, written with openpyxl."""

    def __init__(self, workbook: openpyxl.Workbook, styles: OpenpyxlStyles, name: str,
                 widths: Sequence[float]) -> None:
        self.ws = workbook.create_sheet(name)
        self.styles = styles
        self.widths = tuple(widths)
        self.last_col = len(self.widths) - 1
        for column, width in enumerate(self.widths, start=1):
            self.ws.column_dimensions[get_column_letter(column)].width = width + 0.71

    def _style(self, cell: Any, style: str, changes: dict[str, Any]) -> None:
        font, alignment, border, fill, number_format = self.styles(style, **changes)
        cell.font, cell.alignment, cell.number_format = font, alignment, number_format
        if border is not None:
            cell.border = border
        if fill is not None:
            cell.fill = fill
        if changes.get("quote_prefix"):
            cell.quotePrefix = True

    def put(self, row: int, col: int, value: Any, style: str, **changes: Any) -> None:
        cell = self.ws.cell(row=row + 1, column=col + 1)
        if isinstance(value, str) and value:
            if value.startswith(_FORMULA_START):
                changes["quote_prefix"] = True
            cell.value = value
            cell.data_type = "s"  # never a formula
        elif isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
            cell.value = float(value)
        self._style(cell, style, changes)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int, value: Any,
              style: str, **changes: Any) -> None:
        if first_row == last_row and first_col == last_col:
            self.put(first_row, first_col, value, style, **changes)
            return
        self.put(first_row, first_col, value, style, **changes)
        # openpyxl draws the top-left cell's border round the whole merged range
        self.ws.merge_cells(start_row=first_row + 1, start_column=first_col + 1,
                            end_row=last_row + 1, end_column=last_col + 1)

    def width(self, first_col: int, last_col: int | None = None) -> float:
        return sum(self.widths[first_col:(first_col if last_col is None else last_col) + 1])

    def height(self, row: int, points: float) -> None:
        self.ws.row_dimensions[row + 1].height = points

    def print_setup(self, repeat_rows: tuple[int, int], *, freeze_below: int | None = None) -> None:
        ws = self.ws
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_title_rows = f"{repeat_rows[0] + 1}:{repeat_rows[1] + 1}"
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_options.horizontalCentered = True
        ws.oddFooter.left.text, ws.oddFooter.center.text = "&A", "第 &P 页，共 &N 页"
        if freeze_below is not None:
            ws.freeze_panes = f"A{freeze_below + 1}"


def build_with_openpyxl(form: SelfEvalForm) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    styles = OpenpyxlStyles()
    self_eval_workbook.lay_out(form, lambda name, widths: OpenpyxlSheet(workbook, styles, name, widths))  # type: ignore[arg-type, return-value]
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


# --- run ------------------------------------------------------------------------------------------


def timed(function: Any, form: SelfEvalForm, repeat: int) -> tuple[float, bytes]:
    best, data = float("inf"), b""
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        data = function(form)
        best = min(best, time.perf_counter() - start)
    return best, data


def same_content(first: bytes, second: bytes, positions: list[int]) -> bool:
    """Same sheet names, and the same cell values and merged ranges on the sheets at
    ``positions`` (read lazily; both writers store sheet n as xl/worksheets/sheet{n}.xml)."""
    books = [openpyxl.load_workbook(io.BytesIO(data), read_only=True) for data in (first, second)]
    if books[0].sheetnames != books[1].sheetnames:
        return False
    for position in positions:
        a, b = (book.worksheets[position] for book in books)
        if [row for row in a.iter_rows(values_only=True) if any(v is not None for v in row)] != \
                [row for row in b.iter_rows(values_only=True) if any(v is not None for v in row)]:
            return False
        merges = [set(re.findall(r'<mergeCell ref="([A-Z0-9:]+)"',
                                 zipfile.ZipFile(io.BytesIO(data)).read(
                                     f"xl/worksheets/sheet{position + 1}.xml").decode()))
                  for data in (first, second)]
        if merges[0] != merges[1] or not merges[0]:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--indicators", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs each")
    args = parser.parse_args()
    form = make_form(args.projects, args.indicators)
    cells = sum(len(s.indicators) for s in form.sheets)
    print(f"自评表工作簿：{len(form.sheets)} 个项目，{cells} 个指标（平均 {cells / len(form.sheets):.1f}）")
    ours, data = timed(self_eval_workbook.build, form, args.repeat)
    print(f"  XlsxWriter（tracker）: {ours:6.2f} s  {len(data) / 1e6:.1f} MB")
    theirs, other = timed(build_with_openpyxl, form, args.repeat)
    print(f"  openpyxl 逐格写入:     {theirs:6.2f} s  {len(other) / 1e6:.1f} MB")
    print(f"  比值 openpyxl / XlsxWriter: {theirs / ours:.2f}×；目标 < 10 s：{'达到' if ours < 10 else '未达到'}")
    names = openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames
    positions = [0, 1, len(names) - 2, len(names) - 1]
    same = same_content(data, other, positions)
    print(f"  同样的单元格与合并区域（{'、'.join(names[p] for p in positions)}）：{'是' if same else '否'}")


if __name__ == "__main__":
    main()
