"""Target import speed: a generated 绩效目标 document with 500 projects (issue: under 10 s).

    python benchmarks/target_import.py [--projects 500]

Builds a document in the layout of seed 000 (Word tables flattened to text) with N distinct
projects, then measures on a fresh SQLite database:
  * tracker's import: parse + review + plan + apply, one transaction;
  * the naive way: each project imported as its own one-project document, one commit each;
and prints both and their ratio.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import migration  # noqa: E402
from tracker.db import Database  # noqa: E402
from tracker.services.target_import import UploadedFile, apply_import, plan_import  # noqa: E402

SEED = ROOT / "seeds" / "000_84b2129734047c8f.txt"


def split_seed() -> tuple[str, str]:
    """(document head up to the first project table, the first project table)."""
    text = SEED.read_text(encoding="utf-8")
    tables = [m.start() for m in re.finditer(r"\[bookmark: _Toc_4_4_\d+\]\d+\.", text)]
    return text[: tables[0]], text[tables[0]: tables[1]]


def project_table(template: str, index: int) -> str:
    table = re.sub(r"\[bookmark: _Toc_4_4_\d+\]\d+\.", f"[bookmark: _Toc_4_4_{index:010d}]{index}.", template, count=1)
    table = table.replace("13020225P00892710002C", f"13020225P{index:011d}C")
    return table.replace("2025年省级技术创新引导专项资金", f"2025年第{index}号科技专项资金")


def build(count: int) -> tuple[bytes, list[bytes]]:
    head, template = split_seed()
    tables = [project_table(template, i) for i in range(1, count + 1)]
    whole = (head + "".join(tables)).encode("utf-8")
    singles = [(head + table).encode("utf-8") for table in tables]
    return whole, singles


def fresh_database(folder: str, name: str) -> Database:
    url = f"sqlite:///{folder}/{name}.db"
    database = Database(url)
    migration.upgrade(url, database.engine)
    return database


def timed_import(database: Database, documents: list[bytes]) -> tuple[float, int]:
    created = 0
    start = time.perf_counter()
    for index, data in enumerate(documents):
        with database.session() as session:
            plan = plan_import(session, [UploadedFile(f"bench-{index}.txt", data)])
            apply_import(session, plan, "benchmark")
            session.commit()
            created += plan.count("created")
    return time.perf_counter() - start, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=500)
    args = parser.parse_args()
    whole, singles = build(args.projects)
    with tempfile.TemporaryDirectory() as folder:
        ours, created = timed_import(fresh_database(folder, "ours"), [whole])
        naive, naive_created = timed_import(fresh_database(folder, "naive"), singles)
    assert created == naive_created == args.projects, (created, naive_created)
    print(f"document: {args.projects} projects, {len(whole) / 1e6:.2f} MB")
    print(f"tracker import (one document, one transaction): {ours:.2f} s "
          f"({args.projects / ours:.0f} projects/s)  target < 10 s: {'OK' if ours < 10 else 'MISSED'}")
    print(f"naive (one document and commit per project):     {naive:.2f} s")
    print(f"ratio naive / tracker: {naive / ours:.1f}x")


if __name__ == "__main__":
    main()
