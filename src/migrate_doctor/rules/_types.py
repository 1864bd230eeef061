"""Column types as the database sees them, for the rules about type changes and JSON.

A type in a revision is a Python expression (``sa.String(50)``, ``postgresql.JSONB()``,
``JSON`` imported from somewhere, ``prefect.server.utilities.database.JSON()``) or SQL
text (``varchar(50)``, ``jsonb``). Its meaning depends on where the name comes from: the
file's imports say whether ``JSON`` is SQLAlchemy's (json on PostgreSQL) or a project's
TypeDecorator (whose ``load_dialect_impl`` may return JSONB). A name whose origin cannot
be read (a project type, a reflected ``col.type``) is *unknown*, never guessed as
SQLAlchemy's type of the same name.

``change(old, new, dialect)`` says what the database does when a column goes from one type
to the other: nothing but a catalog update, or a rewrite / copy of the table.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..scripts.expressions import Call, Name
from ..scripts.revision_file import RevisionFile

# SQLAlchemy type names (any module of sqlalchemy: types, dialects.*) -> kind
_KINDS = {
    "String": "varchar", "VARCHAR": "varchar", "Unicode": "varchar", "NVARCHAR": "varchar",
    "Text": "text", "TEXT": "text", "UnicodeText": "text", "CLOB": "text",
    "TINYTEXT": "text", "MEDIUMTEXT": "text", "LONGTEXT": "text",
    "CHAR": "char", "NCHAR": "char",
    "CITEXT": "citext",
    "SmallInteger": "int2", "SMALLINT": "int2", "TINYINT": "int1", "MEDIUMINT": "int3",
    "Integer": "int4", "INTEGER": "int4", "INT": "int4",
    "BigInteger": "int8", "BIGINT": "int8",
    "Numeric": "numeric", "NUMERIC": "numeric", "DECIMAL": "numeric",
    "Float": "float8", "FLOAT": "float8", "Double": "float8", "DOUBLE": "float8",
    "DOUBLE_PRECISION": "float8", "REAL": "float4",
    "DateTime": "timestamp", "DATETIME": "timestamp", "TIMESTAMP": "timestamp",
    "Date": "date", "DATE": "date", "Time": "time", "TIME": "time",
    "Interval": "interval", "INTERVAL": "interval",
    "Boolean": "boolean", "BOOLEAN": "boolean",
    "JSON": "json", "JSONB": "jsonb",
    "Uuid": "uuid", "UUID": "uuid",
    "LargeBinary": "binary", "BYTEA": "binary", "BLOB": "binary", "BINARY": "binary",
    "VARBINARY": "binary", "LONGBLOB": "binary", "MEDIUMBLOB": "binary",
    "Enum": "enum", "ENUM": "enum",
    "ARRAY": "array", "HSTORE": "hstore", "INET": "inet", "CIDR": "cidr",
}
# well-known third-party types, by full name -> (kind, length)
_THIRD_PARTY = {
    "sqlalchemy_utils.types.url.UrlType": ("text", None),
    "sqlalchemy_utils.UrlType": ("text", None),
    "sqlalchemy_utils.types.email.EmailType": ("varchar", 255),
    "sqlalchemy_utils.EmailType": ("varchar", 255),
    "sqlalchemy_utils.types.json.JSONType": ("json", None),
    "sqlalchemy_utils.JSONType": ("json", None),
    "sqlalchemy_utils.types.uuid.UUIDType": ("uuid", None),
    "sqlalchemy_utils.UUIDType": ("uuid", None),
    "sqlalchemy_utils.types.timezone.TimezoneType": ("varchar", 50),
    "sqlalchemy_utils.TimezoneType": ("varchar", 50),
}
# SQL type names (lower case, first word) -> kind
_SQL_KINDS = {
    "text": "text", "varchar": "varchar", "character varying": "varchar", "char": "char",
    "character": "char", "bpchar": "char", "citext": "citext",
    "smallint": "int2", "int2": "int2", "integer": "int4", "int": "int4", "int4": "int4",
    "bigint": "int8", "int8": "int8", "numeric": "numeric", "decimal": "numeric",
    "real": "float4", "float4": "float4", "double precision": "float8", "float8": "float8",
    "float": "float8", "timestamp": "timestamp", "timestamptz": "timestamp", "date": "date",
    "time": "time", "timetz": "time", "interval": "interval", "boolean": "boolean",
    "bool": "boolean", "json": "json", "jsonb": "jsonb", "uuid": "uuid", "bytea": "binary",
    "blob": "binary", "longtext": "text", "mediumtext": "text", "tinytext": "text",
    "datetime": "timestamp", "tinyint": "int1", "mediumint": "int3",
}
_TEXTUAL = ("text", "varchar")
MYSQL_BYTES = {"utf8": 3, "utf8mb3": 3, "utf8mb4": 4, "latin1": 1, "ascii": 1, "binary": 1}


@dataclass(frozen=True)
class SqlType:
    """What a column type is to the database. ``kind`` "unknown" when it cannot be read."""

    kind: str
    length: int | None = None  # varchar(n) / char(n)
    precision: int | None = None  # numeric(p, s), timestamp(p)
    scale: int | None = None
    timezone: bool = False
    name: str | None = None  # enum type name
    origin: str | None = None  # the full dotted name it was read from

    @property
    def known(self) -> bool:
        return self.kind != "unknown"

    @property
    def core(self) -> tuple[Any, ...]:
        """What the database stores, whatever name it was read from."""
        return (self.kind, self.length, self.precision, self.scale, self.timezone, self.name)

    @property
    def unbounded_text(self) -> bool:
        return self.kind == "text" or (self.kind == "varchar" and self.length is None)


UNKNOWN = SqlType("unknown")


class Imports:
    """What the names of one revision file stand for: ``sa`` -> ``sqlalchemy``,
    ``postgresql`` -> ``sqlalchemy.dialects.postgresql``, ``JSON`` ->
    ``prefect.server.utilities.database.JSON``; classes defined in the file by their node."""

    def __init__(self, file: RevisionFile, dialect: str | None = None) -> None:
        self.file = file
        self.dialect = dialect  # the target: picks with_variant()'s type

    @cached_property
    def names(self) -> dict[str, str]:
        found: dict[str, str] = {}
        tree = self.file.tree
        if tree is None:
            return found
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".", 1)[0]
                        found.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return found

    @cached_property
    def star_sqlalchemy(self) -> bool:
        return bool(re.search(r"^\s*from\s+sqlalchemy(\.types)?\s+import\s+\*", self.file.text,
                              re.MULTILINE))

    @cached_property
    def classes(self) -> dict[str, ast.ClassDef]:
        tree = self.file.tree
        if tree is None:
            return {}
        return {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}

    def full_name(self, dotted: str) -> str | None:
        """The dotted name with its first part replaced by what was imported under it;
        None when the first part was never imported (a local variable, an attribute)."""
        head, _, rest = dotted.partition(".")
        origin = self.names.get(head)
        if origin is None:
            if head in self.classes:
                return f"<file>.{dotted}"
            if self.star_sqlalchemy and head in _KINDS:
                return f"sqlalchemy.{dotted}"
            return None
        return f"{origin}.{rest}" if rest else origin


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read(imports: Imports, value: Any, depth: int = 0, dialect: str | None = None) -> SqlType:
    """The SqlType of a Python type expression (a Call or a Name); ``X.with_variant(Y,
    "postgresql")`` is Y on that dialect, X elsewhere."""
    if isinstance(value, Call) and value.name == "with_variant" and depth <= 4:
        variant, base = _variant(imports, value)
        names = value.arg(1, "dialect_names")
        names = names if isinstance(names, tuple) else (names,)
        dialect = dialect or imports.dialect
        if dialect is not None and dialect in names and variant is not None:
            return read(imports, variant, depth + 1, dialect)
        return read(imports, base, depth + 1, dialect) if base is not None else UNKNOWN
    if isinstance(value, Call):
        dotted, args, kwargs = value.func, value.args, value.kwargs
    elif isinstance(value, Name):
        dotted, args, kwargs = value.dotted, (), {}
    else:
        return UNKNOWN
    if depth > 4:
        return UNKNOWN
    full = imports.full_name(dotted)
    if full is None:
        return UNKNOWN
    last = full.rsplit(".", 1)[-1]
    if full in _THIRD_PARTY:
        kind, length = _THIRD_PARTY[full]
        return SqlType(kind, length, origin=full)
    if full.startswith("<file>."):
        return _decorator(imports, imports.classes[dotted.split(".", 1)[0]], depth)
    if not (full == "sqlalchemy" or full.startswith("sqlalchemy.")) or last not in _KINDS:
        return SqlType("unknown", origin=full)
    kind = _KINDS[last]
    if kind in ("varchar", "char"):
        return SqlType(kind, _int(value.arg(0, "length")) if isinstance(value, Call) else None,
                       origin=full)
    if kind == "numeric":
        return SqlType(kind, precision=_int(kwargs.get("precision", args[0] if args else None)),
                       scale=_int(kwargs.get("scale", args[1] if len(args) > 1 else None)),
                       origin=full)
    if kind in ("timestamp", "time"):
        tz = kwargs.get("timezone", args[0] if args else False)
        return SqlType(kind, timezone=tz is True,
                       precision=_int(kwargs.get("precision", kwargs.get("fsp"))), origin=full)
    if kind == "enum":
        if kwargs.get("native_enum") is False:
            return SqlType("varchar", _int(kwargs.get("length")), origin=full)
        name = kwargs.get("name")
        return SqlType(kind, name=name if isinstance(name, str) else None, origin=full)
    if kind == "float8" and last in ("Float", "FLOAT"):
        p = _int(kwargs.get("precision", args[0] if args else None))
        return SqlType("float4" if p is not None and p <= 24 else "float8", origin=full)
    return SqlType(kind, origin=full)


def _variant(imports: Imports, value: Call) -> tuple[Any, Any]:
    """``(variant type, base type)`` of ``base.with_variant(variant, ...)``."""
    from ..scripts.expressions import to_value

    try:
        node = ast.parse(value.source, mode="eval").body
    except SyntaxError:
        return None, None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None, None
    base = to_value(node.func.value, value.source)
    return value.arg(0, "type_"), base


def _decorator(imports: Imports, node: ast.ClassDef, depth: int) -> SqlType:
    """A TypeDecorator defined in the revision file: its ``impl``, unless it picks a type
    per dialect (``load_dialect_impl``)."""
    from ..scripts.expressions import to_value

    impl = None
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "load_dialect_impl":
            return UNKNOWN
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "impl" for t in stmt.targets):
            impl = to_value(stmt.value, imports.file.text)
    return read(imports, impl, depth + 1) if impl is not None else UNKNOWN


def by_name(value: Any) -> SqlType:
    """A type read from its class name alone, for a type of unknown origin: a project type
    called ``UTCDateTime(timezone=True)`` or ``UTF8LongText`` is most likely what its name
    ends with. UNKNOWN when the name ends with no SQLAlchemy type name."""
    name = value.name if isinstance(value, Call) else \
        value.last if isinstance(value, Name) else None
    if not name:
        return UNKNOWN
    for suffix in sorted(_KINDS, key=len, reverse=True):
        if name.endswith(suffix) and len(suffix) >= 4:
            kind = _KINDS[suffix]
            tz = isinstance(value, Call) and value.kwargs.get("timezone") is True
            return SqlType(kind, timezone=tz, origin=None)
    return UNKNOWN


_SQL_TYPE = re.compile(
    r"^\s*(?:\"?[\w]+\"?\s*\.\s*)?\"?(double\s+precision|character\s+varying|timestamp\s*"
    r"(?:\(\s*\d+\s*\))?\s+with(?:out)?\s+time\s+zone|time\s+with(?:out)?\s+time\s+zone|[a-z_]\w*)"
    r"\"?\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?", re.IGNORECASE)


def read_sql(text: str, enum_types: set[str] | None = None) -> SqlType:
    """The SqlType of a SQL type (``varchar(50)``, ``jsonb``, ``numeric(8, 3)``,
    ``public.my_enum``)."""
    m = _SQL_TYPE.match(text)
    if not m:
        return UNKNOWN
    word = re.sub(r"\s+", " ", m.group(1).lower())
    first, second = _int(int(m.group(2))) if m.group(2) else None, \
        int(m.group(3)) if m.group(3) else None
    if word.startswith("timestamp") or word.startswith("time "):
        return SqlType("timestamp" if word.startswith("timestamp") else "time",
                       timezone="with time zone" in word and "without" not in word)
    if word in ("timestamptz", "timetz"):
        return SqlType("timestamp" if word == "timestamptz" else "time", timezone=True)
    kind = _SQL_KINDS.get(word)
    if kind is None:
        if enum_types is not None and word in enum_types:
            return SqlType("enum", name=word)
        return UNKNOWN
    if kind in ("varchar", "char"):
        return SqlType(kind, first if kind == "varchar" else (first or 1))
    if kind == "numeric":
        return SqlType(kind, precision=first, scale=second if first is not None else None)
    return SqlType(kind)


def pg_free(old: SqlType, new: SqlType) -> bool:
    """True when PostgreSQL makes the change in its catalog only (no rewrite, no scan, no
    index rebuild): the same type; varchar(n)/text to text or a varchar at least as long;
    numeric(p, s) to numeric(p2 >= p, s) or unconstrained numeric."""
    if not (old.known and new.known):
        return False
    if old.core == new.core or (old.kind == new.kind and old.kind not in ("varchar", "char", "numeric",
                                                               "timestamp", "time", "enum")):
        return True
    if old.kind in _TEXTUAL and new.kind in _TEXTUAL:
        if new.unbounded_text:
            return True
        return old.kind == "varchar" and old.length is not None and new.length is not None \
            and new.length >= old.length
    if old.kind == new.kind == "numeric":
        if new.precision is None:
            return True
        return old.precision is not None and new.precision >= old.precision and \
            (old.scale or 0) == (new.scale or 0)
    if old.kind == new.kind and old.kind in ("timestamp", "time"):
        return old.timezone == new.timezone
    if old.kind == new.kind == "char":
        return old.length == new.length
    if old.kind == new.kind == "enum":
        return old.name is not None and old.name == new.name
    return False


def mysql_in_place(old: SqlType, new: SqlType, bytes_per_char: int) -> bool:
    """True when MySQL (InnoDB) changes the column in place: VARCHAR widened while the
    length prefix stays one byte (at most 255 bytes) or stays two bytes."""
    if not (old.known and new.known):
        return False
    if old.core == new.core:
        return True
    if old.kind == new.kind == "varchar" and old.length is not None and new.length is not None:
        if new.length < old.length:
            return False
        before, after = old.length * bytes_per_char, new.length * bytes_per_char
        return (before <= 255) == (after <= 255)
    return False


_PG_SPELLING = {"text": "text", "citext": "citext", "int1": "smallint", "int2": "smallint",
                "int3": "integer", "int4": "integer", "int8": "bigint", "float4": "real",
                "float8": "double precision", "date": "date", "interval": "interval",
                "boolean": "boolean", "json": "json", "jsonb": "jsonb", "uuid": "uuid",
                "binary": "bytea", "inet": "inet", "cidr": "cidr", "hstore": "hstore"}


def pg_spelling(t: SqlType) -> str | None:
    """How PostgreSQL writes the type (for a CAST), or None."""
    from ._quote import ident

    if t.kind in ("varchar", "char"):
        return f"{t.kind}({t.length})" if t.length is not None else t.kind
    if t.kind == "numeric":
        if t.precision is None:
            return "numeric"
        return f"numeric({t.precision}, {t.scale or 0})"
    if t.kind in ("timestamp", "time"):
        return t.kind + (" with time zone" if t.timezone else "")
    if t.kind == "enum":
        return ident(t.name, "postgresql") if t.name else None
    return _PG_SPELLING.get(t.kind)
