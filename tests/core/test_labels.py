"""One home for every word a person reads for a code (core/labels.py, issue #18)."""

from __future__ import annotations

import re
from pathlib import Path

from tracker.core.labels import COLOUR_LABELS, MONEY_STATUS_LABELS, STATUS_LABELS, status_label

ROOT = Path(__file__).resolve().parents[2]
LAMP_WORDS = ("红灯", "黄灯", "绿灯", "蓝灯")


def test_grey_has_one_word_everywhere() -> None:
    assert COLOUR_LABELS["grey"] == MONEY_STATUS_LABELS["grey"] == status_label("grey") == "无法判断"
    assert status_label("overspent") == "超支" and STATUS_LABELS["blue"] == "蓝灯"


def copies_of_the_colour_words() -> list[str]:
    """Lines outside core/labels.py that spell a lamp word as a string literal (a second map),
    and the old words for grey."""
    found = []
    literal = re.compile("|".join(f"[\"']{w}[\"']" for w in LAMP_WORDS))
    for path in [*sorted((ROOT / "tracker").rglob("*.py")), *sorted((ROOT / "templates").rglob("*.html"))]:
        if path == ROOT / "tracker" / "core" / "labels.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if literal.search(line) or "未填报/无法判断" in line or re.search(r"[\"']grey[\"']\s*:\s*[\"'][^#]", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_no_copy_of_the_colour_labels_outside_core_labels() -> None:
    assert copies_of_the_colour_words() == []
