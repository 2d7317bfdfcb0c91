"""Flow text (the text a PDF extractor gives, seed 001) → project drafts.

There are no cells, only lines.  A project starts at ``项目编码 … 项目名称 …``; its head is
found by labels that may themselves be wrapped (``项目资金主要`` / ``用途``): the purpose text
(where the budget sits in a sentence, ``预算数 7000 万元，其中财政资金 7000 万元``), the plan
(``第一季度 第二季度 …`` over ``0.00 50.00 …``), the goal, then the indicator header, whose
words (joined across lines) give the columns.

Indicator lines are read as a stream of level words (``产出指标``, ``数量指标`` — also when
wrapped, ``可持续影响指`` / ``标``, or glued to the next cell, ``社会效益指标培养人才``) and
fragments.  The fragments under one 二级 are one or more rows; when every row ends with the
same lines (the 指标值确定依据, ``根据年度工`` / ``作安排``), that ending splits them into rows.
Each row's fragments are cut into cells by ``flow_rows.split_cells``.  What cannot be read
becomes a finding with the printed text; uncertain readings are kept and flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracker.importers.target_records import Finding, Location, Severity
from tracker.importers.targets.drafts import IndicatorDraft, ProjectDraft
from tracker.importers.targets.flow_rows import (
    Fragment,
    full_width,
    join_lines,
    split_cells,
)
from tracker.importers.targets.labels import (
    BOOKMARK,
    COLUMN_LABELS,
    LEVEL1_NAMES,
    LEVEL2_NAMES,
    PLAN_LABEL_PREFIXES,
    UNIT_LINE,
    checkpoint_month,
    is_title,
    project_title,
    squeeze,
)
from tracker.importers.targets.pdf import PAGE_FOOTER

PROJECT_START = re.compile(r"^项目编码\s*(?P<code>[0-9A-Za-z_\-]*)\s*(?:项目名称\s*(?P<name>.*))?$")
_NAME_LINE = re.compile(r"^项目名称\s*(?P<name>.+)$")
_PURPOSE_LABELS = ("项目资金主要用途", "资金主要用途", "资金用途", "主要用途")
_GOAL_LABELS = ("绩效目标", "年度绩效目标", "年度总体绩效目标", "年度总体目标")
_MONEY = r"(?P<number>\d[\d,]*(?:\.\d+)?)(?P<unit>万元|万|元)"
_BUDGET = re.compile(rf"(?:预算数|预算资金|年度预算)(?:为|共)?{_MONEY}")
_FISCAL = re.compile(rf"财政(?:资金|拨款)(?:为)?{_MONEY}")
_OTHER = re.compile(rf"其他资金(?:为)?{_MONEY}")
_LEVEL_NAMES = sorted(set(LEVEL1_NAMES) | set(LEVEL2_NAMES), key=len, reverse=True)
_ONLY_LEVEL1 = frozenset(LEVEL1_NAMES) - frozenset(LEVEL2_NAMES)
_ONLY_LEVEL2 = frozenset(LEVEL2_NAMES) - frozenset(LEVEL1_NAMES)
_HEADER_WORDS = sorted(COLUMN_LABELS, key=len, reverse=True)
# A line that starts a new item: "2.", "三、", "（一）", "目标2", or a short label "绩效目标：".
_ITEM_START = re.compile(
    r"^(?:\d+[.、．]|[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|目标\d|[\u4e00-\u9fff]{2,6}[：:])"
)


@dataclass(frozen=True)
class FlowLine:
    text: str
    row: int


def flow_lines(text: str) -> list[FlowLine]:
    """Non-blank lines with their line numbers, without page footers and export noise."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = BOOKMARK.sub("", raw).strip()
        if line and not PAGE_FOOTER.match(line):
            lines.append(FlowLine(line, number))
    return lines


def project_starts(lines: Sequence[FlowLine]) -> list[int]:
    return [index for index, line in enumerate(lines) if PROJECT_START.match(line.text)]


def join_paragraph_lines(lines: Sequence[str]) -> str:
    """Wrapped lines of running text → text; a numbered item (``2.``, ``三、``) starts a new line."""
    paragraphs: list[list[str]] = []
    for line in lines:
        if not paragraphs or _ITEM_START.match(line.strip()):
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    return "\n".join(join_lines(parts) for parts in paragraphs)


@dataclass
class _Segment:
    level1: str
    level2: str
    row: int
    fragments: list[Fragment] = field(default_factory=list)


@dataclass
class _FlowProject:
    draft: ProjectDraft
    kinds: list[str]
    segments: list[_Segment]


def read_flow_projects(lines: Sequence[FlowLine], *, file: str) -> list[ProjectDraft]:
    starts = project_starts(lines)
    projects: list[_FlowProject] = []
    floor = 0
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(lines)
        draft = ProjectDraft(ordinal=number + 1, row=lines[start].row)
        _preamble(lines[floor:start], draft)
        if draft.unit_line is None and projects:
            # "604002 唐山市科学技术局" heads the whole section, not only the first table
            draft.unit_line = projects[-1].draft.unit_line
        project, floor = _read_project(lines, start, end, draft)
        projects.append(project)
    wrap_width = full_width([fragment for project in projects
                             for segment in project.segments for fragment in segment.fragments])
    for project in projects:
        _read_rows(project, wrap_width, file)
    return [project.draft for project in projects]


def _preamble(lines: Sequence[FlowLine], draft: ProjectDraft) -> None:
    for line in reversed(lines):
        if UNIT_LINE.match(squeeze(line.text)):
            draft.unit_line = draft.unit_line or line.text
            continue
        if is_title(line.text):
            draft.title = project_title(line.text)
        break


def _read_project(lines: Sequence[FlowLine], start: int, end: int, draft: ProjectDraft) -> tuple[_FlowProject, int]:
    """Read the head and collect indicator lines; return the project and where its lines end."""
    match = PROJECT_START.match(lines[start].text)
    assert match is not None
    draft.set_field("code", match["code"] or "", lines[start].row)
    draft.set_field("name", (match["name"] or "").strip(), lines[start].row)
    section = "head"
    purpose: list[str] = []
    goal: list[str] = []
    header: list[str] = []
    indicator_lines: list[FlowLine] = []
    index = start + 1
    stop = end
    while index < end:
        line = lines[index]
        text, core = line.text, squeeze(line.text)
        if section == "indicators":
            if is_title(text) or UNIT_LINE.match(core):
                stop = index
                break
            indicator_lines.append(line)
            index += 1
            continue
        following = squeeze(lines[index + 1].text) if index + 1 < end else ""
        if section == "head" and (name := _NAME_LINE.match(text)) and not draft.fields.get("name"):
            draft.set_field("name", name["name"].strip(), line.row)
        elif core in _PURPOSE_LABELS or (core + following) in _PURPOSE_LABELS:
            section = "purpose"
            if core not in _PURPOSE_LABELS:
                index += 1  # the label was wrapped: "项目资金主要" / "用途"
        elif core.startswith(PLAN_LABEL_PREFIXES):
            section = "plan"
            draft.plan_header = text
            draft.plan_row = line.row
        elif core in _GOAL_LABELS:
            section = "goal"
        elif core.startswith("一级指标"):
            section = "header"
            header.append(core)
            draft.has_indicator_header = True
        elif section == "purpose":
            purpose.append(text)
        elif section == "plan":
            _plan_line(draft, line)
        elif section == "goal":
            goal.append(text)
        elif section == "header":
            if _level_at(lines, index)[0] is not None:
                section = "indicators"
                continue
            header.append(core)
        index += 1
    purpose_text = join_paragraph_lines(purpose)
    if purpose_text:
        draft.set_field("purpose", purpose_text, draft.row)
        compact = squeeze(purpose_text)
        for key, pattern in (("budget", _BUDGET), ("fiscal", _FISCAL), ("other", _OTHER)):
            if money := pattern.search(compact):
                draft.set_field(key, money["number"] + money["unit"], draft.row)
    if goal:
        draft.set_field("goal", join_paragraph_lines(goal), draft.row)
    kinds = _header_kinds("".join(header))
    segments = _segments(indicator_lines)
    return _FlowProject(draft, kinds, segments), stop


def _plan_line(draft: ProjectDraft, line: FlowLine) -> None:
    tokens = line.text.split()
    if not draft.plan_labels:
        if len(tokens) >= 2 and all(checkpoint_month(token) is not None for token in tokens):
            draft.plan_labels = tokens
        else:
            draft.plan_header = f"{draft.plan_header or ''}{line.text}"
        return
    if not draft.plan_values:
        values = tokens[: len(draft.plan_labels)]
        draft.plan_values = values + [""] * (len(draft.plan_labels) - len(values))
        draft.plan_row = line.row


def _header_kinds(header: str) -> list[str]:
    """Columns named by the header words, in order: 一级指标二级指标三级指标绩效指标描述指标值…"""
    kinds: list[str] = []
    position = 0
    while position < len(header):
        word = next((word for word in _HEADER_WORDS if header.startswith(word, position)), None)
        if word is None:
            position += 1
            continue
        if COLUMN_LABELS[word] not in kinds:
            kinds.append(COLUMN_LABELS[word])
        position += len(word)
    return kinds


def _level_at(lines: Sequence[FlowLine], index: int) -> tuple[str | None, str, int]:
    """(level word, text after it, lines used) when lines[index] starts with a level word."""
    text = lines[index].text.strip()
    for name in _LEVEL_NAMES:
        if text.startswith(name):
            return name, text[len(name):].strip(), 1
    if index + 1 < len(lines):
        joined = text + lines[index + 1].text.strip()
        for name in _LEVEL_NAMES:
            if len(text) < len(name) and name.startswith(text) and joined.startswith(name):
                return name, joined[len(name):].strip(), 2
    return None, "", 0


def _segments(lines: Sequence[FlowLine]) -> list[_Segment]:
    tokens: list[tuple[str | None, str, int]] = []  # (level word or None, fragment text, row)
    index = 0
    while index < len(lines):
        name, rest, used = _level_at(lines, index)
        if name is None:
            tokens.append((None, lines[index].text, lines[index].row))
            index += 1
            continue
        tokens.append((name, "", lines[index].row))
        if rest:
            tokens.append((None, rest, lines[index + used - 1].row))
        index += used
    segments: list[_Segment] = []
    level1 = ""
    current: _Segment | None = None
    for position, (name, text, row) in enumerate(tokens):
        if name is not None:
            following = tokens[position + 1][0] if position + 1 < len(tokens) else None
            is_level1 = name in _ONLY_LEVEL1 or (
                name not in _ONLY_LEVEL2 and following is not None and following in LEVEL2_NAMES
            )
            if is_level1:
                level1, current = name, None
            else:
                current = _Segment(level1, name, row)
                segments.append(current)
            continue
        if current is None:
            current = _Segment(level1, "", row)
            segments.append(current)
        current.fragments.append(Fragment(text, row))
    return segments


def _common_ending(segments: Sequence[_Segment]) -> list[str]:
    """The lines every non-empty segment ends with (the shared 指标值确定依据), if there are ≥ 2."""
    endings = [[squeeze(fragment.text) for fragment in segment.fragments] for segment in segments if segment.fragments]
    if len(endings) < 2:
        return []
    common = endings[0]
    for ending in endings[1:]:
        size = 0
        while size < min(len(common), len(ending)) and common[-1 - size] == ending[-1 - size]:
            size += 1
        common = common[len(common) - size:]
    return common


def _split_at_ending(fragments: Sequence[Fragment], ending: Sequence[str]) -> list[list[Fragment]]:
    if not ending:
        return [list(fragments)]
    rows: list[list[Fragment]] = [[]]
    index = 0
    while index < len(fragments):
        window = [squeeze(fragment.text) for fragment in fragments[index: index + len(ending)]]
        if window == list(ending):
            rows.append([])
            index += len(ending)
            continue
        rows[-1].append(fragments[index])
        index += 1
    return [row for row in rows if row]


def _read_rows(project: _FlowProject, wrap_width: float, file: str) -> None:
    draft = project.draft

    def finding(severity: Severity, code: str, row: int, message: str) -> None:
        draft.findings.append(Finding(severity, code, Location(file, str(draft.ordinal), row), message))

    kinds = [kind for kind in project.kinds if kind not in ("level1", "level2")] or ["name", "value"]
    ending = _common_ending(project.segments) if kinds[-1] == "basis" else []
    basis = join_lines(ending) if ending else None
    cell_kinds = kinds[:-1] if ending else kinds
    read = 0
    for segment in project.segments:
        for fragments in _split_at_ending(segment.fragments, ending):
            printed = " / ".join(fragment.text for fragment in fragments)
            split = split_cells(fragments, cell_kinds, wrap_width)
            if split is None:
                finding("warning", "indicator_row_unreadable", fragments[0].row,
                        f"无法从PDF文本中拆分出指标行（{segment.level1}/{segment.level2}）：“{printed}”，未导入此行，请对照原件补录")
                continue
            cells = dict(zip(cell_kinds, split.cells, strict=True))
            if not split.certain:
                shown = "，".join(f"{_KIND_NAMES[kind]}“{cells[kind]}”" for kind in cell_kinds)
                finding("warning", "indicator_row_uncertain", fragments[0].row,
                        f"PDF文本“{printed}”的拆分不确定，暂读作{shown}，请对照原件核对")
            if not segment.level2:
                finding("warning", "level2_missing", fragments[0].row, f"指标“{cells.get('name', '')}”没有二级指标")
            draft.indicators.append(IndicatorDraft(
                level1=segment.level1,
                level2=segment.level2,
                name=cells.get("name", ""),
                description=cells.get("description") or None,
                value=cells.get("value", ""),
                basis=basis if ending else (cells.get("basis") or None),
                weight=cells.get("weight") or None,
                row=fragments[0].row,
            ))
            read += 1
    if read:
        finding("info", "indicators_from_pdf_text", draft.row,
                f"绩效指标由PDF文本重建（单元格跨行折行），共 {read} 行，请对照原件核对")
    elif draft.has_indicator_header:
        finding("warning", "indicator_rows_unreadable", draft.row,
                "找到了指标表表头（一级指标/二级指标/三级指标），但未能从PDF文本中读出任何指标行，请对照原件补录")


_KIND_NAMES = {"name": "三级指标", "description": "指标描述", "value": "指标值", "basis": "确定依据", "weight": "分值"}
