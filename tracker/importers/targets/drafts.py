"""What a layout reader finds in one project table, still as printed text.

Both interpreters (tables, flow text) fill a ``ProjectDraft``; ``projects.build_project`` turns it
into a ``ProjectRecord`` (amounts, plan, parsed values, findings), so those rules exist once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.importers.target_records import Finding


@dataclass(frozen=True)
class IndicatorDraft:
    level1: str
    level2: str
    name: str
    description: str | None
    value: str
    basis: str | None
    weight: str | None
    row: int


@dataclass
class ProjectDraft:
    ordinal: int  # 1-based position among the project tables of the document
    row: int  # where the 项目名称 row is
    title: str | None = None
    unit_line: str | None = None  # "306001唐山市路南区科学技术局本级" printed above the table
    fields: dict[str, str] = field(default_factory=dict)  # code, name, budget, fiscal, ... as printed
    field_rows: dict[str, int] = field(default_factory=dict)
    plan_header: str | None = None  # "资金支出计划（%）"
    plan_labels: list[str] = field(default_factory=list)  # "3月底" ...
    plan_values: list[str] = field(default_factory=list)  # "25%" ... aligned with plan_labels
    plan_row: int | None = None
    indicators: list[IndicatorDraft] = field(default_factory=list)
    has_indicator_header: bool = False
    findings: list[Finding] = field(default_factory=list)

    def set_field(self, key: str, value: str, row: int) -> None:
        """Keep the first non-blank value printed for a field."""
        if key not in self.fields or (value.strip() and not self.fields[key].strip()):
            self.fields[key] = value
            self.field_rows[key] = row
