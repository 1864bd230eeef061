"""Dialect guards: ``if not _is_sqlite():`` / ``if bind.dialect.name == "postgresql":``.

Projects that run on SQLite in development and PostgreSQL in production put the
operations one of them cannot run behind such a test. Where the test can be decided for
the target dialect, the operations of the branch that does not run are left out of
linting (and out of the history). Unknown target, or a test that is not about the
dialect: every branch counts.
"""

from __future__ import annotations

import ast

_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql",
             "psql": "postgresql", "pg": "postgresql", "mysql": "mysql", "mariadb": "mysql"}


def _named(text: str) -> str | None:
    low = text.lower()
    for word, dialect in _DIALECTS.items():
        if word in ("pg", "psql"):
            if low in (word, f"is_{word}", f"_is_{word}"):
                return dialect
        elif word in low:
            return dialect
    return None


def _evaluate(node: ast.AST, dialect: str) -> bool | None:
    """The test's value on the target dialect, or None when it cannot be decided."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _evaluate(node.operand, dialect)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(v, dialect) for v in node.values]
        if isinstance(node.op, ast.And):
            return False if False in values else (None if None in values else True)
        return True if True in values else (None if None in values else False)
    if isinstance(node, ast.Call):  # _is_sqlite(), is_postgres(bind)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        about = _named(name) if name.lower().startswith(("is_", "_is_", "on_", "_on_")) else None
        return None if about is None else about == dialect
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        right = node.comparators[0]
        names: list[str] = []
        if isinstance(right, ast.Constant) and isinstance(right.value, str):
            names = [right.value]
        elif isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            names = [e.value for e in right.elts
                     if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        targets = [_DIALECTS.get(n.lower()) for n in names]
        if not names or None in targets:
            return None
        hit = dialect in targets
        op = node.ops[0]
        if isinstance(op, (ast.Eq, ast.In)):
            return hit
        if isinstance(op, (ast.NotEq, ast.NotIn)):
            return not hit
    return None


def skipped_lines(func: ast.FunctionDef | None, dialect: str | None) -> list[tuple[int, int]]:
    """Line ranges of ``func`` that do not run on ``dialect``."""
    if func is None or dialect is None:
        return []
    ranges: list[tuple[int, int]] = []
    for node in ast.walk(func):
        if not isinstance(node, ast.If):
            continue
        value = _evaluate(node.test, dialect)
        if value is None:
            continue
        dead = node.orelse if value else node.body
        for stmt in dead:
            ranges.append((stmt.lineno, stmt.end_lineno or stmt.lineno))
    return ranges
