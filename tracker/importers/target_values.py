"""Parse a 指标值 (target value) into a ``TargetValue``.

The text is kept exactly as printed (``raw``); the parse is an interpretation of it:

* **deadline** — a date or a month/day form (``2023年12月31日前``, ``12月底前完成``,
  ``2021 年 12 月底``, ``年底前``).  ``deadline`` is the date when it can be derived; month-only
  forms need ``year`` (else ``deadline`` is ``None``).  ``op``/``number``/``unit`` stay ``None``:
  the kind already says "on or before".
* **reverse** — any ``≤``/``<`` target (``≤300万元``, ``≤3%`` 违规发生率): lower is better.  DOMAIN
  names 成本 ≤ as reverse; every upper bound reads the same way, so all of them are reverse.
* **quantitative** — a number with an optional operator and unit (``≥90%``, ``18 项``,
  ``10万元/家``).  ``op`` is ``None`` when no operator is printed; scorers read ``None`` as "=".
* **qualitative** — everything else (``有所提升``, ``是``, ``控制在预算内``, blank).

Decisions where the documents are ambiguous:

* A bare ``12月`` is a deadline (31 Dec) under a 时效 二级 indicator and a count of months
  (number 12, unit 月) elsewhere (``发放次数 12月`` means twelve monthly payments).
* Units are normalised: ``百分比`` → ``%``; a bare ``万``/``亿`` → ``万元``/``亿元`` (also in rates:
  ``≤100万/个`` → ``万元/个``, so money rates read alike); ``每月4次`` → 4 ``次/月``, ``每家10万元`` →
  10 ``万元/家``; ``㎡`` → ``平方米``.
* A range ``8-10位`` reads as ``≥ 8`` (reaching the lower bound meets the target).
* Text before the number is allowed only when it ends in an operator word
  (``群众满意度达到95%以上``) or is a per-period marker (``每月``); ``比上年增加10%`` stays qualitative
  because a relative target cannot be checked against an absolute figure.
* 以上/及以上 → ``>=``, 以下/以内/内 → ``<=`` (Chinese usage includes the bound); 达到 → ``>=``.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from tracker.importers.target_records import Operator, TargetValue

__all__ = [
    "parse_target_value",
    "display_text",
    "is_measurable",
    "is_rate",
    "is_duration",
    "amount_in_wan",
    "placeholder_reason",
    "format_number",
]

# ---------------------------------------------------------------------------
# Normalisation: full width, LaTeX, ASCII operators, spaces.

_SYMBOLS = (
    (">=", "≥"), ("=>", "≥"), ("≧", "≥"), ("⩾", "≥"),
    ("<=", "≤"), ("=<", "≤"), ("≦", "≤"), ("⩽", "≤"),
    ("〜", "~"), ("—", "-"), ("–", "-"),
)


def _normalise(raw: str) -> str:
    """Half-width, LaTeX-free, operator symbols unified, no whitespace, no thousands commas."""
    text = display_text(unicodedata.normalize("NFKC", raw))
    for old, new in _SYMBOLS:
        text = text.replace(old, new)
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return text.replace("(含)", "")


# ---------------------------------------------------------------------------
# Display: LaTeX typesetting → the text a reader sees.

#: ``\command`` → what it prints (math symbols; the ones a 指标值 uses).
_LATEX_SYMBOLS = {
    "geq": "≥", "ge": "≥", "geqslant": "≥", "leq": "≤", "le": "≤", "leqslant": "≤",
    "gt": ">", "lt": "<", "neq": "≠", "ne": "≠", "approx": "≈", "times": "×", "div": "÷",
    "pm": "±", "mp": "∓", "sim": "~", "cdot": "·", "circ": "°", "degree": "°", "infty": "∞",
    "textperthousand": "‰", "permil": "‰", "yen": "¥", "ldots": "…", "cdots": "…", "dots": "…",
    "quad": " ", "qquad": " ",
}
#: commands that only style their argument: ``\text{个}`` → ``个``
_LATEX_STYLES = frozenset({"text", "textrm", "textbf", "textit", "mathrm", "mathbf", "mathit",
                           "mbox", "operatorname", "boldsymbol"})
#: commands that print nothing
_LATEX_SILENT = frozenset({"left", "right", "displaystyle", "textstyle", "big", "Big"})
#: ``\,`` ``\;`` ``\:`` ``\!`` are thin spaces (nothing here); ``\ `` and ``\\`` a space;
#: ``\% \$ \& \# \_ \{ \}`` the character itself
_LATEX_ESCAPES = {",": "", ";": "", ":": "", "!": "", " ": " ", "\\": " ",
                  "%": "%", "$": "$", "&": "&", "#": "#", "_": "_", "{": "{", "}": "}"}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SCRIPT = re.compile(r"\{(?P<group>-?[0-9]+)\}|(?P<one>[0-9])")
_MATH = re.compile(r"\$\$(?P<display>.+?)\$\$|\$(?P<inline>.+?)\$|\\\((?P<paren>.+?)\\\)", re.S)
_COMMAND = re.compile(r"\\(?:(?P<name>[A-Za-z]+)|(?P<char>.))", re.S)


def _latex_to_text(source: str, *, math: bool) -> str:
    """One run of LaTeX as plain text.  In math mode (between ``$``) spaces and braces are
    layout, ``~`` is a space and ``^2`` is ``²``; outside it only ``\\commands`` are read."""
    out: list[str] = []
    position = 0
    while position < len(source):
        char = source[position]
        command = _COMMAND.match(source, position) if char == "\\" else None
        if command is not None:
            position = command.end()
            if command["char"] is not None:
                out.append(_LATEX_ESCAPES.get(command["char"], command["char"]))
                continue
            name = command["name"]
            if name in _LATEX_STYLES:
                argument = re.match(r"\s*\{(?P<body>[^{}]*)\}", source[position:])
                if argument is not None:
                    out.append(_latex_to_text(argument["body"], math=False))
                    position += argument.end()
                continue
            if name in _LATEX_SILENT:
                continue
            out.append(_LATEX_SYMBOLS.get(name, name))
            if math is False and name in _LATEX_SYMBOLS:  # the space ending a command name
                position = len(source) - len(source[position:].lstrip(" "))
            continue
        position += 1
        if not math:
            out.append(char)
        elif char in "{}" or char.isspace():
            continue
        elif char == "~":
            out.append(" ")
        elif char in "^_":  # a numeric superscript (m^2, 10^{-3}) is printed raised; else dropped
            script = _SCRIPT.match(source, position)
            if char == "^" and script is not None:
                out.append((script["group"] or script["one"]).translate(_SUPERSCRIPTS))
                position = script.end()
        else:
            out.append(char)
    return "".join(out)


def display_text(raw: str) -> str:
    """A 指标值 as a reader sees it: LaTeX typesetting (``$\\geq 98\\%$``, ``$\\leq$ 5个工作日``)
    turned into plain text (``≥98%``, ``≤ 5个工作日``); text without ``$`` or ``\\`` unchanged.

    ``$…$`` (and ``$$…$$``, ``\\(…\\)``) delimiters go; inside them spaces and braces are
    layout only, ``~`` is a space.  ``\\geq \\leq \\times \\pm \\sim …`` become ``≥ ≤ × ± ~ …``,
    ``\\gt``/``\\lt`` become ``>``/``<`` (a printed ``>``/``<`` stays as it is), ``\\%`` is ``%``,
    ``\\text{…}`` its content, ``\\,`` nothing; an unknown command keeps its name.
    Parsing (``parse_target_value``) reads the raw text through this function, so the parsed
    target does not depend on which of the two it is given."""
    if "$" not in raw and "\\" not in raw:
        return raw
    pieces: list[str] = []
    position = 0
    for match in _MATH.finditer(raw):
        pieces.append(_latex_to_text(raw[position:match.start()], math=False))
        body = match["display"] or match["inline"] or match["paren"] or ""
        pieces.append(_latex_to_text(body, math=True))
        position = match.end()
    pieces.append(_latex_to_text(raw[position:], math=False))
    return re.sub(r"[ \t]{2,}", " ", "".join(pieces)).strip()


# ---------------------------------------------------------------------------
# Deadlines.

_DATE_TAIL = r"(?:底|末)?(?:前|之前|以前|止|内|以内)?(?:完成.*)?"
_FULL_DATE = re.compile(rf"(?P<y>\d{{4}})(?:年|[-./])(?P<m>\d{{1,2}})(?:月|[-./])(?P<d>\d{{1,2}})日?{_DATE_TAIL}$")
_YEAR_MONTH = re.compile(rf"(?P<y>\d{{4}})年(?P<m>\d{{1,2}})月(?:份)?{_DATE_TAIL}$")
_MONTH_DAY = re.compile(rf"^(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日{_DATE_TAIL}$")
_MONTH_END = re.compile(r"^(?P<m>\d{1,2})月(?:份)?(?:(?:底|末)(?:前|之前|以前)?|前|之前|以前)(?:完成.*)?$")
_BARE_MONTH = re.compile(r"^(?P<m>\d{1,2})月(?:份)?$")
_YEAR_END = re.compile(r"^(?:本|当)?年(?:度)?(?:底|末|内)(?:前|之前|以前)?(?:完成.*)?$")
_HALF_YEAR = re.compile(r"^上半年(?:底|末|内)?(?:前|之前|以前)?(?:完成.*)?$")
_QUARTER = re.compile(r"^第(?P<q>[1-4一二三四])季度(?:底|末|内)?(?:前|之前|以前)?(?:完成.*)?$")
_YEAR_ONLY = re.compile(r"^(?P<y>(?:19|20)\d{2})年(?:度)?(?:底|末|内)?(?:前|之前|以前)?(?:完成.*)?$")
_QUARTER_NUMBERS = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}


def _month_end(year: int | None, month: int) -> date | None:
    if year is None or not 1 <= month <= 12:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int | None, month: int, day: int) -> date | None:
    if year is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse_deadline(text: str, *, level2: str | None, year: int | None) -> tuple[bool, date | None]:
    """(is a deadline form, the date when derivable)."""
    if match := _FULL_DATE.search(text):
        return True, _safe_date(int(match["y"]), int(match["m"]), int(match["d"]))
    if match := _YEAR_MONTH.search(text):
        return True, _month_end(int(match["y"]), int(match["m"]))
    if match := _MONTH_DAY.match(text):
        return True, _safe_date(year, int(match["m"]), int(match["d"]))
    if match := _MONTH_END.match(text):
        return True, _month_end(year, int(match["m"]))
    if (match := _BARE_MONTH.match(text)) and level2 is not None and "时效" in level2:
        return True, _month_end(year, int(match["m"]))
    if _YEAR_END.match(text):
        return True, _month_end(year, 12)
    if _HALF_YEAR.match(text):
        return True, _month_end(year, 6)
    if match := _QUARTER.match(text):
        return True, _month_end(year, _QUARTER_NUMBERS[match["q"]] * 3)
    if match := _YEAR_ONLY.match(text):
        return True, _month_end(int(match["y"]), 12)
    return False, None


# ---------------------------------------------------------------------------
# Numbers with operators and units.

_PREFIX_OPS: tuple[tuple[str, Operator], ...] = (
    ("大于或等于", ">="), ("大于等于", ">="), ("不低于", ">="), ("不少于", ">="), ("不小于", ">="),
    ("至少", ">="), ("最少", ">="), ("达到", ">="), ("达", ">="), ("≥", ">="),
    ("小于或等于", "<="), ("小于等于", "<="), ("不超过", "<="), ("不高于", "<="), ("不大于", "<="),
    ("不多于", "<="), ("至多", "<="), ("最多", "<="), ("控制在", "<="), ("≤", "<="),
    ("大于", ">"), ("高于", ">"), ("超过", ">"), ("多于", ">"), (">", ">"),
    ("小于", "<"), ("低于", "<"), ("少于", "<"), ("<", "<"),
    ("等于", "="), ("为", "="), ("=", "="),
)
_SUFFIX_OPS: tuple[tuple[str, Operator | None], ...] = (
    ("及以上", ">="), ("以上", ">="), ("及以下", "<="), ("以下", "<="),
    ("以内", "<="), ("之内", "<="), ("内", "<="), ("左右", None),
)
_BASE_UNITS = (
    "个工作日", "工作日", "个百分点", "百分点", "百分比", "平方公里", "平方米", "立方米", "个月",
    "人次", "家次", "户次", "场次", "项次", "个次", "小时", "分钟", "季度", "公里", "千米", "公顷",
    "台套", "m2", "km", "kg", "亩", "吨", "米", "台", "套", "件", "份", "所", "批", "期", "类", "种",
    "门", "本", "册", "部", "座", "栋", "间", "辆", "株", "棵", "篇", "条", "处", "场", "名", "位",
    "人", "户", "家", "项", "个", "次", "天", "日", "周", "月", "年", "元", "倍", "%", "‰",
)
_MAGNITUDES = ("百万", "千万", "万", "亿", "千")
_PER_PERIODS = {
    "年": "年", "季度": "季度", "季": "季度", "月": "月", "周": "周", "天": "天", "日": "日",
    "家": "家", "人": "人", "个": "个", "项": "项", "户": "户",
}


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_UNIT_PART = rf"(?:(?:{_alternation(_MAGNITUDES)})?(?:{_alternation(_BASE_UNITS)})|(?:{_alternation(_MAGNITUDES)}))"
_NUMBER = re.compile(
    rf"^(?P<prefix>.*?)(?P<op>{_alternation(tuple(word for word, _ in _PREFIX_OPS))})?"
    rf"(?P<num>\d+(?:\.\d+)?)(?:[-~至到](?P<num2>\d+(?:\.\d+)?))?"
    rf"(?P<unit>{_UNIT_PART}(?:/{_UNIT_PART})?)?"
    rf"(?P<suffix>{_alternation(tuple(word for word, _ in _SUFFIX_OPS))})?$"
)
_PER_PREFIX = re.compile(rf"^每(?P<per>{_alternation(tuple(_PER_PERIODS))})$")
_IGNORED_PREFIXES = ("", "约", "大约", "约为")
_PREFIX_OP_MAP: dict[str, Operator] = dict(_PREFIX_OPS)
_SUFFIX_OP_MAP: dict[str, Operator | None] = dict(_SUFFIX_OPS)


def _normalise_unit_part(part: str) -> str:
    if part in _MAGNITUDES:
        return part + "元"
    return {"百分比": "%", "m2": "平方米"}.get(part, part)


def _normalise_unit(unit: str | None) -> str | None:
    if not unit:
        return None
    return "/".join(_normalise_unit_part(part) for part in unit.split("/"))


def _parse_number(text: str) -> TargetValue | None:
    """The quantitative reading of ``text`` (raw filled in by the caller), or None."""
    match = _NUMBER.match(text)
    if match is None:
        return None
    prefix, op_word = match["prefix"], match["op"]
    per = None
    if prefix not in _IGNORED_PREFIXES and op_word is None:
        per_match = _PER_PREFIX.match(prefix)
        if per_match is None:
            return None
        per = _PER_PERIODS[per_match["per"]]
    op: Operator | None = _PREFIX_OP_MAP[op_word] if op_word else None
    if op is None and match["suffix"]:
        op = _SUFFIX_OP_MAP[match["suffix"]]
    if op is None and match["num2"]:
        op = ">="
    unit = _normalise_unit(match["unit"])
    if per is not None and unit is not None and "/" not in unit:
        unit = f"{unit}/{per}"
    try:
        number = Decimal(match["num"])
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None
    kind = "reverse" if op in ("<=", "<") else "quantitative"
    return TargetValue(raw="", kind=kind, op=op, number=number, unit=unit)


# ---------------------------------------------------------------------------
# Public API.


def parse_target_value(raw: str, *, level2: str | None = None, year: int | None = None) -> TargetValue:
    """Parse a 指标值.  ``level2`` (二级指标) decides a bare ``12月``; ``year`` dates month-only deadlines."""
    if not raw or not raw.strip():
        return TargetValue(raw="", kind="qualitative")
    text = _normalise(raw)
    is_deadline, deadline = _parse_deadline(text, level2=level2, year=year)
    if is_deadline:
        return TargetValue(raw=raw, kind="deadline", deadline=deadline)
    parsed = _parse_number(text)
    if parsed is None:
        return TargetValue(raw=raw, kind="qualitative")
    return TargetValue(raw=raw, kind=parsed.kind, op=parsed.op, number=parsed.number, unit=parsed.unit)


def is_measurable(value: TargetValue) -> bool:
    """True when the value can be checked against a reported figure or date (not 定性)."""
    if value.kind == "deadline":
        return True
    return value.kind in ("quantitative", "reverse") and value.number is not None


_RATE_UNITS = frozenset({"%", "‰", "个百分点", "百分点"})
_DURATION_UNITS = frozenset({"个工作日", "工作日", "天", "日", "周", "月", "个月", "季度", "年", "小时", "分钟"})


def is_rate(value: TargetValue) -> bool:
    """A percentage-like value (率: ``≥90%``, ``100百分比``)."""
    return value.number is not None and value.unit in _RATE_UNITS


def is_duration(value: TargetValue) -> bool:
    """A length of time (``≤15个工作日``, ``≥1年``): a valid 时效 target."""
    return value.number is not None and value.unit in _DURATION_UNITS


_WAN_FACTORS = {
    "元": Decimal("0.0001"),
    "千元": Decimal("0.1"),
    "万元": Decimal(1),
    "百万元": Decimal(100),
    "千万元": Decimal(1000),
    "亿元": Decimal(10000),
}


def amount_in_wan(value: TargetValue) -> Decimal | None:
    """The amount in 万元 for a money value (元/万元/亿元…); None for rates (万元/家) and non-money."""
    if value.number is None or value.unit not in _WAN_FACTORS:
        return None
    return value.number * _WAN_FACTORS[value.unit]


_PLACEHOLDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^文字描述$"), "“文字描述”是填表说明，不是目标值"),
    (re.compile(r"^由.*决定$"), "目标值留待以后决定，无法据以监控"),
    (re.compile(r"控制在(?:年度)?预算(?:范围)?(?:以)?内"), "“控制在预算内”没有给出金额上限"),
    (re.compile(r"^(?:根据|按|按照|以)实际.*"), "按实际情况确定，没有给出目标值"),
    (re.compile(r"^(?:待定|无|暂无|不适用|详见.*|见.*)$"), "没有给出目标值"),
    (re.compile(r"^[-/—－_]+$"), "没有给出目标值"),
)


def placeholder_reason(value: TargetValue) -> str | None:
    """Why the value is a placeholder rather than a target (Chinese), or None when it is a target."""
    if not value.raw.strip():
        return "指标值为空"
    text = _normalise(value.raw)
    for pattern, reason in _PLACEHOLDERS:
        if pattern.search(text):
            return reason
    return None


def format_number(number: Decimal) -> str:
    """A Decimal for messages: no exponent, no trailing zeros (``300.00`` → ``300``, ``5.10`` → ``5.1``)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


REPORTED_PLACES = Decimal("0.0001")


def parse_reported_number(text: str, target_unit: str | None, label: str,
                          target_number: Decimal | None = None) -> Decimal:
    """A value reported against a quantitative or reverse indicator (自评 实际完成值, 监控
    当前完成值): a number, optionally with a unit read as ``parse_target_value`` reads one
    (``95%``, ``95 %``, ``95％``, ``95百分比``, ``12 个``), which must be the target's unit.
    At most 4 decimals.  Negative only where a rate can fall (a ``%`` / 百分点 target, e.g. an
    增长率) or the target itself is negative: −5 家 or −3 万元 is a typing error.  ``ValueError`` with the message the user reads, naming ``label``
    (e.g. ``“支持企业数”的实际完成值``) and both units when they disagree."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    negative = cleaned[:1] in ("-", "−", "－")  # ASCII, the minus sign, the full-width hyphen
    unit = None
    try:
        number = Decimal(("-" + cleaned[1:]) if negative else cleaned)
    except InvalidOperation:
        # a unit after the number (``-3%``): the target reader takes no sign, so read the rest
        parsed = parse_target_value(cleaned[1:] if negative else text)
        if parsed.number is None or parsed.kind not in ("quantitative", "reverse") \
                or (negative and parsed.op is not None):
            raise ValueError(f"{label}应为数字（可带单位），当前为“{text.strip()}”") from None
        number, unit = (-parsed.number if negative else parsed.number), parsed.unit
    if not number.is_finite():  # NaN, Infinity
        raise ValueError(f"{label}应为数字（可带单位），当前为“{text.strip()}”")
    if abs(number) >= Decimal(10) ** 14:  # before quantize, which cannot hold 1e30 to 4 places
        raise ValueError(f"{label}数值过大，当前为“{text.strip()}”")
    if number != number.quantize(REPORTED_PLACES):
        raise ValueError(f"{label}最多保留4位小数")
    if unit and target_unit and unit != target_unit:
        raise ValueError(f"{label}单位“{unit}”与年度指标值单位“{target_unit}”不一致，请换算后填写")
    if number < 0 and (target_unit or unit) not in _RATE_UNITS and not (target_number is not None
                                                                       and target_number < 0):
        shown = f"（指标单位为“{target_unit}”）" if target_unit else ""
        raise ValueError(f"{label}不能为负数{shown}，当前为“{text.strip()}”")
    return number
