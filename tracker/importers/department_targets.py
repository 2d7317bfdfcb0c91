"""Read the department's own indicators out of the 分项绩效目标 prose (部门整体绩效目标).

The 分项绩效目标 text (as stored on ``DepartmentYear.sub_goals``) is a list of 分项, each opened by
an enumerated heading (``（1）…``, ``（二）…``, ``一、…``, ``1、…``), optionally followed by a
``绩效目标：`` line and a ``绩效指标：`` line written as prose.  This module turns that prose into
indicators with the same shape as project indicators, keeping the sentence each came from.

Decisions (the documents are prose, so these are readings, not facts):

* Sentences split on ``。；;``; a sentence splits into clauses on ``，,``.  A clause ending in a
  value (``新增25家以上``, ``满意度大于90%``, ``达到1400家``) is one quantitative indicator; the
  value part is read by ``parse_target_value`` so operators and units match project indicators.
  ``、`` separates two indicators only when both sides carry a value (``高新技术企业达到1400家、
  科技型中小企业达到10000家``).
* In a sentence that has a valued clause, the clauses without a value are context (``进一步完善…
  培育机制``), except a clause ending in a vague result (``创新能力明显提高``), which is a
  qualitative indicator flagged as vague.  A sentence with no valued clause is one indicator: a
  bare indicator name (``工作开展率``, ``组织开展相关活动次数``: ends in 率/数/量/度/人次…) is
  flagged as having no value; any other sentence is a qualitative statement (``及时足额拨付…``).
* A leading year (``2023年度``, ``力争2021年``) is dropped from the name.
* 一级/二级 are inferred from words: 满意 → 满意度/服务对象满意度; 及时/按时/deadline → 产出/时效;
  a count unit or 次数/数量 → 产出/数量; 率 or % → 产出/质量; 能力/水平/效益/提高/提升/增强 →
  效益/社会效益; anything else → 产出/质量.
* A 分项 with no ``绩效指标`` line yields no indicator and one finding.
* A 部门整体绩效目标表 published as a table (一级 | 二级 | 三级 | 指标值, optional 分值; the 一体化
  layout) is read by ``read_department_table`` into one goal, ``TABLE_GOAL``: blank 一级/二级 cells
  are merged cells and repeat the row above; the source of each indicator is its row.  Word,
  Excel, Markdown/TSV and ruled PDF tables arrive as rows of cells; running PDF text arrives as
  lines, which ``department_table_in_lines`` turns into rows: after a header line naming
  一级/二级/三级/指标值, each line is one row whose cells are separated by spaces — a leading
  一级 word (产出/成本/效益/满意度[指标]), then a 二级 word (…指标, or a known 二级 name), the
  last space-separated part (with the operator or number parts before it: ``≥ 25 家``) is the
  指标值 (and the one before it the 分值 when the header has one and it is a number), the rest
  the 三级.  The table ends at a numbered heading or a sentence (ending 。/：); its title line
  (…目标表, right above the header) is taken out with it.  A 三级 that
  wrapped onto a second line is read as two rows, the second without a value: flagged, not hidden.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from tracker.core.categories import LEVEL1_LABELS, level1_of
from tracker.importers.target_records import TargetValue
from tracker.importers.target_values import parse_target_value

__all__ = ["DepartmentGoal", "DepartmentIndicatorRecord", "read_department_goals", "infer_levels",
           "indicator_findings", "read_department_table", "is_department_table_header", "TABLE_GOAL",
           "department_table_in_lines"]


@dataclass(frozen=True)
class DepartmentIndicatorRecord:
    """One indicator read from a 分项's prose."""

    name: str  # 三级指标
    level1: str  # 产出指标 / 效益指标 / 满意度指标
    level2: str  # 数量指标 / 质量指标 / 时效指标 / 社会效益指标 / 服务对象满意度指标
    value: TargetValue
    source: str  # the sentence it came from, as printed
    findings: tuple[str, ...] = ()
    weight: Decimal | None = None  # 分值, when a 部门整体绩效目标表 gives one


@dataclass(frozen=True)
class DepartmentGoal:
    """One 分项绩效目标: its title, its 绩效目标 text and the indicators its prose yields."""

    title: str
    target: str | None
    indicators: tuple[DepartmentIndicatorRecord, ...]
    findings: tuple[str, ...] = field(default=())


_HEADING = re.compile(
    r"^\s*(?:[(（]\s*(?:[一二三四五六七八九十]+|\d+)\s*[)）]|[一二三四五六七八九十]+\s*[、.．]|\d+\s*[、.．](?!\d))\s*"
)
_LABEL = re.compile(r"^\s*(?P<label>绩效目标|绩效指标)\s*[:：]\s*(?P<text>.*)$")
_SENTENCE = re.compile(r"[。；;]+")
_CLAUSE = re.compile(r"[，,]+")
_YEAR_PREFIX = re.compile(r"^(?:力争|争取|确保)?(?:20\d{2}\s*年度?|全年|年内|本年度?)")
# A value at the end of a clause: optional operator word, a number, optional unit and suffix.
_VALUE_TAIL = re.compile(
    r"(?P<value>(?:大于或等于|大于等于|不低于|不少于|不小于|至少|达到|达|≥|>=|小于或等于|小于等于|不超过|不高于|"
    r"不大于|控制在|≤|<=|大于|高于|超过|>|小于|低于|少于|<)?\s*\d+(?:\.\d+)?\s*"
    r"(?:[\u4e00-\u9fff%‰]{0,4}?)(?:及以上|以上|及以下|以下|以内|左右)?)$"
)
_VAGUE = re.compile(
    r"(?:明显|显著|有所|不断|进一步|稳步|持续|大幅|较大|逐步)?(?:提高|提升|增强|改善|加强|优化|完善|增长)$"
)
_VAGUE_QUALIFIER = re.compile(r"(?:明显|显著|有所|不断|进一步|稳步|持续|大幅|较大|逐步)(?:提高|提升|增强|改善|加强|优化|完善|增长)$")
_BARE_NAME = re.compile(r"(?:率|次数|数量|个数|人数|家数|项数|数|量|度|人次|规模|金额)$")
_COUNT_UNITS = frozenset("个 家 项 次 人 户 篇 场 件 份 所 批 期 类 种 名 位 人次 场次 台 套 亩".split())


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).replace(",", "，")


def infer_levels(name: str, value: TargetValue) -> tuple[str, str]:
    """一级 and 二级 of a department indicator, from its name and value (see the module notes)."""
    if "满意" in name:
        return "满意度指标", "服务对象满意度指标"
    if value.kind == "deadline" or any(word in name for word in ("及时", "按时", "按期", "时限")):
        return "产出指标", "时效指标"
    if value.kind == "reverse" and value.unit and value.unit.endswith("元"):
        return "成本指标", "经济成本指标"
    if (value.unit and value.unit.split("/")[0] in _COUNT_UNITS) or any(w in name for w in ("次数", "数量", "个数")):
        return "产出指标", "数量指标"
    if value.unit in ("%", "‰") or name.endswith("率"):
        return "产出指标", "质量指标"
    if any(word in name for word in ("能力", "水平", "效益", "影响")) or _VAGUE.search(name):
        return "效益指标", "社会效益指标"
    return "产出指标", "质量指标"


def _valued(clause: str, year: int | None) -> tuple[str, TargetValue] | None:
    """(name, value) when the clause ends in a number that parses as a quantitative target."""
    match = _VALUE_TAIL.search(clause)
    if match is None:
        return None
    raw = match["value"]
    value = parse_target_value(raw, year=year)
    if value.kind not in ("quantitative", "reverse") or value.number is None:
        return None
    name = clause[: match.start()]
    name = re.sub(r"(?:为|是|要|应)$", "", name)
    name = _YEAR_PREFIX.sub("", name) or name
    return name, value


def indicator_findings(name: str, value: TargetValue) -> tuple[str, ...]:
    """The target-quality findings of one department indicator (Chinese): no value, or a vague one."""
    raw = value.raw.strip()
    if not raw:
        return (f"指标“{name}”没有指标值，请给出数值、比率或时限",)
    if value.kind == "qualitative" and _VAGUE_QUALIFIER.fullmatch(_squeeze(raw)):
        return (f"指标“{name}”的指标值“{raw}”是模糊表述，无法衡量，请给出数值、比率或时限",)
    return ()


def _indicator(name: str, value: TargetValue, source: str) -> DepartmentIndicatorRecord:
    level1, level2 = infer_levels(name, value)
    return DepartmentIndicatorRecord(name, level1, level2, value, source, indicator_findings(name, value))


def _sentence_indicators(sentence: str, year: int | None) -> list[DepartmentIndicatorRecord]:
    clauses = [c for c in _CLAUSE.split(sentence) if c]
    found: list[tuple[int, str, TargetValue]] = []
    for index, clause in enumerate(clauses):
        parts = clause.split("、")
        readings = [_valued(part, year) for part in parts]
        if len(parts) > 1 and all(readings):
            found.extend((index, name, value) for name, value in readings)  # type: ignore[misc]
        elif reading := _valued(clause, year):
            found.append((index, *reading))
    if not found:
        name = _YEAR_PREFIX.sub("", sentence) or sentence
        if _BARE_NAME.search(name):
            return [_indicator(name, TargetValue(raw="", kind="qualitative"), sentence)]
        return [_qualitative(name, sentence)]
    result = []
    valued = {index for index, _, _ in found}
    for index, clause in enumerate(clauses):
        if index in valued:
            result.extend(_indicator(name, value, sentence) for i, name, value in found if i == index)
        elif _VAGUE_QUALIFIER.search(clause):
            result.append(_qualitative(_YEAR_PREFIX.sub("", clause) or clause, sentence))
    return result


def _qualitative(text: str, source: str) -> DepartmentIndicatorRecord:
    """A statement without a number; a vague result (明显提高) is split off as its value and flagged."""
    match = _VAGUE_QUALIFIER.search(text)
    if match and match.start() > 0:
        name, raw = text[: match.start()], match.group(0)
        return _indicator(name, TargetValue(raw=raw, kind="qualitative"), source)
    return _indicator(text, TargetValue(raw=text, kind="qualitative"), source)


def _title_and_rest(line: str) -> tuple[str, str]:
    body = _HEADING.sub("", line, count=1).strip()
    head, dot, rest = body.partition("。")
    return head.strip(), rest.strip()


def read_department_goals(sub_goals: str | None, *, year: int | None = None) -> tuple[DepartmentGoal, ...]:
    """The 分项 of a 分项绩效目标 text, each with its indicators and findings (pure)."""
    if not sub_goals or not sub_goals.strip():
        return ()
    goals: list[dict[str, object]] = []
    for line in sub_goals.splitlines():
        text = line.strip()
        if not text:
            continue
        label = _LABEL.match(text)
        if label is None and _HEADING.match(text):
            title, rest = _title_and_rest(text)
            goals.append({"title": title, "target": rest or None, "prose": []})
        elif label is not None and goals:
            if label["label"] == "绩效目标":
                goals[-1]["target"] = label["text"].strip() or None
            else:
                goals[-1]["prose"].append(label["text"].strip())  # type: ignore[union-attr]
        elif goals and goals[-1]["prose"]:
            goals[-1]["prose"].append(text)  # type: ignore[union-attr]  # a wrapped 绩效指标 line
    result = []
    for goal in goals:
        title = str(goal["title"])
        prose = "".join(goal["prose"])  # type: ignore[arg-type]
        indicators: list[DepartmentIndicatorRecord] = []
        for sentence in _SENTENCE.split(prose):
            squeezed = _squeeze(sentence)
            if squeezed:
                indicators.extend(_sentence_indicators(squeezed, year))
        findings = () if indicators else (f"分项“{title}”没有绩效指标，无法监控和自评",)
        result.append(DepartmentGoal(title, goal["target"], tuple(indicators), findings))  # type: ignore[arg-type]
    return tuple(result)


TABLE_GOAL = "部门整体绩效目标表"
_HEADER_WORDS = ("一级", "二级", "三级")


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def is_department_table_header(cells: tuple[str, ...] | list[str]) -> bool:
    """A header row of the 一体化 layout: 一级 / 二级 / 三级 columns and a 指标值 column."""
    plain = [_plain(cell) for cell in cells]
    return all(any(word in cell for cell in plain) for word in _HEADER_WORDS) and any(
        "指标值" in cell and "依据" not in cell for cell in plain)


def _column(plain: list[str], test: object) -> int | None:
    return next((index for index, cell in enumerate(plain) if test(cell)), None)  # type: ignore[operator]


def read_department_table(rows: list[tuple[str, ...]] | tuple[tuple[str, ...], ...], *,
                          year: int | None = None) -> tuple[DepartmentGoal, ...]:
    """The indicators of a 部门整体绩效目标表 (rows of cells as printed, header included)."""
    start = next((index for index, row in enumerate(rows) if is_department_table_header(row)), None)
    if start is None:
        return ()
    plain = [_plain(cell) for cell in rows[start]]
    level1_at = _column(plain, lambda c: "一级" in c)
    level2_at = _column(plain, lambda c: "二级" in c)
    name_at = _column(plain, lambda c: "三级" in c)
    value_at = _column(plain, lambda c: "指标值" in c and "依据" not in c)
    weight_at = _column(plain, lambda c: c in ("分值", "权重", "指标分值"))
    level1 = level2 = ""
    indicators: list[DepartmentIndicatorRecord] = []
    for row in rows[start + 1:]:
        cell = lambda at: (row[at].strip() if at is not None and at < len(row) else "")  # noqa: E731
        if cell(level1_at):  # a new 一级 starts a new 二级 merge too
            level1, level2 = cell(level1_at), cell(level2_at)
        else:
            level2 = cell(level2_at) or level2
        name = cell(name_at)
        if not name or is_department_table_header(row):
            continue
        value = parse_target_value(cell(value_at), level2=level2 or None, year=year)
        inferred = infer_levels(name, value)
        weight = None
        if cell(weight_at):
            try:
                weight = Decimal(cell(weight_at))
            except InvalidOperation:
                weight = None
        indicators.append(DepartmentIndicatorRecord(
            name=name, level1=_level1_of(level1) or inferred[0], level2=_with_suffix(level2) or inferred[1],
            value=value, source=" | ".join(c.strip() for c in row if c.strip()),
            findings=indicator_findings(name, value), weight=weight))
    findings = () if indicators else (f"“{TABLE_GOAL}”中没有绩效指标，无法监控和自评",)
    return (DepartmentGoal(TABLE_GOAL, None, tuple(indicators), findings),)


def _with_suffix(level: str) -> str:
    text = _plain(level)
    return text if not text or text.endswith("指标") or text.endswith("满意度") else text + "指标"


def _level1_of(level: str) -> str:
    """The printed 一级 as one of the four scored ones (产出/成本/效益/满意度指标, by the one 一级 rule
    of ``core.categories``), or '' when it is none of them (the inferred 一级 is used then)."""
    code = level1_of(_plain(level))
    return LEVEL1_LABELS[code] if code else ""


_LEVEL1_WORD = re.compile(r"^(?:产出|成本|效益|满意度)(?:指标)?$")
_LEVEL2_NAMES = ("数量", "质量", "时效", "经济成本", "社会成本", "生态环境成本", "经济效益", "社会效益",
                 "生态效益", "可持续影响", "服务对象满意度", "满意度")
_VALUE_PART = re.compile(r"^(?:[≥≤<>=＞＜]+|\d+(?:\.\d+)?|不低于|不少于|不小于|不超过|不高于|不大于|大于|小于|"
                         r"高于|低于|达到|至少|约)$")
_TABLE_END = re.compile(r"^(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[、.．]|第[一二三四五六七八九十]部分)"
                        r"|[。：:]$")


def _is_level2_word(token: str) -> bool:
    core = token[:-2] if token.endswith("指标") else token
    return token.endswith("指标") and len(token) > 2 or core in _LEVEL2_NAMES


def department_table_in_lines(lines: list[str] | tuple[str, ...]
                              ) -> tuple[tuple[tuple[str, ...], ...], list[str]]:
    """A 部门整体绩效目标表 in running text (PDF text): (its rows as cells, header first — the
    input of ``read_department_table`` —, the other lines).  No header line: ((), lines)."""
    start = next((index for index, line in enumerate(lines) if is_department_table_header(line.split())), None)
    if start is None:
        return (), list(lines)
    header = [_plain(cell) for cell in lines[start].split()]
    weighted = any(cell in ("分值", "权重", "指标分值") for cell in header)
    rows: list[tuple[str, ...]] = [("一级指标", "二级指标", "三级指标", "指标值", "分值")]
    end = start + 1
    for line in lines[start + 1:]:
        text = line.strip()
        if _TABLE_END.search(text) or is_department_table_header(text.split()):
            break
        end += 1
        if text:
            rows.append(_line_cells(text.split(), weighted))
    if start and "目标表" in lines[start - 1] and len(_plain(lines[start - 1])) <= 30:
        start -= 1  # the table's own title goes with it (a title line would end the prose sections)
    return tuple(rows), [*lines[:start], *lines[end:]]


def _line_cells(tokens: list[str], weighted: bool) -> tuple[str, ...]:
    level1 = tokens.pop(0) if len(tokens) > 1 and _LEVEL1_WORD.match(tokens[0]) else ""
    level2 = tokens.pop(0) if len(tokens) > 1 and _is_level2_word(tokens[0]) else ""
    weight = ""
    if weighted and len(tokens) > 2 and re.fullmatch(r"\d+(?:\.\d+)?", tokens[-1]):
        weight = tokens.pop()
    value_from = len(tokens) - 1 if len(tokens) > 1 else len(tokens)
    while value_from > 1 and _VALUE_PART.match(tokens[value_from - 1]):
        value_from -= 1
    return level1, level2, "".join(tokens[:value_from]), "".join(tokens[value_from:]), weight
