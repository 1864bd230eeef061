"""Pieces of fixes shared by the schema rules (type changes, constraints, indexes): where
an operation's table lives (schema kept), identifiers quoted for the target, the names the
database gives unnamed constraints, and a backfill that runs in committed batches and
ends.
"""

from __future__ import annotations

import re
from typing import Any

from ..scripts.operations import Operation
from ._quote import ident, qualified
from ._sql import _NAME, Statement
from ._values import quote

BATCH = 5000
_TARGET = re.compile(
    rf"^(?:ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?|CREATE\s+(?:UNIQUE\s+)?INDEX\s+"
    rf"(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:{_NAME}\s+)?ON\s+(?:ONLY\s+)?)({_NAME})",
    re.IGNORECASE)


def _unquote(part: str) -> str:
    part = part.strip()
    if part[:1] in ('"', "`") and part[-1:] == part[:1]:
        return part[1:-1]
    return part.lower()


def sql_target(s: Statement) -> tuple[str | None, str | None]:
    """``(schema, table)`` of an ALTER TABLE / CREATE INDEX statement, as written."""
    m = _TARGET.match(s.text)
    if not m:
        return None, s.table
    parts = re.findall(r'"[^"]+"|`[^`]+`|[\w$]+', m.group(1))
    if len(parts) >= 2:
        return _unquote(parts[-2]), _unquote(parts[-1])
    return None, _unquote(parts[-1]) if parts else s.table


def op_schema(op: Operation) -> str | None:
    """The schema an op names: ``schema=``, ``source_schema=``, or its batch's schema."""
    for key in ("schema", "source_schema"):
        value = op.kwargs.get(key, op.batch_kwargs.get(key))
        if isinstance(value, str):
            return value
    return None


def ref(table: str, schema: str | None, dialect: str | None) -> str:
    """``schema.table`` quoted for raw SQL."""
    return qualified(table, schema, dialect)


def col(name: str, dialect: str | None) -> str:
    return ident(name, dialect)


def schema_kwarg(schema: str | None) -> str:
    return f", schema={quote(schema)}" if schema else ""


def batched(dialect: str | None, target: str, assignment: str, condition: str,
            indent: str = "") -> list[str]:
    """Python lines that run ``UPDATE target SET assignment WHERE condition`` in committed
    batches of BATCH rows until no row is left. ``condition`` must stop matching a row once
    it is updated (or the loop would not end)."""
    if dialect == "mysql":
        sql = f"UPDATE {target} SET {assignment} WHERE {condition} LIMIT {BATCH}"
    elif dialect == "sqlite":
        sql = (f"UPDATE {target} SET {assignment} WHERE rowid IN (SELECT rowid FROM {target} "
               f"WHERE {condition} LIMIT {BATCH})")
    else:
        sql = (f"UPDATE {target} SET {assignment} WHERE ctid = ANY(ARRAY(SELECT ctid FROM "
               f"{target} WHERE {condition} LIMIT {BATCH}))")
    return [
        f"{indent}with op.get_context().autocommit_block():  # each batch commits on its own",
        f"{indent}    conn = op.get_bind()",
        f"{indent}    while conn.execute(sa.text({quote(sql)})).rowcount:",
        f"{indent}        pass",
    ]


# -- the names databases give unnamed constraints --------------------------------------
_NAMEDATALEN = 64


def pg_object_name(name1: str, name2: str | None, label: str) -> str:
    """PostgreSQL's makeObjectName(): ``{name1}_{name2}_{label}``, the two names shortened
    (the longer one first) so that the whole fits in 63 bytes."""
    overhead = len(label) + 1 + (1 if name2 else 0)
    avail = _NAMEDATALEN - 1 - overhead
    n1, n2 = len(name1), len(name2 or "")
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    out = name1[:n1]
    if name2:
        out += "_" + name2[:n2]
    return f"{out}_{label}"


def pg_default_name(kind: str, table: str, columns: list[str], taken: set[str] | None = None
                    ) -> str:
    """The name PostgreSQL gives an unnamed constraint: ``{table}_{cols}_fkey`` (foreign
    key), ``{table}_{cols}_key`` (unique), ``{table}_{col}_check`` (CHECK on one column,
    else ``{table}_check``), ``{table}_pkey``; a number is added to the label when the name
    is taken (``_key1``)."""
    label = {"foreignkey": "fkey", "unique": "key", "check": "check", "primary": "pkey"}[kind]
    if kind == "primary":
        addition = None
    elif kind == "check":
        addition = columns[0] if len(columns) == 1 else None
    else:
        addition = "_".join(columns) or None
    taken = taken or set()
    name = pg_object_name(table, addition, label)
    number = 0
    while name.lower() in taken:
        number += 1
        name = pg_object_name(table, addition, f"{label}{number}")
    return name


def check_columns(condition: str) -> list[str]:
    """The distinct column-like words of a CHECK condition (identifiers that are not SQL
    keywords, functions or inside quotes)."""
    text = re.sub(r"'(?:[^']|'')*'", " ", condition)
    words = []
    for m in re.finditer(r'"([^"]+)"|\b([A-Za-z_]\w*)\b(?!\s*\()', text):
        word = m.group(1) or m.group(2)
        if m.group(2) and word.upper() in _SQL_WORDS:
            continue
        if word not in words:
            words.append(word)
    return words


_SQL_WORDS = set("""
AND OR NOT NULL IS IN LIKE ILIKE BETWEEN TRUE FALSE CASE WHEN THEN ELSE END ANY ALL SOME
SIMILAR TO ESCAPE DISTINCT FROM CAST AS INTERVAL CURRENT_DATE CURRENT_TIMESTAMP NOW
VALUE ARRAY TEXT VARCHAR INTEGER INT BIGINT NUMERIC BOOLEAN DATE TIMESTAMP JSONB JSON
CHARACTER VARYING DOUBLE PRECISION REAL SMALLINT UUID TIME ZONE WITH WITHOUT COLLATE
""".split())


def mysql_fk_name(table: str, number: int) -> str:
    return f"{table}_ibfk_{number}"


def first(values: Any) -> Any:
    return values[0] if isinstance(values, tuple) and values else None


def batch_block(file: Any, op: Operation) -> tuple[int, int, list[str]] | None:
    """The ``with op.batch_alter_table(...)`` statement around a batch op: its first and
    last line and its lines, dedented to the ``with``."""
    import ast
    import textwrap

    tree = file.tree
    if tree is None:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and node.lineno <= op.line <= (node.end_lineno or 0) \
                and any("batch_alter_table" in ast.unparse(i.context_expr) for i in node.items):
            if best is None or node.lineno > best.lineno:
                best = node
    if best is None:
        return None
    lines = file.text.splitlines()[best.lineno - 1:best.end_lineno]
    return best.lineno, best.end_lineno or best.lineno, textwrap.dedent(
        "\n".join(lines)).splitlines()


def nested_in_block(file: Any, start: int, end: int, line: int) -> bool:
    """True when ``line`` runs under a condition (an ``if``, ``for``, ``try``, ...) inside
    the block of lines ``start``..``end``: what follows the block must be under the same
    condition."""
    import ast

    tree = file.tree
    if tree is None:
        return False
    compound = (ast.If, ast.For, ast.While, ast.Try, ast.With)
    for node in ast.walk(tree):
        if isinstance(node, compound) and start < node.lineno <= line \
                and (node.end_lineno or node.lineno) <= end \
                and line <= (node.end_lineno or node.lineno):
            return True
    return False


def recreate_always(head: str) -> str:
    """A ``with op.batch_alter_table(...) as batch_op:`` header with ``recreate="always"``
    (replacing the block's own recreate=, or added as the last argument)."""
    if re.search(r"\brecreate\s*=", head):
        return re.sub(r"\brecreate\s*=\s*(?:\"[^\"]*\"|'[^']*'|[\w.]+)", 'recreate="always"',
                      head, count=1)
    return re.sub(r"\)(\s*as\s+\w+\s*:\s*(?:#.*)?)$", r', recreate="always")\1', head.rstrip(),
                  count=1)


def header_lines(lines: list[str]) -> int:
    """How many of a block's lines (as batch_block gives them) are its ``with ...:``
    header: up to the first line that ends the header with ``:``."""
    import ast

    for n in range(1, len(lines) + 1):
        try:
            ast.parse("\n".join(lines[:n]) + "\n    pass")
            return n
        except SyntaxError:
            continue
    return 1


def empty_body(lines: list[str]) -> bool:
    """True when the block has nothing but its header, blank lines, comments and pass."""
    return all(not line.strip() or line.strip().startswith("#") or line.strip() == "pass"
               for line in lines[header_lines(lines):])


def without(lines: list[str], first: int, last: int) -> list[str]:
    """The block's lines with lines[first..last] (an op) taken out: a ``pass`` at the op's
    indentation stands in its place, so an ``if`` around it keeps a body."""
    indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]
    return lines[:first] + [indent + "pass"] + lines[last + 1:]


def replace_in_block(file: Any, op: Operation, new: list[str]
                     ) -> tuple[int, int, list[str]] | None:
    """The batch block around ``op`` with op's lines replaced by ``new`` (lines at the
    op's indentation inside the block); None when op is not in a batch block."""
    found = batch_block(file, op)
    if found is None:
        return None
    start, end, lines = found
    first, last = op.line - start, op.end_line - start
    indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]
    body = lines[:first] + [indent + line if line else line for line in new] + lines[last + 1:]
    if empty_body(body):
        body.append(indent + "pass")
    return start, end, body
