"""Document-level facts: the year, the issuing unit, the department's own goal texts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from tracker.importers.target_records import DepartmentTexts, UnitRecord
from tracker.importers.targets.labels import UNIT_LINE, is_title, squeeze

_YEAR = re.compile(r"(20\d{2})\s*年")
_HEADING_WORDS = ("绩效目标", "绩效表", "预算")
_REGION = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}(?:省|自治区))?(?P<region>[\u4e00-\u9fff]{2,3}?市)")
_ISSUER = re.compile(
    r"^(?P<name>[\u4e00-\u9fff（）()]{2,30}?(?:局|中心|委员会|委|厅|办公室|办|院|所|站|部|处|馆|校|队|社|管委会))(?:编制|制)?$"
)
_ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.．])")
_SECTIONS = (("overall_goal", "总体绩效目标"), ("sub_goals", "分项绩效目标"), ("safeguards", "保障措施"))
_PART = re.compile(r"^第[一二三四五六七八九十]部分|^预算项目绩效|^项目支出绩效|^部门项目支出")


def find_year(headings: Iterable[str], body: str) -> int | None:
    """The year most headings name (``2025年…绩效目标表``); else the year the text names most."""
    for texts in (list(headings), [body]):
        counts = Counter(int(year) for text in texts for year in _YEAR.findall(text))
        if counts:
            return max(counts, key=lambda year: (counts[year], year))
    return None


def is_heading(text: str) -> bool:
    core = squeeze(text)
    return len(core) <= 60 and any(word in core for word in _HEADING_WORDS)


def find_unit(
    unit_lines: Sequence[str], supervising: Sequence[str], paragraphs: Sequence[str]
) -> UnitRecord | None:
    """The issuer: a ``code+name`` unit row, else the 主管部门, else a heading such as ``高新区科技局编制``."""
    for candidates in (unit_lines, supervising):
        matches = [match for text in candidates if (match := UNIT_LINE.match(squeeze(text)))]
        if matches:
            common = Counter((match["code"], match["name"]) for match in matches).most_common(1)[0][0]
            return UnitRecord(code=common[0], name=common[1], region=region_of(common[1]))
    for text in paragraphs[:12]:
        if match := _ISSUER.match(squeeze(text).lstrip("#")):
            return UnitRecord(code=None, name=match["name"], region=region_of(match["name"]))
    return None


def region_of(name: str) -> str | None:
    match = _REGION.match(name)
    return match["region"] if match else None


def _section_of(text: str) -> str | None:
    core = squeeze(text)
    stripped = _ENUMERATOR.sub("", core)
    for key, word in _SECTIONS:
        if stripped == word or (stripped != core and word in stripped and len(stripped) <= len(word) + 4):
            return key
    return None


def read_department_texts(paragraphs: Sequence[str], *, join: Callable[[Sequence[str]], str]) -> DepartmentTexts:
    """总体绩效目标 / 分项绩效目标 / 保障措施: the text under each heading, up to the project part."""
    parts: dict[str, list[str]] = {key: [] for key, _ in _SECTIONS}
    current: str | None = None
    for text in paragraphs:
        if section := _section_of(text):
            current = section
            continue
        core = squeeze(text)
        if _PART.match(core) or is_title(text) or UNIT_LINE.match(core):
            if any(parts.values()):
                break
            current = None
            continue
        if current is not None and core:
            parts[current].append(text.strip())
    texts = {key: join(lines) or None for key, lines in parts.items()}
    return DepartmentTexts(
        overall_goal=texts["overall_goal"], sub_goals=texts["sub_goals"], safeguards=texts["safeguards"]
    )

