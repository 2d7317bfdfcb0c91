"""Matching ledger rows to projects (DOMAIN §1, §4), without writing anything.

In order: project code in any reference column → exact project name → 指标文号 (learned from
rows already matched by code or name) → the unit's saved rules → unmatched; the rows of a
sheet without any project take the project the user chose for it.  Used by the import's
preview (``ledger_import``) and by the unmatched queue (``ledger_queue``: rules, suggestions).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import repeat
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.importers.ledger.records import LedgerColumns, LedgerParse
from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import LedgerRow, LedgerText, MatchRule, Project, Unit

SPACES = re.compile(r"\s+")


def _norm(text: str | None) -> str:
    return SPACES.sub("", text or "")


def match_rows(session: Session, unit: Unit, projects: Sequence[Project],
               rows: Sequence[ParsedRow], matched: ChunkMatcher | None = None
               ) -> list[tuple[int | None, str | None]]:
    """Project id and method for every row (see the module docstring for the order).
    ``matched``: the rows' code and name matches already made chunk by chunk (with projects
    of these years among others: a row is only matched against its own year's)."""
    rules = list(session.scalars(select(MatchRule).where(MatchRule.unit_id == unit.id).order_by(MatchRule.id)))
    if matched is not None and len(matched.results) == len(rows):
        learned = matched.learned if matched.learned is not None else learned_document_numbers(session, unit.id)
        cache, results = matched.cache, list(matched.results)
    else:
        learned = learned_document_numbers(session, unit.id)
        cache = ChunkMatcher(projects).cache
        results = ChunkMatcher.match_with(cache, LedgerColumns.from_rows(rows))
    unmatched = cache.unmatched  # one object for every unmatched row
    pending_docs = [i for i, found in enumerate(results) if found is unmatched] \
        if unmatched in cache.values() else []
    # 指标文号: learn from rows of this file and earlier batches that matched by code or name.
    for key, (pid, method) in cache.items():
        doc = _norm(key[4])
        if pid is not None and doc and method in ("code", "name"):
            learned[doc].add(pid)
    for index in pending_docs:
        row = rows[index]
        doc = _norm(row.document_no)
        candidates = learned.get(doc, set()) if doc else set()
        if len(candidates) == 1:
            results[index] = (next(iter(candidates)), "document_no")
            continue
        for rule in rules:
            if rule_applies(rule, row):
                results[index] = (rule.project_id, "rule")
                break
    return results


class ChunkMatcher:
    """Code and name matches for the chunks of a file as they are read (``ledger_pipeline``):
    the first steps of ``match_rows``, with one cache for the whole file.  A row they do not
    match gets (None, None) for now: 指标文号 and the saved rules need the whole file, and
    ``match_rows`` on the finished parse says what the rows are finally matched to."""

    def __init__(self, projects: Sequence[Project]) -> None:
        by_year: dict[int, list[Project]] = defaultdict(list)
        for project in projects:
            by_year[project.year].append(project)
        self.cache = _MatchCache({year: _Matcher(items) for year, items in by_year.items()}, (None, None))
        self.results: list[tuple[int | None, str | None]] = []  # of every chunk so far
        # 指标文号 → projects, learned from the rows stored before the file's (set by the caller)
        self.learned: dict[str, set[int]] | None = None

    def match(self, columns: LedgerColumns) -> list[tuple[int | None, str | None]]:
        found = self.match_with(self.cache, columns)
        self.results.extend(found)
        return found

    @staticmethod
    def match_with(cache: _MatchCache, columns: LedgerColumns) -> list[tuple[int | None, str | None]]:
        # one match per distinct (year, code, name, reference, 指标文号), applied column-wise in
        # one pass (the cache computes a key the first time it is looked up)
        years = {day: day.year for day in set(columns.date)}
        distinct = set(years.values())
        # (one year, as usual: repeated rather than looked up for every row)
        year = repeat(distinct.pop()) if len(distinct) == 1 else map(years.__getitem__, columns.date)
        return list(map(cache.__getitem__, zip(
            year, columns.project_code, columns.project_name, columns.project_ref_raw, columns.document_no)))


class _MatchCache(dict[tuple[Any, ...], tuple[int | None, str | None]]):
    """(year, code, name, reference, 指标文号) → (project id, method), matched when first asked."""

    def __init__(self, matchers: dict[int, _Matcher], unmatched: tuple[None, None]) -> None:
        super().__init__()
        self.matchers = matchers
        self.unmatched = unmatched

    def __missing__(self, key: tuple[Any, ...]) -> tuple[int | None, str | None]:
        matcher = self.matchers.get(key[0])
        found = matcher.match_key(*key[1:]) if matcher else self.unmatched
        if found[0] is None:
            found = self.unmatched
        self[key] = found
        return found


class _Matcher:
    def __init__(self, projects: Sequence[Project]) -> None:
        self.by_code = {p.code: p.id for p in projects if p.code}
        names: dict[str, list[int]] = defaultdict(list)
        for p in projects:
            names[_norm(p.name)].append(p.id)
        self.by_name = {name: ids[0] for name, ids in names.items() if len(ids) == 1}
        codes = sorted(self.by_code, key=len, reverse=True)
        self.code_pattern = re.compile("|".join(map(re.escape, codes))) if codes else None

    def match_key(self, project_code: str | None, project_name: str | None,
                  project_ref_raw: str | None, document_no: str | None) -> tuple[int | None, str | None]:
        if project_code and project_code in self.by_code:
            return self.by_code[project_code], "code"
        if self.code_pattern is not None:
            for text in (project_code, project_ref_raw, project_name, document_no):
                if text:
                    hit = self.code_pattern.search(text)
                    if hit:
                        return self.by_code[hit.group(0)], "code"
        for text in (project_name, project_ref_raw):
            name = _norm(text)
            if name in self.by_name:
                return self.by_name[name], "name"
        # "code name" or "项目：name" references whose code we do not know
        raw = _norm(project_ref_raw)
        if raw:
            for name, pid in self.by_name.items():
                if name and raw.endswith(name) and len(name) >= 4:
                    return pid, "name"
        return None, None


def learned_document_numbers(session: Session, unit_id: int) -> dict[str, set[int]]:
    """指标文号 → the projects stored rows with it were matched to by code or name."""
    learned: dict[str, set[int]] = defaultdict(set)
    for doc, pid in session.execute(
            select(LedgerText.value, LedgerRow.project_id)
            .join(LedgerText, LedgerText.id == LedgerRow.document_no_text_id).where(
                LedgerRow.unit_id == unit_id, LedgerRow.project_id.is_not(None),
                LedgerRow.match_method.in_(("code", "name"))).distinct()):
        learned[_norm(doc)].add(pid)
    return learned


def rule_applies(rule: MatchRule, row: ParsedRow | LedgerRow | QueueRowLike) -> bool:
    if rule.valid_from and row.date < rule.valid_from:
        return False
    if rule.valid_to and row.date > rule.valid_to:
        return False
    if rule.account_prefix and not (row.account_code or "").startswith(rule.account_prefix):
        return False
    if rule.summary_keyword and rule.summary_keyword not in (row.summary or ""):
        return False
    if rule.project_text and _norm(rule.project_text) not in {
            _norm(text) for text in (row.project_ref_raw, row.project_name, row.project_code) if text}:
        return False
    return bool(rule.account_prefix or rule.summary_keyword or rule.project_text)


class QueueRowLike(Protocol):
    """What a rule reads of a row (a parsed row, a stored row, or a queue row)."""

    date: date
    account_code: str | None
    summary: str | None
    project_ref_raw: str | None
    project_name: str | None
    project_code: str | None


def suggest_projects(texts: Iterable[str], projects: Sequence[Project], limit: int = 3
                     ) -> dict[str, list[tuple[str, int, float]]]:
    """Fuzzy suggestions (rapidfuzz) for unmatched names: offered, never applied."""
    from rapidfuzz import fuzz, process

    choices = {p.id: p.name for p in projects}
    suggestions: dict[str, list[tuple[str, int, float]]] = {}
    for text in dict.fromkeys(t for t in texts if t):
        hits = process.extract(text, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
        if hits:
            suggestions[text] = [(name, pid, round(score, 1)) for name, score, pid in hits]
    return suggestions


def match_sheets(parse: LedgerParse, matches: list[tuple[int | None, str | None]],
                  findings: list[dict[str, str]], chosen: dict[str, Project]) -> None:
    """Rows of a sheet without any project take the project the user chose for that sheet
    (the mapping form's answer to ``question_sheet_project``; method "sheet")."""
    if not chosen:
        return
    found: dict[str, tuple[int | None, str | None]] = {sheet: (p.id, "sheet") for sheet, p in chosen.items()}
    for index, sheet in enumerate(parse.columns.sheet):
        if sheet in found:
            matches[index] = found[sheet]
    for sheet, project in chosen.items():
        where = f"文件 {parse.file} 工作表 {sheet}"
        findings[:] = [f for f in findings if not (f["code"] == "question_sheet_project"
                                                     and f["location"] == where)]
        findings.append({"severity": "info", "code": "sheet_project_chosen", "location": where,
                         "message": f"工作表“{sheet}”的行按您的选择归入项目“{' '.join(filter(None, (project.code, project.name)))}”"})
