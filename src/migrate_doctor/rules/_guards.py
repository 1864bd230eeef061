"""Dialect guards: ``if not _is_sqlite():``, ``if bind.dialect.name == "postgresql":``,
``if url.startswith("mysql"):``, ``if "sqlite" in url:``, or a name assigned one of them.

Projects that run on SQLite in development and PostgreSQL in production put the
operations one of them cannot run behind such a test. Where the test can be decided for
the target dialect, the operations of the branch that does not run are left out of
linting (and out of the history). Unknown target, or a test that is not about the
dialect: every branch counts.
"""

from __future__ import annotations

import ast
from functools import lru_cache

_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql",
             "psql": "postgresql", "pg": "postgresql", "mysql": "mysql", "mariadb": "mysql",
             "oracle": "oracle", "mssql": "mssql"}  # the last two: never a lint target here


def _named(text: str) -> str | None:
    low = text.lower()
    for word, dialect in _DIALECTS.items():
        if word in ("pg", "psql"):
            if low in (word, f"is_{word}", f"_is_{word}"):
                return dialect
        elif word in low:
            return dialect
    return None


def _prefix_dialect(prefix: str) -> str | None:
    """The dialect a URL starting with ``prefix`` is on (``postgres`` -> postgresql)."""
    low = prefix.lower().split("+", 1)[0].split(":", 1)[0]
    for word, dialect in _DIALECTS.items():
        if word not in ("pg", "psql") and low and (word.startswith(low) or low.startswith(word)):
            return dialect
    return None


def _strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def _evaluate(node: ast.AST, dialect: str, names: dict[str, ast.AST] | None = None,
              depth: int = 0) -> bool | None:
    """The test's value on the target dialect, or None when it cannot be decided.
    ``names`` holds the module's simple assignments (``is_sqlite = bind.dialect.name ==
    "sqlite"``), followed a few steps deep."""
    names = names or {}
    if depth > 5:
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _evaluate(node.operand, dialect, names, depth + 1)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, dialect, names, depth + 1) for v in node.values]
        if isinstance(node.op, ast.And):
            return False if False in values else (None if None in values else True)
        return True if True in values else (None if None in values else False)
    if isinstance(node, ast.Name) and node.id in names:
        return _evaluate(names[node.id], dialect, names, depth + 1)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("startswith", "endswith") and node.args:  # url.startswith("mysql")
            prefixes = _strings(node.args[0])
            targets = [_prefix_dialect(p) for p in prefixes or []]
            if name == "startswith" and prefixes and None not in targets:
                return dialect in targets
            return None
        # _is_sqlite(), is_postgres(bind)
        about = _named(name) if name.lower().startswith(("is_", "_is_", "on_", "_on_")) else None
        return None if about is None else about == dialect
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = node.ops[0]
        left = _strings(node.left)
        if left is not None and isinstance(op, (ast.In, ast.NotIn)) and len(left) == 1:
            about = _prefix_dialect(left[0])  # "sqlite" in url
            if about is None:
                return None
            return (about == dialect) is isinstance(op, ast.In)
        found = _strings(node.comparators[0])
        if not found:
            return None
        targets = [_DIALECTS.get(n.lower()) for n in found]
        if None in targets:
            return None
        hit = dialect in targets
        if isinstance(op, (ast.Eq, ast.In, ast.Is)):
            return hit
        if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
            return not hit
    return None


def _assignments(tree: ast.AST) -> dict[str, ast.AST]:
    found: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
    return found


@lru_cache(maxsize=512)
def skipped_lines(tree: ast.AST | None, dialect: str | None) -> list[tuple[int, int]]:
    """Line ranges of ``tree`` (a revision module or one function) that do not run on
    ``dialect``. Asked once per finding by some rules: remembered per tree (an ast node
    hashes by identity), so a long revision is walked once, not once per finding."""
    if tree is None or dialect is None:
        return []
    names = _assignments(tree)
    ranges: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.If, ast.IfExp)) or isinstance(node, ast.IfExp):
            continue
        value = _evaluate(node.test, dialect, names)
        if value is None:
            continue
        dead = node.orelse if value else node.body
        for stmt in dead:
            ranges.append((stmt.lineno, stmt.end_lineno or stmt.lineno))
    return ranges


@lru_cache(maxsize=512)
def tests_dialect(tree: ast.AST | None) -> bool:
    """True when the module has an ``if`` that decides differently on two databases: the
    project runs its revisions on more than one."""
    if tree is None:
        return False
    names = _assignments(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            values = {_evaluate(node.test, d, names) for d in ("postgresql", "mysql", "sqlite")}
            if True in values and False in values:
                return True
    return False
