"""The tree keeps its shape: SQL only in storage/, no import cycles, no module too long."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("bot", "conversations", "storage", "locales")
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)"
    r"|PRAGMA\s|SAVEPOINT|ROLLBACK|BEGIN\s+IMMEDIATE)\b",
    re.S,
)
DB_CALLS = {"execute", "executemany", "executescript", "fetchone", "fetchall", "execute_fetchall"}
MAX_LINES = 500


def modules(*packages: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages."""
    found = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            ids.add(id(first.value))
    return ids


def sql_outside_storage() -> list[str]:
    """file:line of every SQL string or database call outside storage/."""
    found = []
    for path in modules("bot", "conversations", "locales").values():
        tree = ast.parse(path.read_text("utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            is_sql = (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and SQL.search(node.value)
            )
            is_call = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in DB_CALLS
            )
            if is_sql or is_call:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module, known: dict[str, Path]) -> set[str]:
    """Modules imported when the module is imported (not in functions, not for typing)."""
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and not _type_checking(node):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return {m for m in found if m in known}


def import_cycles() -> list[list[str]]:
    """Every cycle in the module-level import graph (Tarjan's strongly connected parts)."""
    known = modules(*PACKAGES)
    graph = {
        name: _top_level_imports(ast.parse(path.read_text("utf-8")), known) - {name}
        for name, path in known.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while (top := stack.pop()) != node:
                part.append(top)
            part.append(node)
            if len(part) > 1:
                cycles.append(sorted(part))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def test_no_sql_outside_storage():
    assert sql_outside_storage() == []


def test_the_sql_check_finds_sql():
    tree = 'QUERY = "SELECT id FROM cases WHERE reference = ?"'
    node = ast.parse(tree).body[0].value
    assert SQL.search(node.value)


def test_no_import_cycles():
    assert import_cycles() == []


def test_no_module_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in modules(*PACKAGES).values()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_bot_subpackage_says_what_it_owns():
    for package in ("bot", "bot.channels", "bot.outreach", "bot.staff", "bot.web"):
        path = modules("bot")[package]
        assert ast.get_docstring(ast.parse(path.read_text("utf-8"))), package


def test_every_step_in_the_architecture_notes_exists():
    """docs/architecture.md names `file:function` steps; each must be in the code."""
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    missing = []
    for path, name in re.findall(r"`((?:bot|storage|conversations)/[\w/]+\.py):([\w.]+)`", text):
        tree = ast.parse((ROOT / path).read_text("utf-8"))
        defined = {
            f"{node.name}.{item.name}" if isinstance(node, ast.ClassDef) else node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            for item in (node.body if isinstance(node, ast.ClassDef) else [node])
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        } | {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        if name not in defined:
            missing.append(f"{path}:{name}")
    assert missing == []
