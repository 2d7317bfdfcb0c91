"""Blocks (paragraphs and tables) → project drafts: the one interpreter of tabular layouts.

A project table starts at a row with a ``项目名称`` cell.  Above it (back to the previous
project) sit its heading (``1.2025年…绩效目标表``) and the unit row (``306001…本级``).  From
the start row on, cells are read as label → value pairs (the value is the next cell), the
``资金支出计划`` row gives checkpoints whose values are the cells below them, and the row with
一级/二级/三级指标 starts the indicator rows, which run until a non-blank paragraph, a title, a
unit row or another project's labels.

Indicator rows: a blank 一级/二级 cell continues the one above; numbering (``11-``) is
stripped.  A row whose 一级 cell is not a 一级 (``14-成本指标`` or a 三级 name slid left) is
misaligned: its non-blank cells are read in order (二级 when it looks like one, then 三级, then
指标值), under the current 一级, and a finding records the row as printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tracker.importers.target_records import Finding, Location, Severity
from tracker.importers.target_values import parse_target_value
from tracker.importers.targets.blocks import Block, Paragraph, Row, Table
from tracker.importers.targets.drafts import IndicatorDraft, ProjectDraft
from tracker.importers.targets.labels import (
    UNIT_LINE,
    UNIT_NOTE,
    checkpoint_month,
    field_of,
    indicator_columns,
    is_plan_label,
    is_title,
    label_of,
    looks_like_level1,
    looks_like_level2,
    project_title,
    split_level_number,
    squeeze,
)

Item = tuple[int, Paragraph | Row]  # (index of the block it came from, the paragraph or row)

# Fields whose label in a row means "a new project's head", so indicator rows have ended.
_HEAD_FIELDS = frozenset({
    "code", "name", "supervising_department", "implementing_unit", "budget", "fiscal", "purpose_block",
})
_COLUMN_ORDER = ("name", "description", "value", "basis", "weight")


def flatten(blocks: Sequence[Block]) -> list[Item]:
    items: list[Item] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Table):
            items.extend((index, row) for row in block.rows)
        else:
            items.append((index, block))
    return items


def is_project_start(item: Paragraph | Row) -> bool:
    return isinstance(item, Row) and any(label_of(cell) == "项目名称" for cell in item.cells)


def read_table_projects(blocks: Sequence[Block], *, file: str) -> list[ProjectDraft]:
    items = flatten(blocks)
    starts = [index for index, (_, item) in enumerate(items) if is_project_start(item)]
    drafts: list[ProjectDraft] = []
    floor = 0
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(items)
        start_row = items[start][1]
        draft = ProjectDraft(ordinal=number + 1, row=start_row.row)
        reader = _ProjectReader(draft, file)
        for row in _preamble(items, floor, start, draft):
            reader.head_row(row, None)
        floor = reader.read(items, start, end)
        drafts.append(draft)
    return drafts


def _preamble(items: list[Item], floor: int, start: int, draft: ProjectDraft) -> list[Row]:
    """Fill title and unit line from the items above ``start``; return head rows found there."""
    head_rows: list[Row] = []
    for index in range(start - 1, floor - 1, -1):
        item = items[index][1]
        texts = [item.text] if isinstance(item, Paragraph) else list(item.filled)
        if not texts:
            continue
        if len(texts) == 1 and is_title(texts[0]):
            draft.title = project_title(texts[0])
            break
        unit = next((text for text in texts if UNIT_LINE.match(squeeze(text))), None)
        if unit is not None and draft.unit_line is None:
            draft.unit_line = unit.strip()
        if all(UNIT_LINE.match(squeeze(text)) or UNIT_NOTE.match(squeeze(text)) for text in texts):
            continue  # "306001…本级 | 单位：万元" above the table
        if isinstance(item, Row) and any(field_of(cell) in _HEAD_FIELDS for cell in item.cells):
            head_rows.insert(0, item)
            continue
        if isinstance(item, Row):
            break  # a row of something else (the previous project's table): stop looking
    return head_rows


class _ProjectReader:
    def __init__(self, draft: ProjectDraft, file: str) -> None:
        self.draft = draft
        self.file = file
        self.purpose_pending = False
        self.level1 = ""
        self.level2 = ""

    def location(self, row: int) -> Location:
        return Location(file=self.file, table=str(self.draft.ordinal), row=row)

    def finding(self, severity: Severity, code: str, row: int, message: str) -> None:
        self.draft.findings.append(Finding(severity, code, self.location(row), message))

    # -- the whole table ----------------------------------------------------------------

    def read(self, items: list[Item], start: int, end: int) -> int:
        """Read items[start:end]; return the index after the last item that belonged to the project."""
        columns: dict[str, int] | None = None
        used = start
        index = start
        while index < end:
            _, item = items[index]
            if columns is None:
                if isinstance(item, Row):
                    columns = indicator_columns(item.cells)
                    if columns is not None:
                        self.draft.has_indicator_header = True
                    else:
                        following = self._next_row(items, index, end)
                        if self.head_row(item, following):
                            index += 1  # the plan's values row was read with its header
                    used = index
                index += 1
                continue
            if isinstance(item, Paragraph):
                if item.text.strip():
                    break
                index += 1
                continue
            if self._ends_indicators(item):
                break
            if indicator_columns(item.cells) is None:  # a header repeated after a page break is skipped
                self.indicator_row(item, columns)
            used = index
            index += 1
        return used + 1

    @staticmethod
    def _next_row(items: list[Item], index: int, end: int) -> Row | None:
        if index + 1 < end and isinstance(items[index + 1][1], Row):
            return items[index + 1][1]  # type: ignore[return-value]
        return None

    # -- head rows -----------------------------------------------------------------------

    def head_row(self, row: Row, following: Row | None) -> bool:
        """Read labels and values; True when ``following`` was consumed as the plan's values."""
        cells = row.cells
        plan_at = next((index for index, cell in enumerate(cells) if is_plan_label(cell)), None)
        if plan_at is not None:
            return self._plan(row, plan_at, following)
        if self.purpose_pending and not cells[0].strip() and len(row.filled) == 1:
            text = row.filled[0]
            if field_of(text) is None:
                self.draft.set_field("purpose", text, row.row)
                self.purpose_pending = False
                return False
        for index, cell in enumerate(cells):
            key = field_of(cell)
            if key is None or key == "other_field":
                continue
            if key == "purpose_block":
                self.purpose_pending = "purpose" not in self.draft.fields
                continue
            rest = cells[index + 1:]
            if key == "goal":
                value = "\n".join(_distinct(cell for cell in rest if cell.strip()))
            else:
                following_cell = rest[0] if rest else ""
                is_label = field_of(following_cell) is not None or is_plan_label(following_cell)
                value = "" if is_label else following_cell
            self.draft.set_field(key, value, row.row)
        return False

    def _plan(self, row: Row, plan_at: int, following: Row | None) -> bool:
        cells = row.cells
        self.draft.plan_header = cells[plan_at]
        checkpoints = [
            (index, cell) for index, cell in enumerate(cells)
            if index > plan_at and checkpoint_month(cell) is not None
        ]
        self.draft.plan_row = row.row
        if not checkpoints:
            printed = " | ".join(row.filled)
            self.finding("warning", "plan_unreadable", row.row,
                         f"资金支出计划没有可识别的时间节点（3月底…12月底 或 第一…第四季度）：“{printed}”")
            return False
        self.draft.plan_labels = [cell for _, cell in checkpoints]
        consumed = following is not None and not any(
            checkpoint_month(cell) is not None or field_of(cell) is not None or is_plan_label(cell)
            for cell in following.cells
        ) and indicator_columns(following.cells) is None
        if consumed and following is not None:
            self.draft.plan_values = [
                following.cells[index] if index < len(following.cells) else "" for index, _ in checkpoints
            ]
            self.draft.plan_row = following.row
        else:
            self.draft.plan_values = ["" for _ in checkpoints]
        return consumed

    # -- indicator rows ------------------------------------------------------------------

    @staticmethod
    def _ends_indicators(row: Row) -> bool:
        filled = row.filled
        if not filled:
            return False
        if any(field_of(cell) in _HEAD_FIELDS for cell in filled):
            return True
        if any(UNIT_NOTE.match(squeeze(cell)) for cell in filled):
            return True
        if len(filled) <= 2 and any(UNIT_LINE.match(squeeze(cell)) for cell in filled):
            return True
        return len(filled) == 1 and is_title(filled[0])

    def indicator_row(self, row: Row, columns: dict[str, int]) -> None:
        width = max(columns.values()) + 1
        cells = [cell.strip() for cell in row.cells] + [""] * max(0, width - len(row.cells))
        if not any(cells):
            return

        def cell(key: str) -> str:
            return cells[columns[key]] if key in columns else ""

        level1_cell, level2_cell = cell("level1"), cell("level2")
        values = {key: cell(key) for key in _COLUMN_ORDER}
        if self._misaligned(cells, columns):
            realigned = self._realign(row, cells, columns)
            if realigned is None:
                return
            level1_cell, level2_cell, values = "", realigned[0], realigned[1]
        if level1_cell:
            self.level1 = split_level_number(level1_cell)[1]
            if not level2_cell:
                self.level2 = ""
        if level2_cell:
            self.level2 = split_level_number(level2_cell)[1]
        if not values["name"] and not values["value"]:
            return  # a level without an indicator (e.g. 生态效益指标 left empty)
        if not self.level1:
            self.finding("warning", "level1_missing", row.row, f"指标“{values['name']}”没有一级指标")
        if not self.level2:
            self.finding("warning", "level2_missing", row.row, f"指标“{values['name']}”没有二级指标")
        self.draft.indicators.append(IndicatorDraft(
            level1=self.level1,
            level2=self.level2,
            name=values["name"],
            description=values["description"] or None,
            value=values["value"],
            basis=values["basis"] or None,
            weight=values["weight"] or None,
            row=row.row,
        ))

    @staticmethod
    def _misaligned(cells: list[str], columns: dict[str, int]) -> bool:
        level1_cell = cells[columns["level1"]] if "level1" in columns else ""
        if level1_cell and not looks_like_level1(level1_cell):
            return True
        value_at = columns["value"]
        filled = [(index, text) for index, text in enumerate(cells) if text]
        if cells[value_at] or len(filled) < 2 or filled[-1][0] > value_at:
            return False
        level2_cell = cells[columns["level2"]] if "level2" in columns else ""
        shifted = bool(level2_cell) and not looks_like_level2(level2_cell)
        return shifted and parse_target_value(filled[-1][1]).kind != "qualitative"

    def _realign(self, row: Row, cells: list[str], columns: dict[str, int]) -> tuple[str, dict[str, str]] | None:
        texts = [text for text in cells if text]
        printed = " | ".join(row.cells)
        level2 = ""
        if len(texts) >= 3 and looks_like_level2(texts[0]):
            level2 = texts.pop(0)
        if len(texts) < 2:
            self.finding("warning", "indicator_row_unreadable", row.row,
                         f"指标行错位且无法判断各列：“{printed}”，未导入此行，请核对原表")
            return None
        order = sorted((key for key in _COLUMN_ORDER if key in columns), key=lambda key: columns[key])
        values = dict.fromkeys(_COLUMN_ORDER, "")
        values["name"], values["value"] = texts[0], texts[-1]
        middle = texts[1:-1]
        if middle:
            target = "description" if "description" in order else "name"
            values[target] = "".join([values[target], *middle]) if target == "name" else "".join(middle)
        shown_level2 = split_level_number(level2)[1] if level2 else self.level2
        self.finding(
            "warning", "indicator_row_misaligned", row.row,
            f"指标行错位：原表为“{printed}”，按一级指标“{self.level1}”、二级指标“{shown_level2}”、"
            f"三级指标“{values['name']}”、指标值“{values['value']}”读取，请核对原表",
        )
        return level2, values


def _distinct(cells: Iterable[str]) -> list[str]:
    """Cells without repeats (a merged cell exported once per column it spans)."""
    seen: list[str] = []
    for cell in cells:
        text = cell.strip()
        if text and text not in seen:
            seen.append(text)
    return seen
