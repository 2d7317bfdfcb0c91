"""The words a person reads for the severity of a finding (what an importer flagged): the
code travels (``error`` / ``warning`` / ``info``), the page shows the word from here."""

from __future__ import annotations

FINDING_SEVERITY_LABELS: dict[str, str] = {
    "error": "错误",
    "warning": "请核对",
    "info": "说明",
}


def finding_severity_label(severity: str) -> str:
    """错误 / 请核对 / 说明; an unknown code is shown as 提示, never as the code itself."""
    return FINDING_SEVERITY_LABELS.get(severity, "提示")
