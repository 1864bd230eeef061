"""Reading the arguments of ``op.*`` calls (columns, types, names) and writing code back.

The values come from :mod:`migrate_doctor.scripts.expressions`: literals, :class:`Call`,
:class:`Name` and :class:`Unknown`. Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

import ast
from typing import Any

from ..scripts.expressions import Call, Name, Unknown, to_value

# sa.Column(...) positional arguments that are not the column's type
_NOT_TYPES = {"ForeignKey", "Sequence", "Identity", "Computed", "CheckConstraint", "text",
              "DefaultClause", "FetchedValue"}
_FAMILIES = {
    "text": {"String", "VARCHAR", "Text", "TEXT", "Unicode", "UnicodeText", "CHAR", "NVARCHAR",
             "NCHAR", "CLOB", "CITEXT"},
    "integer": {"Integer", "INTEGER", "INT", "BigInteger", "BIGINT", "SmallInteger", "SMALLINT"},
    "number": {"Numeric", "NUMERIC", "DECIMAL", "Float", "FLOAT", "REAL", "Double", "DOUBLE",
               "DOUBLE_PRECISION"},
    "time": {"DateTime", "DATETIME", "TIMESTAMP", "Date", "DATE", "Time", "TIME"},
    "boolean": {"Boolean", "BOOLEAN"},
    "json": {"JSON", "JSONB"},
    "uuid": {"Uuid", "UUID"},
    "binary": {"LargeBinary", "BLOB", "BYTEA", "VARBINARY", "BINARY"},
    "enum": {"Enum", "ENUM"},
}


class Code(str):
    """A piece of Python source: rendered as it is, never quoted."""


LATER = "# -- later revision, once the new code is deployed everywhere:"
"""The line that splits a fix: above it the code that replaces the flagged statement(s) in
this revision; below it the upgrade() body of a revision that runs after the deploy."""


def quote(text: str) -> str:
    """A Python string literal: double quotes, or single ones when the text holds double
    quotes (quoted SQL identifiers) and no single ones; newlines escaped."""
    body = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if '"' in text and "'" not in text:
        return "'" + body + "'"
    return '"' + body.replace('"', '\\"') + '"'


def render(value: Any) -> str:
    """A value read from a revision file, back as Python source."""
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Name):
        return value.dotted
    if isinstance(value, (Call, Unknown)):
        return value.source
    if isinstance(value, tuple):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render(k)}: {render(v)}" for k, v in value.items()) + "}"
    return repr(value)


def call(func: str, *args: Any, **kwargs: Any) -> str:
    """``op.add_column("users", ...)`` from values (str is quoted, Code is not)."""
    parts = [render(a) for a in args] + [f"{k}={render(v)}" for k, v in kwargs.items()]
    return f"{func}({', '.join(parts)})"


def is_call(value: Any, *names: str) -> bool:
    return isinstance(value, Call) and (not names or value.name in names)


def column_name(column: Any) -> str | None:
    if not is_call(column):
        return None
    name = column.arg(0, "name")
    return name if isinstance(name, str) else None


def column_type(column: Any) -> Any:
    """The type of ``sa.Column("x", sa.String(20), ...)``: a Call, a Name, or None."""
    if not is_call(column):
        return None
    if "type_" in column.kwargs:
        return column.kwargs["type_"]
    for arg in column.args[1:] if isinstance(column.arg(0), str) else column.args:
        if isinstance(arg, (Call, Name)) and type_name(arg) not in _NOT_TYPES:
            return arg
    return None


def type_name(value: Any) -> str | None:
    """``sa.String(20)`` -> ``String``; ``postgresql.JSONB`` -> ``JSONB``."""
    if isinstance(value, Call):
        return value.name
    if isinstance(value, Name):
        return value.last
    return None


def type_source(value: Any, default: str = "sa.String()") -> str:
    return render(value) if isinstance(value, (Call, Name)) else default


def type_family(value: Any) -> str | None:
    name = type_name(value)
    for family, names in _FAMILIES.items():
        if name in names:
            return family
    return None


def type_length(value: Any) -> int | None:
    """The length of ``sa.String(50)`` / ``sa.String(length=50)``."""
    if isinstance(value, Call):
        length = value.arg(0, "length")
        return length if isinstance(length, int) else None
    return None


def is_not_null(column: Any) -> bool:
    return is_call(column) and (column.kwargs.get("nullable") is False
                                or (column.kwargs.get("primary_key") is True
                                    and "nullable" not in column.kwargs))


def foreign_keys(column: Any) -> list[tuple[str, str | None]]:
    """``(referent_table, ondelete)`` for each sa.ForeignKey("users.id", ...) of a column."""
    found: list[tuple[str, str | None]] = []
    if not is_call(column):
        return found
    for arg in column.args:
        if is_call(arg, "ForeignKey") and isinstance(arg.arg(0, "column"), str):
            target = arg.arg(0, "column")
            table = target.rsplit(".", 1)[0] if "." in target else target
            ondelete = arg.kwargs.get("ondelete")
            found.append((table.rsplit(".", 1)[-1],
                          ondelete if isinstance(ondelete, str) else None))
    return found


def enum_name(type_: Any) -> str | None:
    """The database type name of a native ``sa.Enum`` / ``postgresql.ENUM``; else None."""
    if not is_call(type_, "Enum", "ENUM"):
        return None
    if type_.kwargs.get("native_enum") is False:
        return None
    name = type_.kwargs.get("name")
    if isinstance(name, str):
        return name
    first = type_.arg(0)
    if isinstance(first, Name):  # sa.Enum(Status): SQLAlchemy names it after the class
        return first.last.lower()
    return "<unnamed enum>"


def text_argument(value: Any) -> str | None:
    """The SQL of ``"..."``, ``sa.text("...")`` or ``sa.text("...").bindparams(...)``."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Call):
        return None
    if value.name == "text":
        first = value.arg(0, "text")
        return first if isinstance(first, str) else None
    if "text()" in value.func and value.source:
        try:
            node: ast.AST = ast.parse(value.source, mode="eval").body
        except SyntaxError:
            return None
        while isinstance(node, ast.Call):
            inner = to_value(node, value.source)
            if isinstance(inner, Call) and inner.name == "text":
                return text_argument(inner)
            func = node.func
            node = func.value if isinstance(func, ast.Attribute) else func
    return None


def snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name)
    return out.lstrip("_")


def one_line(source: str) -> str:
    """A call's source on one line (the lines of a call are joined inside its brackets)."""
    lines = [line.strip() for line in source.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    out = lines[0] if lines else ""
    for line in lines[1:]:
        glue = "" if out.endswith(("(", "[", "{")) or line.startswith((")", "]", "}")) else " "
        out += glue + line
    return out


def name_of(value: Any) -> str | None:
    """A name given as ``"ix_users_email"`` or as autogenerate's ``op.f("ix_users_email")``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Call) and value.name == "f" and isinstance(value.arg(0), str):
        return value.arg(0)
    return None
