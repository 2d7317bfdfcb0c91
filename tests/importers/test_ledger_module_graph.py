"""The ledger reader's modules import one another without a circle, and no module reaches for
another's private names (what is shared is public, in the module that owns it)."""

from __future__ import annotations

import ast
from pathlib import Path

import tracker.importers.ledger as ledger_package

PACKAGE = "tracker.importers.ledger"
FOLDER = Path(ledger_package.__file__).parent


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from tracker.importers.ledger[.module] import name`` in the
    file, at any depth (in functions and under TYPE_CHECKING too)."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == PACKAGE:  # from tracker.importers.ledger import columnar
                found.extend((alias.name, "") for alias in node.names)
            elif node.module.startswith(PACKAGE + "."):
                found.extend((node.module.removeprefix(PACKAGE + "."), alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name.removeprefix(PACKAGE + "."), "") for alias in node.names
                         if alias.name.startswith(PACKAGE + "."))
    return found


def _graph(folder: Path) -> dict[str, set[str]]:
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    return {p.stem: {m for m, _ in _imports(p) if m in modules}
            for p in folder.glob("*.py") if p.stem != "__init__"}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_no_import_cycle_among_the_ledger_modules() -> None:
    assert _cycle(_graph(FOLDER)) is None, " → ".join(_cycle(_graph(FOLDER)) or [])


def test_no_private_name_imported_from_another_ledger_module() -> None:
    private = [(p.name, module, name) for p in FOLDER.glob("*.py") for module, name in _imports(p)
               if name.startswith("_")]
    assert private == []


def test_the_checks_see_a_cycle_and_a_private_import(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(f"from {PACKAGE}.b import _helper\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(f"def f():\n    from {PACKAGE} import a\n", encoding="utf-8")
    assert _cycle(_graph(tmp_path)) == ["a", "b", "a"]
    assert _imports(tmp_path / "a.py") == [("b", "_helper")]
