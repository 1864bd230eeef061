"""What the revisions before the one being linted did to the schema.

The engine replays every revision's upgrade() in upgrade order into one History: the
tables and columns created so far (with their types and enum types), the constraints
(whether they are validated, and which are ``CHECK (col IS NOT NULL)``), the foreign keys
with their ON DELETE action, and the enum types. Only what the rules need is kept; names
are compared in lower case, and schemas are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..scripts.operations import Operation
from ._sql import Statement, not_null_column
from ._values import (column_name, column_type, enum_name, foreign_keys, is_call, is_not_null,
                      name_of)

Resolve = Callable[[Any], Any]
CASCADING = ("CASCADE", "SET NULL", "SET DEFAULT")
_DIALECT_WORDS = re.compile(r"sqlite|postgres|mysql|mariadb|dialect|oracle|mssql", re.IGNORECASE)


def key(name: str) -> str:
    return name.lower()


@dataclass(frozen=True)
class Column:
    type: Any = None
    nullable: bool = True


@dataclass
class Table:
    name: str
    revision: str
    columns: dict[str, Column] = field(default_factory=dict)
    enums: set[str] = field(default_factory=set)
    charset: str | None = None  # MySQL: mysql_charset / mysql_default_charset of create_table
    primary_key: tuple[str, ...] = ()  # its columns, lower case, where known

    def copy(self) -> Table:
        return Table(self.name, self.revision, dict(self.columns), set(self.enums), self.charset,
                     self.primary_key)


@dataclass(frozen=True)
class Constraint:
    name: str
    table: str
    kind: str  # "check", "foreignkey", "unique", "primary", "exclude"
    validated: bool
    revision: str
    not_null_column: str | None = None  # for CHECK (col IS NOT NULL)


@dataclass(frozen=True)
class ForeignKey:
    table: str  # the referencing (child) table
    referent: str
    ondelete: str | None
    name: str | None
    revision: str
    columns: tuple[str, ...] = ()  # the referencing columns, where known
    referent_columns: tuple[str, ...] = ()  # the referenced columns, where known (lower case)


@dataclass(frozen=True)
class EnumValue:
    """A value added to a PostgreSQL enum type by ``ALTER TYPE ... ADD VALUE``."""

    type: str
    value: str
    revision: str
    in_autocommit: bool  # inside autocommit_block(): committed at once


@dataclass
class History:
    tables: dict[str, Table] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    enum_types: set[str] = field(default_factory=set)
    # (table, column) -> names of CHECK (column IS NOT NULL) constraints ever added
    not_null_names: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # revision id -> its Create Date (YYYY-MM-DD), for every file of the history
    dates: dict[str, str] = field(default_factory=dict)
    # (enum type, value) -> the ALTER TYPE ... ADD VALUE that added it
    enum_values: dict[tuple[str, str], EnumValue] = field(default_factory=dict)
    # revisions so far with an `if` on the database (the project runs on several)
    dialect_tests: int = 0
    # PostgreSQL enum type -> its values, in order, where every step was read
    enum_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # enum type -> the name it had before an ALTER TYPE ... RENAME TO (the same type)
    type_renamed_from: dict[str, str] = field(default_factory=dict)
    # what earlier revisions show about a column or table the code stopped using:
    # (table, column) or (table, "") -> (the revision, what it did): renamed aside while a
    # new one took its name, or NOT NULL dropped (the first step of retiring a column: the
    # code can stop writing it)
    retired: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # this revision's renames so far: (table, old name) -> new name, and tables renamed
    _renames: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def copy(self) -> History:
        return History({k: t.copy() for k, t in self.tables.items()}, dict(self.constraints),
                       list(self.foreign_keys), set(self.enum_types),
                       {k: set(v) for k, v in self.not_null_names.items()}, self.dates,
                       dict(self.enum_values), self.dialect_tests, dict(self.enum_labels),
                       dict(self.type_renamed_from), dict(self.retired), dict(self._renames))

    def note_revision(self, file: Any) -> None:
        """Called once per revision file (a RevisionFile), after its operations were
        replayed: what the file says about the project as a whole."""
        from ._guards import tests_dialect

        if "if " in file.text and _DIALECT_WORDS.search(file.text) and tests_dialect(file.tree):
            self.dialect_tests += 1

    # -- questions ------------------------------------------------------------
    def retired_how(self, table: str | None, column: str | None = None) -> str | None:
        """What an earlier revision did that shows the code stopped using table.column (or
        the table, column None), with the revision; None when nothing does."""
        if not table:
            return None
        found = self.retired.get((key(table), key(column or "")))
        return f"{found[1]} in {found[0]}" if found else None

    def _retire(self, table: str, column: str, revision: str, how: str) -> None:
        self.retired.setdefault((key(table), key(column)), (revision, how))

    def _renamed(self, table: str, old: str, new: str, revision: str) -> None:
        """A column (or, with old "", a table) renamed: remembered for this revision, so
        that a new one taking the old name marks the renamed one as put aside."""
        self._renames[(key(table), key(old))] = (key(new), revision)
        if old:
            moved = self.retired.pop((key(table), key(old)), None)
            if moved is not None:
                self.retired[(key(table), key(new))] = moved
        else:  # the table's facts follow it
            for (t, c) in [k for k in self.retired if k[0] == key(table)]:
                self.retired[(key(new), c)] = self.retired.pop((t, c))

    def _took_name(self, table: str, name: str, revision: str) -> None:
        """table.name (or table, name "") exists again: a column or table renamed away from
        that name in this revision was put aside."""
        found = self._renames.get((key(table), key(name)))
        if found is None or found[1] != revision:
            return
        if name:
            self._retire(table, found[0], revision, f"renamed aside from {name} while a new "
                                                     f"{name} took its place")
        else:
            self._retire(found[0], "", revision, f"renamed aside from {table} while a new "
                                                 f"{table} took its place")

    def table(self, name: str | None) -> Table | None:
        return self.tables.get(key(name)) if name else None

    def column_type(self, table: str | None, column: str | None) -> Any:
        t = self.table(table)
        col = t.columns.get(key(column)) if t is not None and column else None
        return col.type if col is not None else None

    def not_null_check(self, table: str, column: str) -> Constraint | None:
        """A validated ``CHECK (column IS NOT NULL)`` on table.column, if there is one."""
        for name in self.not_null_names.get((key(table), key(column)), ()):
            c = self.constraints.get(name)  # the index only grows: check it still stands
            if c is not None and c.validated and c.not_null_column == key(column) \
                    and c.table == key(table):
                return c
        return None

    def referencing(self, table: str | None, column: str | None) -> list[ForeignKey]:
        """Foreign keys that point at table.column (one that names no column points at
        the table's primary key)."""
        t = self.table(table)
        if t is None or not column:
            return []
        pk = t.primary_key
        return [fk for fk in self.foreign_keys if fk.referent == key(t.name) and (
            key(column) in fk.referent_columns
            or (not fk.referent_columns and key(column) in pk and len(pk) == 1))]

    def is_primary_key(self, table: str | None, column: str | None) -> bool:
        t = self.table(table)
        return t is not None and bool(column) and key(column or "") in t.primary_key

    def cascading_children(self, table: str) -> list[ForeignKey]:
        """Foreign keys that delete or change rows of other tables when table's rows go."""
        return [fk for fk in self.foreign_keys
                if fk.referent == key(table) and (fk.ondelete or "").upper() in CASCADING]

    # -- changes --------------------------------------------------------------
    def _add_column(self, table: str, column: Any, revision: str, resolve: Resolve) -> None:
        name = column_name(column)
        t = self.tables.setdefault(key(table), Table(table, revision))
        type_ = resolve(column_type(column))
        if name:
            self._took_name(table, name, revision)
            t.columns[key(name)] = Column(type_, not is_not_null(column))
            if column.kwargs.get("primary_key") is True and key(name) not in t.primary_key:
                t.primary_key = (*t.primary_key, key(name))
        enum = enum_name(type_)
        if enum:
            t.enums.add(enum)
            self.enum_types.add(key(enum))
            labels = tuple(a for a in type_.args if isinstance(a, str)) \
                if is_call(type_) else ()
            if labels and len(labels) == len(type_.args) and key(enum) not in self.enum_labels:
                self.enum_labels[key(enum)] = labels
        for referent, ondelete, target in _column_foreign_keys(column):
            self.foreign_keys.append(
                ForeignKey(key(table), key(referent), ondelete, None, revision,
                           (name,) if name else (), (key(target),) if target else ()))

    def _add_constraint(self, name: Any, table: str, kind: str, validated: bool, revision: str,
                        not_null: str | None = None) -> None:
        name = name_of(name)
        if name is not None:
            self.constraints[key(name)] = Constraint(name, key(table), kind, validated, revision,
                                                     key(not_null) if not_null else None)
            if not_null:
                self.not_null_names.setdefault((key(table), key(not_null)), set()).add(key(name))

    def _drop_table(self, table: str) -> None:
        self.tables.pop(key(table), None)
        self.constraints = {n: c for n, c in self.constraints.items() if c.table != key(table)}
        self.foreign_keys = [fk for fk in self.foreign_keys if fk.table != key(table)]

    def _create_table(self, op: Operation, table: str, revision: str, resolve: Resolve) -> None:
        self._drop_table(table)
        self._took_name(table, "", revision)
        charset = op.kwargs.get("mysql_charset", op.kwargs.get("mysql_default_charset",
                                                                op.kwargs.get("mariadb_charset")))
        self.tables[key(table)] = Table(table, revision,
                                        charset=charset if isinstance(charset, str) else None)
        for arg in op.args[1:]:
            arg = resolve(arg)
            if is_call(arg, "Column"):
                self._add_column(table, arg, revision, resolve)
            elif is_call(arg, "ForeignKeyConstraint"):
                target = arg.arg(1, "refcolumns")
                first = target[0] if isinstance(target, tuple) and target else None
                ondelete = arg.kwargs.get("ondelete")
                local = arg.arg(0, "columns")
                if isinstance(first, str):
                    self.foreign_keys.append(ForeignKey(
                        key(table), key(first.rsplit(".", 2)[-2] if "." in first else first),
                        ondelete if isinstance(ondelete, str) else None,
                        name_of(arg.kwargs.get("name")),
                        revision, tuple(c for c in local if isinstance(c, str))
                        if isinstance(local, tuple) else (),
                        tuple(key(c.rsplit(".", 1)[-1]) for c in target if isinstance(c, str)
                              and "." in c)))
            elif is_call(arg, "PrimaryKeyConstraint"):
                self.tables[key(table)].primary_key = tuple(
                    key(c) for c in arg.args if isinstance(c, str))
            elif is_call(arg, "CheckConstraint"):
                condition = arg.arg(0, "sqltext")
                not_null = not_null_column(condition) if isinstance(condition, str) else None
                self._add_constraint(arg.kwargs.get("name"), table, "check", True, revision,
                                     not_null)

    def apply(self, op: Operation, table: str | None, revision: str,
              statements: list[Statement], resolve: Resolve) -> None:
        """Replay one upgrade() operation. ``table`` is the op's table, resolved."""
        name = op.name
        if name == "execute":
            for statement in statements:
                self.apply_sql(statement, revision)
                self._enum_value(statement, revision, op.in_autocommit)
            return
        if table is None:
            return
        t = self.table(table)
        if name == "create_table":
            self._create_table(op, table, revision, resolve)
        elif name == "drop_table":
            self._drop_table(table)
        elif name == "rename_table":
            new = op.get("new_table_name")
            if isinstance(new, str) and t is not None:
                self.tables.pop(key(table))
                self.tables[key(new)] = replace(t, name=new)
                self._renamed(table, "", new, revision)
        elif name == "add_column":
            column = resolve(op.get("column"))
            if is_call(column):
                self._add_column(table, column, revision, resolve)
        elif name == "drop_column":
            col = op.get("column_name")
            if t is not None and isinstance(col, str):
                t.columns.pop(key(col), None)
        elif name == "alter_column":
            self._alter_column(op, table, t, resolve, revision)
        elif name in ("create_foreign_key", "create_check_constraint", "create_unique_constraint",
                      "create_primary_key"):
            self._create_constraint(op, table, revision)
        elif name == "drop_constraint":
            cname = name_of(op.get("constraint_name"))
            if t is not None and (op.kwargs.get("type_") == "primary" or (
                    cname is not None and (key(cname) == f"{key(table)}_pkey" or getattr(
                        self.constraints.get(key(cname)), "kind", None) == "primary"))):
                t.primary_key = ()
            if cname is not None:
                self.constraints.pop(key(cname), None)
                self.foreign_keys = [fk for fk in self.foreign_keys
                                     if fk.name is None or key(fk.name) != key(cname)]

    def _alter_column(self, op: Operation, table: str, t: Table | None, resolve: Resolve,
                      revision: str = "") -> None:
        col = op.get("column_name")
        if t is None or not isinstance(col, str):
            return
        current = t.columns.get(key(col), Column())
        if op.kwargs.get("nullable") is True and key(col) in t.columns \
                and t.columns[key(col)].nullable is False:
            self._retire(table, col, revision, "made nullable (the first step of retiring it)")
        if "type_" in op.kwargs:
            current = replace(current, type=resolve(op.kwargs["type_"]))
        if isinstance(op.kwargs.get("nullable"), bool):
            current = replace(current, nullable=op.kwargs["nullable"])
        new = op.kwargs.get("new_column_name")
        t.columns.pop(key(col), None)
        t.columns[key(new if isinstance(new, str) else col)] = current
        if isinstance(new, str):
            t.primary_key = tuple(key(new) if c == key(col) else c for c in t.primary_key)
            self._renamed(table, col, new, revision)
            self._took_name(table, new, revision)

    def _create_constraint(self, op: Operation, table: str, revision: str) -> None:
        not_valid = op.kwargs.get("postgresql_not_valid") is True
        kind = {"create_foreign_key": "foreignkey", "create_check_constraint": "check",
                "create_unique_constraint": "unique", "create_primary_key": "primary"}[op.name]
        condition = op.get("condition")
        not_null = not_null_column(condition) if isinstance(condition, str) else None
        self._add_constraint(op.get("constraint_name"), table, kind, not not_valid, revision,
                             not_null)
        t = self.table(table)
        if kind == "primary" and t is not None:
            columns = op.get("columns")
            if isinstance(columns, tuple):
                t.primary_key = tuple(key(c) for c in columns if isinstance(c, str))
        if kind == "foreignkey":
            referent, ondelete = op.get("referent_table"), op.kwargs.get("ondelete")
            local = op.get("local_cols")
            remote = op.get("remote_cols")
            if isinstance(referent, str):
                self.foreign_keys.append(ForeignKey(
                    key(table), key(referent), ondelete if isinstance(ondelete, str) else None,
                    name_of(op.get("constraint_name")), revision,
                    tuple(c for c in local if isinstance(c, str))
                    if isinstance(local, tuple) else (),
                    tuple(key(c) for c in remote if isinstance(c, str))
                    if isinstance(remote, tuple) else ()))

    def _enum_value(self, s: Statement, revision: str, in_autocommit: bool) -> None:
        enum = s.enum_value_added()
        m = s.find(r"\bADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'((?:[^']|'')*)'")
        if enum and m:
            value = m.group(1).replace("''", "'")
            self.enum_values[(key(enum), value)] = EnumValue(key(enum), value, revision,
                                                             in_autocommit)

    def apply_sql(self, s: Statement, revision: str) -> None:
        if s.kind == "create_table" and s.table:
            self._drop_table(s.table)
            self._took_name(s.table, "", revision)
            self.tables[key(s.table)] = Table(s.table, revision)
        elif s.kind == "drop_table":
            for name in s.dropped_tables():
                self._drop_table(name)
        elif s.kind == "create_type":
            self.enum_types.update(key(n) for n in s.type_names())
            labels = s.enum_labels()
            for n in s.type_names():
                if labels is not None:
                    self.enum_labels[key(n)] = labels
                else:
                    self.enum_labels.pop(key(n), None)
        elif s.kind == "drop_type":
            self.enum_types.difference_update(key(n) for n in s.type_names())
            for n in s.type_names():
                self.enum_labels.pop(key(n), None)
        elif s.kind == "alter_type":
            self._alter_type_sql(s)
        elif s.kind == "alter_table" and s.table:
            self._alter_table_sql(s, s.table, revision)

    def _alter_type_sql(self, s: Statement) -> None:
        """ALTER TYPE x RENAME TO y / ADD VALUE 'v' / RENAME VALUE 'a' TO 'b'."""
        renamed = s.type_renamed()
        if renamed is not None:
            old, new = key(renamed[0]), key(renamed[1])
            self.type_renamed_from[new] = old
            if old in self.enum_types:  # the old name stays an enum: the recipe for new
                self.enum_types.add(new)  # values makes it again (often with .create(),
            if old in self.enum_labels:  # which is no operation the history sees)
                self.enum_labels[new] = self.enum_labels.pop(old)
            return
        enum = s.enum_value_added()
        m = s.find(r"\bADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'((?:[^']|'')*)'")
        if enum and m and key(enum) in self.enum_labels:
            value = m.group(1).replace("''", "'")
            if value not in self.enum_labels[key(enum)]:
                self.enum_labels[key(enum)] += (value,)
        m = s.find(r"^ALTER\s+TYPE\s+(\S+)\s+RENAME\s+VALUE\s+'((?:[^']|'')*)'\s+TO\s+"
                   r"'((?:[^']|'')*)'")
        if m:
            name = key(m.group(1).strip('"').rsplit(".", 1)[-1])
            if name in self.enum_labels:
                self.enum_labels[name] = tuple(m.group(3) if v == m.group(2) else v
                                               for v in self.enum_labels[name])

    def _alter_table_sql(self, s: Statement, table: str, revision: str) -> None:
        t = self.table(table)
        for name in s.dropped_constraints():
            c = self.constraints.get(key(name))
            if t is not None and (key(name) == f"{key(table)}_pkey"
                                  or (c is not None and c.kind == "primary")):
                t.primary_key = ()
        if t is not None and s.find(r"\bDROP\s+PRIMARY\s+KEY\b"):  # MySQL
            t.primary_key = ()
        for name, kind, not_valid, body in s.added_constraints():
            self._add_constraint(name, table, kind, not not_valid, revision,
                                 not_null_column(body) if kind == "check" else None)
            if kind == "primary" and t is not None and not re.match(r"\s*USING\b", body, re.I):
                m = re.match(r"\s*\(([^)]*)\)", body)
                if m:
                    t.primary_key = tuple(key(c.strip().strip('"`')) for c in m.group(1).split(",")
                                          if c.strip())
            if kind == "foreignkey":
                referent, ondelete = s.references(body)
                target = re.search(r"\bREFERENCES\s+\S+?\s*\(([^)]*)\)", body, re.I)
                if referent:
                    self.foreign_keys.append(ForeignKey(
                        key(table), referent, ondelete, name, revision, (),
                        tuple(key(c.strip().strip('"`')) for c in target.group(1).split(","))
                        if target else ()))
        for name in s.validated_constraints():
            c = self.constraints.get(key(name))
            if c is not None:
                self.constraints[key(name)] = replace(c, validated=True)
        for name in s.dropped_constraints():
            self.constraints.pop(key(name), None)
        for old, new in s.renamed():
            if old is None and t is not None:
                self.tables.pop(key(table))
                self.tables[key(new)] = replace(t, name=new)
                self._renamed(table, "", new, revision)
            elif old is not None and t is not None and key(old) in t.columns:
                t.columns[key(new)] = t.columns.pop(key(old))
                self._renamed(table, old, new, revision)
                self._took_name(table, new, revision)
        if t is not None:
            for col in s.altered_columns(r"DROP\s+NOT\s+NULL"):
                if key(col) in t.columns and t.columns[key(col)].nullable is False:
                    self._retire(table, col, revision,
                                 "made nullable (the first step of retiring it)")
                    t.columns[key(col)] = replace(t.columns[key(col)], nullable=True)
        if t is not None:
            for col in s.dropped_columns():
                t.columns.pop(key(col), None)
            for col, _definition in s.added_columns():
                self._took_name(table, col, revision)
                t.columns.setdefault(key(col), Column())


def _column_foreign_keys(column: Any) -> list[tuple[str, str | None, str | None]]:
    """``(referent_table, ondelete, referent_column)`` of each sa.ForeignKey("t.c") of a
    column."""
    found = []
    for (table, ondelete), arg in zip(foreign_keys(column),
                                      [a for a in column.args if is_call(a, "ForeignKey")
                                       and isinstance(a.arg(0, "column"), str)]):
        target = arg.arg(0, "column")
        found.append((table, ondelete, target.rsplit(".", 1)[-1] if "." in target else None))
    return found

