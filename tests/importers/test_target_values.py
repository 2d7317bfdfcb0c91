"""parse_target_value over the forms the issue lists and every 指标值 printed in the five seeds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracker.importers.target_records import TargetValue
from tracker.importers.target_values import (
    amount_in_wan,
    display_text,
    format_number,
    is_duration,
    is_measurable,
    is_rate,
    parse_target_value,
    placeholder_reason,
)

D = Decimal


def quant(op: str | None, number: str, unit: str | None) -> dict[str, object]:
    kind = "reverse" if op in ("<=", "<") else "quantitative"
    return {"kind": kind, "op": op, "number": D(number), "unit": unit}


def deadline(when: date | None) -> dict[str, object]:
    return {"kind": "deadline", "deadline": when}


QUALITATIVE: dict[str, object] = {"kind": "qualitative"}

# (raw, level2, year, expected fields)
CASES: list[tuple[str, str | None, int | None, dict[str, object]]] = [
    # --- the list
    ("≥1个", None, None, quant(">=", "1", "个")),
    ("≤300万元", "成本指标", None, quant("<=", "300", "万元")),
    ("≥90%", None, None, quant(">=", "90", "%")),
    ("100百分比", None, None, quant(None, "100", "%")),
    ("$\\geq 98\\%$", None, None, quant(">=", "98", "%")),
    ("$\\leq 5\\%$", None, None, quant("<=", "5", "%")),
    ("$\\ge 3$个", None, None, quant(">=", "3", "个")),
    ("$\\le 10$万元", None, None, quant("<=", "10", "万元")),
    ("90%以上", None, None, quant(">=", "90", "%")),
    ("5%以下", None, None, quant("<=", "5", "%")),
    ("300万元以内", "成本指标", None, quant("<=", "300", "万元")),
    ("不超过300万元", "成本指标", None, quant("<=", "300", "万元")),
    ("不低于90%", None, None, quant(">=", "90", "%")),
    ("不少于5家", None, None, quant(">=", "5", "家")),
    ("大于90%", None, None, quant(">", "90", "%")),
    ("小于5%", None, None, quant("<", "5", "%")),
    ("达到100%", None, None, quant(">=", "100", "%")),
    (">=95%", None, None, quant(">=", "95", "%")),
    ("<=3%", None, None, quant("<=", "3", "%")),
    ("≥９５％", None, None, quant(">=", "95", "%")),
    ("＞＝９０％", None, None, quant(">=", "90", "%")),
    ("≥95%", None, None, quant(">=", "95", "%")),
    ("=100%", None, None, quant("=", "100", "%")),
    ("12月", "数量指标", 2025, quant(None, "12", "月")),
    ("12月", "时效指标", 2025, deadline(date(2025, 12, 31))),
    ("12月", "时效指标", None, deadline(None)),
    ("10万元/家", "成本指标", None, quant(None, "10", "万元/家")),
    ("≤100万/个", "成本指标", None, quant("<=", "100", "万元/个")),
    ("2023年12月31日前", "时效指标", None, deadline(date(2023, 12, 31))),
    ("12月底前完成", "时效指标", 2025, deadline(date(2025, 12, 31))),
    ("12月底前完成", "时效指标", None, deadline(None)),
    ("2021 年 12 月底", "时效指标", None, deadline(date(2021, 12, 31))),
    ("每月4次", "数量指标", None, quant(None, "4", "次/月")),
    ("4 次", "数量指标", None, quant(None, "4", "次")),
    ("10 万", "成本指标", None, quant(None, "10", "万元")),
    ("7000 万元", "成本指标", None, quant(None, "7000", "万元")),
    ("18 项", "数量指标", None, quant(None, "18", "项")),
    ("30 人", "社会效益指标", None, quant(None, "30", "人")),
    ("有所提升", "经济效益", None, QUALITATIVE),
    ("较高", "质量指标", None, QUALITATIVE),
    ("是", "社会效益指标", None, QUALITATIVE),
    ("规范", "质量指标", None, QUALITATIVE),
    ("达到预期目标", "生态效益", None, QUALITATIVE),
    ("比上年增加", "质量指标", None, QUALITATIVE),
    ("由实际申报项目数决定", "数量指标", None, QUALITATIVE),
    ("文字描述", "服务对象满意度指标", None, QUALITATIVE),
    ("控制在预算内", "成本指标", None, QUALITATIVE),
    # --- more forms
    ("≥95%以上", None, None, quant(">=", "95", "%")),
    ("满意度达95%", None, None, quant(">=", "95", "%")),
    ("控制在300万元以内", "成本指标", None, quant("<=", "300", "万元")),
    ("30天内", "时效指标", None, quant("<=", "30", "天")),
    ("≤15个工作日", "时效指标", None, quant("<=", "15", "个工作日")),
    ("8-10位", "数量指标", None, quant(">=", "8", "位")),
    ("≥1,000万元", None, None, quant(">=", "1000", "万元")),
    ("1亿元", None, None, quant(None, "1", "亿元")),
    ("每家10万元", "成本指标", None, quant(None, "10", "万元/家")),
    ("4次/月", "数量指标", None, quant(None, "4", "次/月")),
    ("≥500㎡", "数量指标", None, quant(">=", "500", "平方米")),
    ("约20场", "数量指标", None, quant(None, "20", "场")),
    ("6月30日前", "时效指标", 2024, deadline(date(2024, 6, 30))),
    ("6月30日前", "时效指标", None, deadline(None)),
    ("2月30日前", "时效指标", 2025, deadline(None)),
    ("2023-12-31", "时效指标", None, deadline(date(2023, 12, 31))),
    ("2024年6月底前完成拨付", "时效指标", None, deadline(date(2024, 6, 30))),
    ("2024年2月", "时效指标", None, deadline(date(2024, 2, 29))),
    ("年底前", "时效指标", 2025, deadline(date(2025, 12, 31))),
    ("上半年", "时效指标", 2025, deadline(date(2025, 6, 30))),
    ("第三季度末", "时效指标", 2025, deadline(date(2025, 9, 30))),
    ("2023年", "时效指标", None, deadline(date(2023, 12, 31))),
    ("10月前", "时效指标", 2025, deadline(date(2025, 10, 31))),
    ("比上年增长10%", "经济效益指标", None, QUALITATIVE),
    ("2025科技创新环境建设", "经济效益指标", None, QUALITATIVE),
    ("及时", "时效指标", None, QUALITATIVE),
    # --- seed 000 (唐山市路南区科学技术局, 2025)
    ("≥80%", "质量指标", 2025, quant(">=", "80", "%")),
    ("≥100%", "时效指标", 2025, quant(">=", "100", "%")),
    ("≥23000万元", "经济效益指标", 2025, quant(">=", "23000", "万元")),
    ("≥5项", "社会效益指标", 2025, quant(">=", "5", "项")),
    ("≥6个", "数量指标", 2025, quant(">=", "6", "个")),
    ("≥1年", "时效指标", 2025, quant(">=", "1", "年")),
    ("≤70.62万元", "成本指标", 2025, quant("<=", "70.62", "万元")),
    ("≤30.62万元", "经济效益指标", 2025, quant("<=", "30.62", "万元")),
    ("≥84万元", "成本指标", 2025, quant(">=", "84", "万元")),
    ("≥60%", "社会效益指标", 2025, quant(">=", "60", "%")),
    ("≤30万元", "成本指标", 2025, quant("<=", "30", "万元")),
    ("≥6家", "数量指标", 2025, quant(">=", "6", "家")),
    ("≥2条", "质量指标", 2025, quant(">=", "2", "条")),
    ("≥2次", "时效指标", 2025, quant(">=", "2", "次")),
    ("≥20万元", "成本指标", 2025, quant(">=", "20", "万元")),
    # --- seed 001 (唐山市科学技术局, 2021; PDF text)
    ("100%", "质量指标", 2021, quant(None, "100", "%")),
    ("1178 万元", "成本指标", 2021, quant(None, "1178", "万元")),
    ("10000 万元", "成本指标", 2021, quant(None, "10000", "万元")),
    ("群众满意度达到 95%以上", "服务对象满意度指标", 2021, quant(">=", "95", "%")),
    ("群众满意度达\n到 95%以上", "服务对象满意度指标", 2021, quant(">=", "95", "%")),
    ("95%以上", "服务对象满意度指标", 2021, quant(">=", "95", "%")),
    ("3个", "数量指标", 2021, quant(None, "3", "个")),
    ("1处", "社会效益指标", 2021, quant(None, "1", "处")),
    ("50 场", "数量指标", 2021, quant(None, "50", "场")),
    ("2021 年 12 月\n底", "时效指标", 2021, deadline(date(2021, 12, 31))),
    # --- seed 002 (高新区科技局, 2023)
    ("≥60家", "数量指标", 2023, quant(">=", "60", "家")),
    ("提高", "社会效益指标", 2023, QUALITATIVE),
    ("增长", "质量指标", 2023, QUALITATIVE),
    # --- seed 003 (沧州临港经济技术开发区循环经济促进中心, 2025)
    ("≥90百分比", "服务对象满意度指标", 2025, quant(">=", "90", "%")),
    ("≥10家", "质量指标", 2025, quant(">=", "10", "家")),
    ("≥300天", "质量指标", 2025, quant(">=", "300", "天")),
    ("300天", "质量指标", 2025, quant(None, "300", "天")),
    ("1家", "数量指标", 2025, quant(None, "1", "家")),
    ("8家", "数量指标", 2025, quant(None, "8", "家")),
    ("活动完成时限", "时效指标", 2025, QUALITATIVE),
    ("资金准时发放", "时效指标", 2025, QUALITATIVE),
    ("按时完成资金拨付工作", "时效指标", 2025, QUALITATIVE),
    ("控制在预算内完成拨付", "成本指标", 2025, QUALITATIVE),
    ("严格控制在预算内", "成本指标", 2025, QUALITATIVE),
    ("优化技术创新环境", "经济效益指标", 2025, QUALITATIVE),
    ("持续推进产学研对接", "可持续影响指标", 2025, QUALITATIVE),
    ("企业满意度较高", "服务对象满意度指标", 2025, QUALITATIVE),
    # --- seed 004 (石嘴山市科学技术局, 2025; Markdown)
    ("6 次", "数量指标", 2025, quant(None, "6", "次")),
    ("≥12家", "数量指标", 2025, quant(">=", "12", "家")),
    ("≥1项", "数量指标", 2025, quant(">=", "1", "项")),
    ("≤3%", "质量指标", 2025, quant("<=", "3", "%")),
    ("≥1000万元", "时效指标", 2025, quant(">=", "1000", "万元")),
    ("≤200万/个", "成本指标", 2025, quant("<=", "200", "万元/个")),
    ("5万元", "成本指标", 2025, quant(None, "5", "万元")),
    ("较为明显", "经济效益", 2025, QUALITATIVE),
    ("紧密契合", "经济效益", 2025, QUALITATIVE),
    ("持续提升", "经济效益", 2025, QUALITATIVE),
    ("稳步突破", "经济效益", 2025, QUALITATIVE),
    ("持续加强", "社会效益", 2025, QUALITATIVE),
    ("进一步提升", "社会效益", 2025, QUALITATIVE),
    ("持续优化", "可持续影响", 2025, QUALITATIVE),
]


@pytest.mark.parametrize(("raw", "level2", "year", "expected"), CASES, ids=[case[0] for case in CASES])
def test_parse_target_value(raw: str, level2: str | None, year: int | None, expected: dict[str, object]) -> None:
    assert parse_target_value(raw, level2=level2, year=year) == TargetValue(raw=raw, **expected)


@pytest.mark.parametrize("raw", ["", "   ", "\t\n", "\u3000"])
def test_blank_is_qualitative_with_empty_raw(raw: str) -> None:
    assert parse_target_value(raw) == TargetValue(raw="", kind="qualitative")


def test_raw_text_is_kept_exactly() -> None:
    raw = " ≥ ９０ 百分比 "
    value = parse_target_value(raw)
    assert value.raw == raw
    assert (value.op, value.number, value.unit) == (">=", D(90), "%")


def test_numbers_are_decimals_not_floats() -> None:
    value = parse_target_value("≤70.62万元")
    assert isinstance(value.number, Decimal)
    assert str(value.number) == "70.62"


@pytest.mark.parametrize(
    ("raw", "level2", "measurable"),
    [
        ("≥1个", None, True),
        ("≤300万元", "成本指标", True),
        ("2023年12月31日前", "时效指标", True),
        ("12月底前完成", "时效指标", True),  # a deadline even without a year to date it
        ("有所提升", None, False),
        ("控制在预算内", "成本指标", False),
        ("", None, False),
    ],
)
def test_is_measurable(raw: str, level2: str | None, measurable: bool) -> None:
    assert is_measurable(parse_target_value(raw, level2=level2)) is measurable


@pytest.mark.parametrize(
    ("raw", "rate", "duration"),
    [
        ("90%以上", True, False),
        ("100百分比", True, False),
        ("≤15个工作日", False, True),
        ("≥1年", False, True),
        ("≥2次", False, False),
        ("≥1000万元", False, False),
        ("是", False, False),
    ],
)
def test_is_rate_and_is_duration(raw: str, rate: bool, duration: bool) -> None:
    value = parse_target_value(raw)
    assert (is_rate(value), is_duration(value)) == (rate, duration)


@pytest.mark.parametrize(
    ("raw", "wan"),
    [
        ("≤300万元", D("300")),
        ("10 万", D("10")),
        ("≤50000元", D("5")),
        ("1.5亿元", D("15000")),
        ("10万元/家", None),  # a rate is not an amount
        ("≤100万/个", None),
        ("≥90%", None),
        ("是", None),
    ],
)
def test_amount_in_wan(raw: str, wan: Decimal | None) -> None:
    assert amount_in_wan(parse_target_value(raw)) == wan


@pytest.mark.parametrize(
    ("raw", "is_placeholder"),
    [
        ("文字描述", True),
        ("由实际申报项目数决定", True),
        ("控制在预算内", True),
        ("严格控制在预算内", True),
        ("控制在预算内完成资金拨付", True),
        ("按实际发生", True),
        ("待定", True),
        ("/", True),
        ("", True),
        ("有所提升", False),
        ("≥90%", False),
        ("控制在300万元以内", False),
    ],
)
def test_placeholder_reason(raw: str, is_placeholder: bool) -> None:
    reason = placeholder_reason(parse_target_value(raw))
    assert (reason is not None) is is_placeholder
    if reason is not None:
        assert any("\u4e00" <= char <= "\u9fff" for char in reason)


@pytest.mark.parametrize(
    ("number", "text"),
    [(D("300.00"), "300"), (D("5.10"), "5.1"), (D("100"), "100"), (D("0.00"), "0"), (D("70.62"), "70.62")],
)
def test_format_number(number: Decimal, text: str) -> None:
    assert format_number(number) == text


# (printed 指标值, what pages, workbooks and reports show)
DISPLAY_CASES: list[tuple[str, str]] = [
    # the seed's and the forms
    (r"$\geq 98\%$", "≥98%"),
    (r"$\leq$ 5个工作日", "≤ 5个工作日"),
    (r"$100\%$", "100%"),
    (r"$\ge 3$个", "≥3个"),
    (r"$\le 10$万元", "≤10万元"),
    (r"$\geqslant 90\%$", "≥90%"),
    (r"$$\leq 3\%$$", "≤3%"),
    (r"\(\geq 95\%\)", "≥95%"),
    # symbols
    (r"$3 \times 10^{4}$元", "3×10⁴元"),
    (r"$\pm 5\%$", "±5%"),
    (r"$8\sim10$位", "8~10位"),
    (r"$\neq 0$", "≠0"),
    (r"$\approx 50$ 家", "≈50 家"),
    (r"面积 $100 m^2$", "面积 100m²"),
    # \gt / \lt read as > / <; a printed > or < stays as it is
    (r"$\gt 90\%$", ">90%"),
    (r"$\lt 5$天", "<5天"),
    (">90%", ">90%"),
    ("<=3%", "<=3%"),
    # text, spacing and braces
    (r"$\text{不少于} 5$ 家", "不少于5 家"),
    (r"$\mathrm{km}$", "km"),
    (r"$1\,000$万元", "1000万元"),
    (r"$1\ 000$", "1 000"),
    (r"$a~b$", "a b"),
    (r"${98}\%$", "98%"),
    (r"$\left( 5 \right)$", "(5)"),
    # LaTeX commands without $ … $ (a sloppy export): read too
    (r"\geq 95%", "≥95%"),
    (r"不低于\,90\%", "不低于90%"),
    # nothing to do: returned unchanged, including ~ as a range and a lone $
    ("≥90%", "≥90%"),
    ("8~10位", "8~10位"),
    ("有所提升", "有所提升"),
    ("", ""),
    ("5$", "5$"),
    # an unknown command keeps its name, never the backslash
    (r"$\alpha$", "alpha"),
]


@pytest.mark.parametrize(("raw", "shown"), DISPLAY_CASES)
def test_display_text(raw: str, shown: str) -> None:
    assert display_text(raw) == shown


@pytest.mark.parametrize(("raw", "shown"), [case for case in DISPLAY_CASES if "$" in case[0]])
def test_display_text_parses_like_the_printed_text(raw: str, shown: str) -> None:
    """Storing the shown text never changes the parsed target: both read the same."""
    printed, plain = parse_target_value(raw), parse_target_value(shown)
    if printed.kind != "qualitative":
        assert (plain.kind, plain.op, plain.number, plain.unit) == (
            printed.kind, printed.op, printed.number, printed.unit)
