"""What a revision's upgrade() does with the data, step by step, so that a rule can ask what
happened before (or after) an operation: was the table emptied, were the column's values
copied somewhere, is the new column filled in, was the column added just now.

A step is an operation of upgrade() (helpers and literal loops already followed) or one
SQL statement of an execute. Columns are matched as words, case-insensitively, in the part
of a statement that reads data: the right-hand sides of UPDATE ... SET, the SELECT of an
INSERT ... SELECT, a whole SELECT (rows read into a Python loop), or the source of a
SQLAlchemy expression (``t.update().values(new=t.c.old)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..scripts.operations import Operation
from ._history import key
from ._sql import Statement, split_top_level
from ._values import column_name

if TYPE_CHECKING:
    from ._context import RuleContext


@dataclass(frozen=True)
class Step:
    position: int  # index of the operation in ctx.upgrade
    op: Operation
    kind: str  # a statement's kind ("update", "delete", ...) or the op's name
    table: str | None  # lower-cased
    statement: Statement | None = None

    @cached_property
    def read_text(self) -> str:
        """The part of the step that reads data (empty for DDL)."""
        s = self.statement
        if s is None:
            return ""
        if s.python:
            return s.text
        if s.kind == "update":
            m = re.search(r"\bSET\b(.*)$", s.text, re.IGNORECASE | re.DOTALL)
            if not m:
                return ""
            body = m.group(1)
            where = re.search(r"\bWHERE\b", body, re.IGNORECASE)
            sets, rest = (body[:where.start()], body[where.start():]) if where else (body, "")
            rhs = [a.split("=", 1)[1] for a in split_top_level(sets, ",") if "=" in a]
            return " ".join(rhs) + " " + rest
        if s.kind == "insert":
            m = re.search(r"\bSELECT\b.*$", s.text, re.IGNORECASE | re.DOTALL)
            return m.group(0) if m else ""
        if s.kind == "select":
            return s.text
        return ""

    def reads(self, column: str) -> bool:
        return _mentions(self.read_text, column)

    def writes(self, column: str) -> bool:
        """An UPDATE that sets ``column`` (a backfill)."""
        s = self.statement
        if s is None or s.kind != "update":
            return False
        if s.python:
            return bool(re.search(rf"\b{re.escape(column)}\s*=|[\"']{re.escape(column)}[\"']\s*:",
                                  s.text, re.IGNORECASE))
        return key(column) in {key(c) for c in s.set_columns} or bool(re.search(
            rf"\bSET\b.*?(?:^|[\s,]){re.escape(column)}\s*=", s.text, re.IGNORECASE | re.DOTALL))


def _mentions(text: str, word: str) -> bool:
    if not text or not word:
        return False
    return bool(re.search(rf"(?<![\w$]){re.escape(word)}(?![\w$])", text, re.IGNORECASE))


class DataFlow:
    """The steps of one revision's upgrade(), with the questions rules ask of them."""

    def __init__(self, ctx: RuleContext) -> None:
        self.steps: list[Step] = []
        for position, op in enumerate(ctx.upgrade):
            statements = ctx.sql(op)
            if statements:
                for s in statements:
                    self.steps.append(Step(position, op, s.kind, key(s.table) if s.table else None,
                                           s))
            else:
                table = ctx.table_of(op)
                self.steps.append(Step(position, op, op.name, key(table) if table else None))
        self._ctx = ctx

    def before(self, position: int) -> Iterator[Step]:
        return (s for s in self.steps if s.position < position)

    def after(self, position: int) -> Iterator[Step]:
        return (s for s in self.steps if s.position > position)

    def emptied_before(self, table: str, position: int) -> Step | None:
        """A DELETE with no WHERE or a TRUNCATE of ``table`` before ``position``."""
        for s in self.before(position):
            if s.table != key(table) or s.statement is None:
                continue
            if s.kind == "truncate" or (s.kind == "delete" and not s.statement.has_where):
                return s
        return None

    def copied_before(self, table: str, column: str, position: int) -> Step | None:
        """A statement before ``position`` that reads ``table.column`` (its values copied
        into another column or table, or read into Python rows)."""
        for s in self.before(position):
            if s.statement is not None and s.reads(column) and (
                    s.table == key(table) or _mentions(s.statement.text, table)):
                return s
        return None

    def read_before(self, table: str, position: int) -> Step | None:
        """A statement before ``position`` that reads rows of ``table``: a SELECT (rows read
        into Python), an INSERT ... SELECT or an UPDATE ... FROM that copies them elsewhere."""
        pattern = rf"\b(?:FROM|JOIN)\s+(?:[\w$\"]+\.)?\"?{re.escape(table)}\"?(?![\w$])"
        for s in self.before(position):
            if s.statement is None or s.statement.python:
                continue
            text = s.statement.text if s.kind == "select" else s.read_text
            if s.kind in ("select", "insert", "update") and re.search(pattern, text,
                                                                      re.IGNORECASE):
                return s
        return None

    def filled_after(self, table: str, column: str, position: int) -> Step | None:
        """An UPDATE of ``table`` that sets ``column`` after ``position`` (a backfill)."""
        for s in self.after(position):
            if s.table == key(table) and s.writes(column):
                return s
        return None

    def added_at(self, table: str, column: str) -> int | None:
        """Where this upgrade() adds ``table.column``, if it does."""
        return self._index[0].get((key(table), key(column)))

    def renamed_into(self, table: str, column: str) -> int | None:
        """Where an alter_column renames another column of ``table`` to ``column``."""
        return self._index[1].get((key(table), key(column)))

    @cached_property
    def _index(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """(table, column) -> the first step adding it, and the first renaming into it:
        built once, so asking for every op of a long revision stays linear."""
        added: dict[tuple[str, str], int] = {}
        renamed: dict[tuple[str, str], int] = {}
        for s in self.steps:
            if s.table is None:
                continue
            if s.kind == "add_column":
                name = column_name(self._ctx.resolve(s.op.get("column")))
                if name:
                    added.setdefault((s.table, key(name)), s.position)
            elif s.kind == "alter_column":
                new = s.op.kwargs.get("new_column_name")
                if isinstance(new, str):
                    renamed.setdefault((s.table, key(new)), s.position)
        return added, renamed

    @cached_property
    def later_drops(self) -> dict[str, int]:
        """table -> the last position where upgrade() drops it (op or SQL)."""
        found: dict[str, int] = {}
        for s in self.steps:
            if s.kind == "drop_table" and s.table:
                found[s.table] = s.position
            if s.statement is not None:
                for t in s.statement.dropped_tables():
                    found[key(t)] = s.position
        return found

    @cached_property
    def name_taken(self) -> dict[tuple[str, str], int]:
        """(table, column) -> the last position where a column comes to have that name:
        added (op or SQL) or renamed into it (op or SQL)."""
        found: dict[tuple[str, str], int] = {}
        for s in self.steps:
            if s.table is None:
                continue
            names: list[str] = []
            if s.kind == "add_column":
                names.append(column_name(self._ctx.resolve(s.op.get("column"))) or "")
            new = s.op.kwargs.get("new_column_name") if s.kind == "alter_column" else None
            if isinstance(new, str):
                names.append(new)
            if s.statement is not None:
                names += [c for c, _ in s.statement.added_columns()]
                names += [n for o, n in s.statement.renamed() if o]
            for name in names:
                if name:
                    found[(s.table, key(name))] = s.position
        return found

    @cached_property
    def sql_added_columns(self) -> dict[tuple[str, str], int]:
        """(table, column) -> the last position where SQL adds it (ALTER TABLE ... ADD)."""
        found: dict[tuple[str, str], int] = {}
        for s in self.steps:
            if s.statement is not None and s.table is not None:
                for column, _ in s.statement.added_columns():
                    found[(s.table, key(column))] = s.position
        return found
