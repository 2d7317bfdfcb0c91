"""tracker.core stays pure: standard library and tracker.core only, no clock, no float."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "tracker" / "core"
PACKAGE = "tracker.core"
CLOCK_ATTRIBUTES = {"today", "now", "utcnow"}


def _imported_modules(tree: ast.AST) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                modules.append(node.module or "")
            else:
                # A module directly in tracker/core: level 1 is tracker.core, level 2 is tracker.
                base = PACKAGE.split(".")[: 2 - (node.level - 1)]
                modules.append(".".join([*base, *([node.module] if node.module else [])]))
    return modules


def _allowed(module: str) -> bool:
    if module == PACKAGE or module.startswith(PACKAGE + "."):
        return True
    top = module.split(".")[0]
    return top != "time" and top in sys.stdlib_module_names


def violations(source: str) -> list[str]:
    """What in ``source`` breaks the purity rule: foreign imports, clock reads, floats."""
    tree = ast.parse(source)
    found = [f"import {m}" for m in _imported_modules(tree) if not _allowed(m)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_ATTRIBUTES:
            found.append(f"clock .{node.attr}")
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"float literal {node.value}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float":
            found.append("float()")
    return found


def core_modules() -> list[Path]:
    return sorted(CORE.glob("*.py"))


def test_core_has_modules() -> None:
    names = {path.name for path in core_modules()}
    assert {"__init__.py", "plan.py", "money.py", "scoring.py"} <= names


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.name)
def test_core_module_is_pure(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import decimal\nfrom datetime import date", []),
        ("from __future__ import annotations", []),
        ("from tracker.core.plan import planned_pct", []),
        ("from tracker.core import plan", []),
        ("from . import plan", []),
        ("from .plan import planned_pct", []),
        ("import flask", ["import flask"]),
        ("from sqlalchemy import select", ["import sqlalchemy"]),
        ("import tracker", ["import tracker"]),
        ("from tracker.models import Project", ["import tracker.models"]),
        ("from tracker import errors", ["import tracker"]),
        ("import tracker.core_extra", ["import tracker.core_extra"]),
        ("from .. import db", ["import tracker"]),
        ("from ..importers import target_records", ["import tracker.importers"]),
        ("import time", ["import time"]),
        ("d = date.today()", ["clock .today"]),
        ("t = datetime.now()", ["clock .now"]),
        ("x = 0.5", ["float literal 0.5"]),
        ("x = float('1')", ["float()"]),
    ],
)
def test_violations_detects(source: str, expected: list[str]) -> None:
    assert violations(source) == expected
