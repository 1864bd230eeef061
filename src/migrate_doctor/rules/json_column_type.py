"""A PostgreSQL column of type JSON where JSONB is meant.

What it finds:
    SQLAlchemy's `JSON` (`sa.JSON`, `postgresql.JSON`, `from sqlalchemy import JSON`, and
    `sqlalchemy_utils.JSONType`, which is json on PostgreSQL) as the type of a column in
    `op.create_table`, `op.add_column` or `op.alter_column(type_=...)`, or a `json` column
    in CREATE TABLE / ADD COLUMN / ALTER COLUMN ... TYPE SQL. PostgreSQL only. A type is
    read through the file's imports: a project's own type named `JSON` (a TypeDecorator
    that may well load JSONB on PostgreSQL) is not SQLAlchemy's and stays quiet, and so
    does `sa.JSON().with_variant(postgresql.JSONB(), "postgresql")`.

Why it matters:
    PostgreSQL's `json` stores the text as given and re-parses it on every access. It has
    no equality operator, so `DISTINCT`, `GROUP BY`, `UNION` and unique constraints on it
    fail (`could not identify an equality operator for type json`), and it cannot have a
    GIN index for `@>` lookups. `jsonb` is what applications almost always want; changing
    later rewrites the table.

Example:
    op.add_column("events", sa.Column("payload", sa.JSON(), nullable=True))

Use instead:
    from sqlalchemy.dialects import postgresql
    op.add_column("events", sa.Column(
        "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True))
    (and the same type in the model; on other databases it stays JSON). Keep JSON only
    when the exact text, key order or duplicate keys must be preserved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from . import _types
from ..model import Severity
from ..scripts.expressions import Call, Name
from ..scripts.operations import Operation
from ._types import Imports
from ._sql import Statement, split_top_level
from ._values import column_name, column_type, is_call, one_line, render

_JSON_TYPE = re.compile(r"^json\b(?!b)", re.IGNORECASE)
_JSON_WORD = re.compile(r"(?<![\w\"'])json\b(?!b)(?![\"'])", re.IGNORECASE)


def _sql_json_columns(s: Statement) -> list[str]:
    """Columns a CREATE TABLE / ALTER TABLE statement gives the type json."""
    found: list[str] = []
    if s.kind == "create_table" and "(" in s.text:
        body = s.text[s.text.find("(") + 1:s.text.rfind(")")]
        for part in split_top_level(body, ","):
            words = part.split(None, 1)
            if len(words) == 2 and _JSON_TYPE.match(words[1]) and words[0].upper() not in (
                    "CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"):
                found.append(words[0].strip('"'))
    elif s.kind == "alter_table":
        found += [c for c, definition in s.added_columns() if _JSON_TYPE.match(definition)]
        for action in s.actions:
            m = re.match(r"ALTER\s+(?:COLUMN\s+)?(\"[^\"]+\"|\w+)\s+(?:SET\s+DATA\s+)?TYPE\s+"
                         r"json\b(?!b)", action.strip(), re.IGNORECASE)
            if m:
                found.append(m.group(1).strip('"'))
    return found
_JSONB = 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
_IMPORT = "from sqlalchemy.dialects import postgresql"


def _columns(ctx: RuleContext, op: Operation) -> Iterator[tuple[str, Any]]:
    """(column, type) pairs that op gives a type to."""
    if op.name == "create_table":
        for arg in op.args[1:]:
            arg = ctx.resolve(arg)
            if is_call(arg, "Column") and column_name(arg):
                yield column_name(arg) or "", ctx.resolve(column_type(arg))
    elif op.name == "add_column":
        col = ctx.resolve(op.get("column"))
        if column_name(col):
            yield column_name(col) or "", ctx.resolve(column_type(col))
    elif op.name == "alter_column" and "type_" in op.kwargs:
        col = op.get("column_name")
        if isinstance(col, str):
            yield col, ctx.resolve(op.kwargs["type_"])


def _replace_types(ctx: RuleContext, op: Operation, types: list[Any]) -> str | None:
    """The op's lines with each JSON type expression replaced by the JSONB variant
    (everything else, such as an assignment or a comment, kept)."""
    import textwrap

    block = textwrap.dedent("\n".join(ctx.file.text.splitlines()[op.line - 1:op.end_line]))
    seen: set[str] = set()
    for type_ in types:
        shown = type_.source if isinstance(type_, Call) else getattr(type_, "dotted", "")
        if shown in seen:
            continue  # the same expression: replaced everywhere already
        seen.add(shown)
        if isinstance(type_, Call) and type_.source and type_.source in block:
            block = block.replace(type_.source, _JSONB)
        elif isinstance(type_, Name):
            block, n = re.subn(rf"(?<![\w.]){re.escape(type_.dotted)}(?![\w(])", _JSONB, block)
            if not n:
                return None
        else:
            return None
    return block


@rule("json-column-type", Severity.WARNING, "JSON column where JSONB is meant",
      dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    imports = Imports(ctx.file, ctx.dialect)
    for op in ctx.upgrade:
        found: list[tuple[str, Any]] = []  # (column, type value; None from SQL)
        for column, type_ in _columns(ctx, op):
            if _types.read(imports, type_).kind == "json":
                found.append((column, type_))
        table = ctx.table_of(op)
        sql_fix: list[str] = []
        for s in ctx.sql(op):
            hits = _sql_json_columns(s)
            if hits:
                table = s.table
                found += [(c, None) for c in hits]
                sql_fix.append(_JSON_WORD.sub("jsonb", s.text))
            else:
                sql_fix.append(s.text)
        if not found:
            continue
        table = table or "<table>"
        columns = [c for c, _t in found]
        if any(t is None for _c, t in found):  # SQL: the same statements, jsonb for json
            fix = f"op.execute({render(';'.join(sql_fix))})"
        else:
            replaced = _replace_types(ctx, op, [t for _c, t in found])
            if replaced is None:
                replaced = f"# {op.name} on {table}: use {_JSONB} for {', '.join(columns)}"
            head = [_IMPORT] if "sa" in imports.names else [_IMPORT, "import sqlalchemy as sa"]
            fix = "\n".join([*head, replaced])
        fix += f"\n# and the same type for {', '.join(columns)} in the model"
        shown = one_line(render(found[0][1])) if found[0][1] is not None else "json"
        yield ctx.hit(
            f"{table}.{', '.join(columns)} {'is' if len(columns) == 1 else 'are'} {shown} "
            "(PostgreSQL json): no equality operator (DISTINCT, GROUP BY and UNIQUE fail on "
            "it), no GIN index, re-parsed on every read; jsonb is almost always what is meant",
            fix, op, table=table, columns=columns)
