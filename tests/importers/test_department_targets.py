"""The department's own indicators read from the 分项绩效目标 prose of seeds 000, 002 and 003.

Expected rows were worked out by hand from the seed text (see the sentences quoted in each test),
not produced by running the reader.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from tests.importers.target_fixtures import SEEDS
from tracker.importers.department_targets import DepartmentGoal, read_department_goals
from tracker.importers.targets import read_target_document


@cache
def goals(prefix: str) -> tuple[DepartmentGoal, ...]:
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    document = read_target_document(path.name, path.read_bytes())
    return read_department_goals(document.department.sub_goals, year=document.year)


def rows(prefix: str) -> list[tuple[str, str, str, str, str | None, Decimal | None, str | None, bool, int]]:
    return [
        (goal.title, i.name, i.level1, i.level2, i.value.op, i.value.number, i.value.unit,
         i.value.kind == "qualitative", len(i.findings))
        for goal in goals(prefix) for i in goal.indicators
    ]


def test_seed_002_sentences_split_into_indicators() -> None:
    # 绩效指标：2023年度高新技术企业新增25家以上；进一步完善…，2023年新认定国家科技型中小企业240家。；区内企业满意度大于90%。
    # 绩效指标：及时足额拨付机器人产业扶持资金；区内机器人企业创新能力明显提高，机器人产业企业满意度达到90%。
    first, second = "为高新区提供科技创新项目支撑", "完善科技创新服务体系建设，推进机器人产业发展"
    assert rows("002") == [
        (first, "高新技术企业新增", "产出指标", "数量指标", ">=", Decimal(25), "家", False, 0),
        (first, "新认定国家科技型中小企业", "产出指标", "数量指标", None, Decimal(240), "家", False, 0),
        (first, "区内企业满意度", "满意度指标", "服务对象满意度指标", ">", Decimal(90), "%", False, 0),
        (second, "及时足额拨付机器人产业扶持资金", "产出指标", "时效指标", None, None, None, True, 0),
        (second, "区内机器人企业创新能力", "效益指标", "社会效益指标", None, None, None, True, 1),
        (second, "机器人产业企业满意度", "满意度指标", "服务对象满意度指标", ">=", Decimal(90), "%", False, 0),
    ]
    sources = [i.source for goal in goals("002") for i in goal.indicators]
    assert sources[1].startswith("进一步完善科技型中小企业培育机制") and sources[1].endswith("240家")
    vague = goals("002")[1].indicators[1]
    assert vague.value.raw == "明显提高" and "模糊" in vague.findings[0]
    assert all(not goal.findings for goal in goals("002"))


def test_seed_003_indicators_without_values_are_flagged() -> None:
    # eight 分项; two say 绩效指标：组织开展相关活动次数, six say 绩效指标：工作开展率 — none gives a value
    found = rows("003")
    assert len(goals("003")) == 8 and len(found) == 8
    assert [row[1] for row in found] == ["组织开展相关活动次数"] * 2 + ["工作开展率"] * 6
    assert all(row[4:8] == (None, None, None, True) and row[8] == 1 for row in found)
    assert found[0][2:4] == ("产出指标", "数量指标") and found[2][2:4] == ("产出指标", "质量指标")
    message = goals("003")[2].indicators[0].findings[0]
    assert message == "指标“工作开展率”没有指标值，请给出数值、比率或时限"


def test_seed_000_goals_without_indicators_are_flagged() -> None:
    found = goals("000")
    assert [goal.title for goal in found] == ["科技创新项目支撑", "科技创新环境建设", "科技政务管理"]
    assert all(not goal.indicators for goal in found)
    assert found[0].findings == ("分项“科技创新项目支撑”没有绩效指标，无法监控和自评",)
    assert found[0].target and found[0].target.startswith("以促进产业转型升级")


def test_two_valued_parts_joined_by_a_comma_of_enumeration_are_two_indicators() -> None:
    text = "1.完成创新主体培育工作\n绩效指标：力争2021年高新技术企业达到1400家、科技型中小企业达到10000家。"
    (goal,) = read_department_goals(text, year=2021)
    assert [(i.name, i.value.op, i.value.number) for i in goal.indicators] == [
        ("高新技术企业", ">=", Decimal(1400)), ("科技型中小企业", ">=", Decimal(10000))]


def test_empty_text_has_no_goals() -> None:
    assert read_department_goals(None) == () and read_department_goals("  ") == ()


def test_a_department_table_in_the_integrated_layout() -> None:
    from tracker.importers.department_targets import TABLE_GOAL, read_department_table

    rows = [("部门整体绩效目标表",), ("一级指标", "二级指标", "三级指标", "指标值", "分值"),
            ("产出指标", "数量指标", "认定高新技术企业数", "≥25家", "20"),
            ("", "", "科普活动场次", "", ""),
            ("", "时效指标", "资金拨付及时率", "100%", ""),
            ("效益", "社会效益", "企业创新能力", "明显提高", ""),
            ("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", ""),
            ("其他", "", "档案整理", "2025年12月31日前", "")]
    (goal,) = read_department_table(rows, year=2025)
    assert goal.title == TABLE_GOAL and not goal.findings
    got = [(i.level1, i.level2, i.name, i.value.op, i.value.number, i.value.unit, i.weight, len(i.findings))
           for i in goal.indicators]
    assert got == [
        ("产出指标", "数量指标", "认定高新技术企业数", ">=", Decimal(25), "家", Decimal(20), 0),
        ("产出指标", "数量指标", "科普活动场次", None, None, None, None, 1),
        ("产出指标", "时效指标", "资金拨付及时率", None, Decimal(100), "%", None, 0),
        ("效益指标", "社会效益指标", "企业创新能力", None, None, None, None, 1),
        ("满意度指标", "服务对象满意度指标", "企业满意度", ">=", Decimal(90), "%", None, 0),
        ("产出指标", "时效指标", "档案整理", None, None, None, None, 0),  # 一级 not scorable: inferred
    ]
    assert goal.indicators[0].source == "产出指标 | 数量指标 | 认定高新技术企业数 | ≥25家 | 20"
    assert read_department_table([("项目名称", "x")]) == ()


# --- a 部门整体绩效目标表 published as a table, read from whole documents --------------------

DEPARTMENT_TABLE = (("一级指标", "二级指标", "三级指标", "指标值", "分值"),
                    ("产出指标", "数量指标", "科技型企业培训次数", "≥ 10 次", "30"),
                    ("", "", "科技服务工作开展率", "", ""),
                    ("效益指标", "社会效益指标", "企业创新能力", "明显提高", ""),
                    ("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "10"))
EXPECTED_TABLE = [
    ("产出指标", "数量指标", "科技型企业培训次数", ">=", Decimal(10), "次", Decimal(30), ()),
    ("产出指标", "数量指标", "科技服务工作开展率", None, None, None, None,
     ("指标“科技服务工作开展率”没有指标值，请给出数值、比率或时限",)),
    ("效益指标", "社会效益指标", "企业创新能力", None, None, None, None,
     ("指标“企业创新能力”的指标值“明显提高”是模糊表述，无法衡量，请给出数值、比率或时限",)),
    ("满意度指标", "服务对象满意度指标", "企业满意度", ">=", Decimal(90), "%", Decimal(10), ()),
]


def _table_indicators(rows: tuple[tuple[str, ...], ...], year: int) -> list[tuple[object, ...]]:
    from tracker.importers.department_targets import TABLE_GOAL, read_department_table

    (goal,) = read_department_table(rows, year=year)
    assert goal.title == TABLE_GOAL
    return [(i.level1, i.level2, i.name, i.value.op, i.value.number, i.value.unit, i.weight, i.findings)
            for i in goal.indicators]


def test_a_department_table_in_running_pdf_text() -> None:
    """Seed 001 printed as a text PDF (no ruled tables: the flow layout) with the table under
    its own heading after the 分项绩效目标: each row one line, cells separated by spaces, merged
    一级/二级 cells printed once."""
    from tests.importers.target_fixtures import seed_bytes, text_pdf_bytes
    from tracker.importers.targets import read_target_document

    lines = seed_bytes("001").decode("utf-8").splitlines()
    at = next(index for index, line in enumerate(lines) if line.startswith("二、分项绩效目标"))
    table = ["部门整体绩效目标表", *("  ".join(cell for cell in row if cell) for row in DEPARTMENT_TABLE)]
    plain = read_target_document("001.pdf", text_pdf_bytes(lines))
    doc = read_target_document("001.pdf", text_pdf_bytes([*lines[:at], *table, *lines[at:]]))
    assert doc.layout == "pdf-text"
    assert _table_indicators(doc.department.indicator_rows, doc.year) == EXPECTED_TABLE
    assert doc.department.sub_goals == plain.department.sub_goals  # the table is not prose
    from tests.importers.test_target_formats import comparable

    assert [comparable(p) for p in doc.projects] == [comparable(p) for p in plain.projects]


def test_a_department_table_in_a_markdown_document() -> None:
    """Seed 004 as Markdown pipe tables, with a 部门整体绩效目标表 above the first project."""
    from tests.importers.target_fixtures import seed_bytes
    from tracker.importers.targets import read_target_document

    lines, inserted = [], False
    for line in seed_bytes("004").decode("utf-8").splitlines():
        if line.startswith("# 部门项目支出预算绩效目标表") and not inserted:
            inserted = True
            lines += ["# 部门整体绩效目标表", "| " + " | ".join(DEPARTMENT_TABLE[0]) + " |", "|---|---|---|---|---|",
                      *("| " + " | ".join(row) + " |" for row in DEPARTMENT_TABLE[1:]), ""]
        if "\t" in line:
            lines.append("| " + " | ".join(line.split("\t")) + " |")
            if "一级指标" in line:
                lines.append("|---|---|---|---|")
        else:
            lines.append(line)
    doc = read_target_document("004.md", "\n".join(lines).encode("utf-8"))
    assert doc.layout == "markdown" and len(doc.projects) == 3
    assert _table_indicators(doc.department.indicator_rows, doc.year) == EXPECTED_TABLE
