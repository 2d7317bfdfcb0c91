"""Rebuilding one indicator row from PDF text, where each cell's wrapped lines follow each other.

A PDF text extract prints the cells of a table row one after another, each cell wrapped at its
column's width: ``企业获省科 / 学技术奖项 / 目 18 项 / 获奖数 18 项 / 根据年度工 / 作安排``.  Cells
that fit on one line may share a line, separated by a space (``项目完成率 项目完成率 100%``).

``split_cells`` tries every way of cutting the lines into the expected columns (三级, 描述,
指标值 …) and keeps the cheapest by these costs:

* a line that is not the last of its cell should fill the column (it wrapped): a short one costs;
* a cell's last line cannot be wider than its wrapped lines (it would have wrapped too);
* the 指标值 cell should read as a target (a number, a bound, a date): otherwise it costs;
* a 三级/描述 cell that reads as a target (``18 项``) costs;
* cutting a line at a space costs a little (spaces also occur inside cells, ``2021 年 12 月``).

The result says how sure it is (cost left after cuts, and the margin to the next best reading),
so the caller can record a finding instead of presenting a guess as fact.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import combinations

from tracker.importers.target_values import parse_target_value

CUT_COST = 1.0
MAX_LINES = 16
MAX_SPACES = 12


@dataclass(frozen=True)
class Fragment:
    text: str
    row: int


@dataclass(frozen=True)
class CellSplit:
    cells: tuple[str, ...]
    cost: float  # without the cost of cuts
    margin: float  # to the next best reading (inf when there is only one)

    @property
    def certain(self) -> bool:
        return self.cost < 3 and self.margin >= 1


@dataclass(frozen=True)
class _Piece:
    text: str
    cut_after: bool  # the line was cut here: a cell boundary


def display_width(text: str) -> int:
    """Width in half-width columns, spaces not counted (extractors insert them around digits)."""
    return sum(
        0 if char.isspace() else 2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text
    )


def full_width(fragments: Sequence[Fragment]) -> float:
    """How wide a wrapped line is in this document: the commonest width among the wider half of
    the lines (narrow columns wrap at a few characters, so wrapped lines share one width)."""
    widths = sorted(display_width(fragment.text) for fragment in fragments)
    if not widths:
        return 0.0
    upper = Counter(widths[len(widths) // 2:])
    return float(max(upper, key=lambda width: (upper[width], width)))


def join_lines(parts: Sequence[str]) -> str:
    """Wrapped lines back into one text: no break between CJK, a space between ASCII words."""
    joined = ""
    for part in parts:
        part = part.strip()
        if joined and part and _ascii_word(joined[-1]) and _ascii_word(part[0]):
            joined += " "
        joined += part
    return joined


def _ascii_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def split_cells(fragments: Sequence[Fragment], kinds: Sequence[str], wrap_width: float) -> CellSplit | None:
    """The cells (in ``kinds`` order: "name", "description", "value", "basis") of one row, or None."""
    lines = [" ".join(fragment.text.split()) for fragment in fragments]
    if not lines or len(lines) > MAX_LINES or not kinds:
        return None
    spaces = [(line_index, position) for line_index, line in enumerate(lines)
              for position, char in enumerate(line) if char == " "][:MAX_SPACES]
    count = len(kinds)
    readings: list[tuple[float, float, tuple[str, ...]]] = []
    for cut_count in range(0, min(count - 1, len(spaces)) + 1):
        for cuts in combinations(spaces, cut_count):
            pieces = _pieces(lines, cuts)
            mandatory = [index for index, piece in enumerate(pieces[:-1]) if piece.cut_after]
            optional = [index for index, piece in enumerate(pieces[:-1]) if not piece.cut_after]
            extra = count - 1 - len(mandatory)
            if extra < 0 or extra > len(optional):
                continue
            for chosen in combinations(optional, extra):
                bounds = sorted([*mandatory, *chosen])
                cells = _group(pieces, bounds)
                cost = sum(_cell_cost(kind, cell, wrap_width) for kind, cell in zip(kinds, cells, strict=True))
                texts = tuple(join_lines([piece.text for piece in cell]) for cell in cells)
                rank = cost + CUT_COST * cut_count - _restatement(kinds, texts)
                readings.append((rank, cost, texts))
    if not readings:
        return None
    readings.sort(key=lambda reading: reading[0])
    best_total, best_cost, best_cells = readings[0]
    others = [total for total, _, cells in readings[1:] if cells != best_cells]
    margin = (others[0] - best_total) if others else float("inf")
    return CellSplit(cells=best_cells, cost=best_cost, margin=margin)


def _restatement(kinds: Sequence[str], texts: Sequence[str]) -> float:
    """0..1: how much the 描述 restates the 三级 name (they usually do); breaks ties only."""
    if "name" not in kinds or "description" not in kinds:
        return 0.0
    name, description = texts[kinds.index("name")], texts[kinds.index("description")]
    return SequenceMatcher(None, name, description).ratio()


def _pieces(lines: Sequence[str], cuts: Sequence[tuple[int, int]]) -> list[_Piece]:
    by_line: dict[int, list[int]] = {}
    for line_index, position in cuts:
        by_line.setdefault(line_index, []).append(position)
    pieces: list[_Piece] = []
    for line_index, line in enumerate(lines):
        start = 0
        for position in sorted(by_line.get(line_index, [])):
            pieces.append(_Piece(line[start:position], cut_after=True))
            start = position + 1
        pieces.append(_Piece(line[start:], cut_after=False))
    return pieces


def _group(pieces: Sequence[_Piece], bounds: Sequence[int]) -> list[list[_Piece]]:
    cells: list[list[_Piece]] = []
    start = 0
    for bound in bounds:
        cells.append(list(pieces[start: bound + 1]))
        start = bound + 1
    cells.append(list(pieces[start:]))
    return cells


_OPERATOR_ENDING = re.compile(
    r"(?:达到|达|不低于|不少于|不小于|不超过|不高于|不大于|控制在|大于|小于|高于|低于|超过|至少|为|在)$"
)


@lru_cache(maxsize=4096)
def _reads_as_target(text: str) -> bool:
    """A target by itself: parses as one, with at most a word or an operator before the number
    (``18 项``, ``群众满意度达到 95%以上``, ``2021 年 12 月底``; not ``获奖数 18 项``)."""
    if parse_target_value(text).kind == "qualitative":
        return False
    core = "".join(text.split())
    prefix = re.split(r"[\d≥≤><=]", core, maxsplit=1)[0]
    return len(prefix) <= 1 or bool(_OPERATOR_ENDING.search(prefix))


def _cell_cost(kind: str, pieces: Sequence[_Piece], wrap_width: float) -> float:
    if any(not piece.text.strip() for piece in pieces):
        return 100.0
    cost = 0.0
    widths = [display_width(piece.text) for piece in pieces]
    for width in widths[:-1]:
        if width < wrap_width - 1:
            cost += (wrap_width - 1 - width) * 0.5
    if len(widths) > 1:
        widest = max(widths[:-1])
        # Wrapped lines of one cell are equally wide, and the last line is not wider.
        cost += sum(max(0, widest - width - 1) for width in widths[:-1])
        cost += max(0, widths[-1] - widest - 1) * 2
    text = join_lines([piece.text for piece in pieces])
    reads_as_target = _reads_as_target(text)
    if kind == "value":
        if not reads_as_target:
            cost += 3.0 if any(char.isdigit() for char in text) else 5.0
    elif kind in ("name", "description") and reads_as_target:
        cost += 3.0
    return cost
