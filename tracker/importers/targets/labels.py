"""The words that identify fields, plan checkpoints, indicator columns and levels in a 绩效目标表.

Every reader reduces a document to cells and lines; these functions decide what a cell *is*
(a label such as ``其中：财政    资金``, a checkpoint such as ``第三季度``, a level such as
``11-数量指标``) without changing what it *says*.
"""

from __future__ import annotations

import re
from datetime import date

BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[\s\u3000\u00a0]+")
_TRAILING_NOTE = re.compile(r"[（(][^）)]*[）)]$")


def clean_cell(text: str) -> str:
    """A cell as printed, minus export noise (bookmarks, markup tags) and surrounding blanks."""
    return _TAG.sub("", BOOKMARK.sub("", text)).strip()


def squeeze(text: str) -> str:
    """Text without markup or any whitespace (full-width spaces included): for comparing labels."""
    return _SPACE.sub("", _TAG.sub("", BOOKMARK.sub("", text)))


def label_of(cell: str) -> str:
    """The label a cell spells, e.g. ``其中：财政    资金`` → ``财政资金``, ``预算数（万元）`` → ``预算数``."""
    text = squeeze(cell).rstrip(":：")
    text = re.sub(r"^其中[:：]?", "", text)
    while _TRAILING_NOTE.search(text) and len(_TRAILING_NOTE.sub("", text)) >= 2:
        text = _TRAILING_NOTE.sub("", text).rstrip(":：")
    return text


# ---------------------------------------------------------------------------
# Fields of the project head (key cell → the value in the cell to its right).

FIELD_LABELS: dict[str, str] = {
    "项目编码": "code",
    "项目代码": "code",
    "项目编号": "code",
    "项目名称": "name",
    "主管部门": "supervising_department",
    "主管单位": "supervising_department",
    "预算部门": "supervising_department",
    "实施单位": "implementing_unit",
    "项目实施单位": "implementing_unit",
    "预算数": "budget",
    "年度预算数": "budget",
    "全年预算数": "budget",
    "项目年度金额": "budget",
    "年度金额": "budget",
    "预算金额": "budget",
    "年度资金总额": "budget",
    "资金总额": "budget",
    "财政资金": "fiscal",
    "财政拨款": "fiscal",
    "本年财政拨款": "fiscal",
    "其他资金": "other",
    "上年结转": "carryover",
    "上年结转资金": "carryover",
    "资金用途": "purpose",
    "项目资金主要用途": "purpose",
    "主要用途": "purpose",
    "绩效目标": "goal",
    "年度绩效目标": "goal",
    "年度总体绩效目标": "goal",
    "年度总体目标": "goal",
    "总体目标": "goal",
    "预算规模及资金用途": "purpose_block",
    "项目属性": "other_field",
    "项目期限": "other_field",
    "项目主管处室": "other_field",
    "项目类别": "other_field",
}

PLAN_LABEL_PREFIXES = ("资金支出计划", "支出计划", "资金使用计划", "用款计划", "支出进度计划")


def field_of(cell: str) -> str | None:
    """The field a label cell names (``code``, ``budget``…), or None when the cell is not a label."""
    return FIELD_LABELS.get(label_of(cell))


def is_plan_label(cell: str) -> bool:
    return squeeze(cell).startswith(PLAN_LABEL_PREFIXES)


UNIT_NOTE = re.compile(r"^单位[:：]")
# "306001唐山市路南区科学技术局本级", "604002 唐山市科学技术局", "205-石嘴山市科学技术局"
UNIT_LINE = re.compile(
    r"^(?P<code>\d{3,})\s*[-－—]?\s*"
    r"(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff（）()·]*?"
    r"(?:局|中心|委员会|委|厅|办公室|办|院|所|站|部|处|馆|校|队|社|公司|政府|街道|管委会|协会|学会))"
    r"(?:本级)?$"
)
TITLE = re.compile(r"(绩效目标表|绩效目标申报表|绩效表|目标表)$")


def is_title(text: str) -> bool:
    """A table heading such as ``1.2025年省级…预算绩效目标表``."""
    core = squeeze(text).lstrip("#")
    return bool(TITLE.search(core)) and len(core) <= 80


_GENERIC_HEADING_WORDS = re.compile(r"部门|整体|项目|支出|预算|本级|单位|年度|绩效|目标|申报")


def project_title(text: str) -> str | None:
    """The heading as a project's title, or None for a form name shared by every table
    (``部门项目支出预算绩效目标表``, ``预算项目绩效表``), which names no project."""
    heading = strip_heading(text)
    core = re.sub(r"(绩效目标表|绩效目标申报表|绩效表|目标表)$", "", squeeze(heading))
    core = re.sub(r"\d{4}(?:-\d{4})?年?度?", "", core)
    return heading if _GENERIC_HEADING_WORDS.sub("", core) else None


def strip_heading(text: str) -> str:
    """A heading without Markdown marks and leading numbering: ``1.2025年…表`` → ``2025年…表``."""
    core = clean_cell(text).lstrip("#").strip()
    return re.sub(r"^(?:\d{1,3}[.．、]|[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)\s*", "", core)


# ---------------------------------------------------------------------------
# Plan checkpoints.

_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_MONTH = re.compile(r"^(?:截至|截止)?(\d{1,2})月(?:底|末|份)?(?:前)?$")
_QUARTER = re.compile(r"^第?([一二三四1-4])季度(?:末|底)?$")


def checkpoint_month(cell: str) -> int | None:
    """The month whose end a checkpoint label means: ``10月底`` → 10, ``第三季度`` → 9."""
    text = squeeze(cell)
    if match := _MONTH.match(text):
        month = int(match[1])
        return month if 1 <= month <= 12 else None
    if match := _QUARTER.match(text):
        return _CHINESE_DIGITS[match[1]] * 3
    if text in ("上半年", "半年"):
        return 6
    if text in ("全年", "年底", "年末"):
        return 12
    return None


def month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, month + 1, 1).toordinal() - 1)


# ---------------------------------------------------------------------------
# Indicator table columns and levels.

COLUMN_LABELS: dict[str, str] = {
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "name",
    "绩效指标描述": "description",
    "指标描述": "description",
    "指标解释": "description",
    "指标内容": "description",
    "指标说明": "description",
    "指标值": "value",
    "绩效值": "value",
    "年度指标值": "value",
    "指标目标值": "value",
    "目标值": "value",
    "年度目标值": "value",
    "指标值确定依据": "basis",
    "确定依据": "basis",
    "指标值设定依据": "basis",
    "分值": "weight",
    "权重": "weight",
    "指标分值": "weight",
    "指标权重": "weight",
}


def column_of(cell: str) -> str | None:
    return COLUMN_LABELS.get(label_of(cell))


def indicator_columns(cells: tuple[str, ...]) -> dict[str, int] | None:
    """Column positions when ``cells`` is the indicator header (一级/二级/三级指标 …), else None."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = column_of(cell)
        if column is not None and column not in columns:
            columns[column] = index
    if "name" in columns and ("level2" in columns or "level1" in columns) and "value" in columns:
        return columns
    return None


LEVEL1_NAMES = ("产出指标", "效益指标", "效果指标", "满意度指标", "成本指标")
LEVEL2_NAMES = (
    "数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标", "生态效益指标",
    "可持续影响指标", "服务对象满意度指标", "经济成本指标", "社会成本指标", "生态环境成本指标",
)
_LEVEL_NUMBER = re.compile(r"^(?P<number>\d{1,3})\s*[-－—.．、]\s*(?=\D)")


def split_level_number(text: str) -> tuple[str | None, str]:
    """``11-数量指标`` → ("11", "数量指标"); ``产出指标`` → (None, "产出指标")."""
    core = clean_cell(text)
    if match := _LEVEL_NUMBER.match(core):
        return match["number"], core[match.end():].strip()
    return None, core


_LEVEL1_STEMS = ("产出", "效益", "效果", "满意", "成本")


def looks_like_level1(text: str) -> bool:
    """A 一级 cell as 一级 columns print it (``产出指标``, ``1-产出指标``, ``效益指标（30分）``),
    not a 二级 such as ``14-成本指标`` nor a 三级 name that slid into the 一级 column."""
    number, name = split_level_number(text)
    if number is not None and len(number) > 1:
        return False
    core = label_of(name)
    return core.startswith(_LEVEL1_STEMS) and len(core) <= 8


def looks_like_level2(text: str) -> bool:
    """A 二级 cell: a known 二级 name, or a two-digit numbered one (``21-经济效益``)."""
    number, name = split_level_number(text)
    if number is not None and len(number) >= 2:
        return True
    return squeeze(name) in LEVEL2_NAMES
