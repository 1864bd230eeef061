"""SQL found in ``op.execute(...)`` and ``connection.execute(sa.text(...))``, read.

sqlglot (imported only when a revision has SQL) splits the text the way the database
would (quotes, dollar quotes, comments) and parses UPDATE and DELETE, so a WHERE or LIMIT
in a subquery is told from the statement's own. PostgreSQL DDL that sqlglot keeps as an
opaque ``Command`` (``ALTER TYPE ... ADD VALUE``, ``VALIDATE CONSTRAINT``, ...) is read
from the statement's text, and so is everything when sqlglot cannot parse it: the text
patterns are conservative (a statement is only said to lack a WHERE when the word is
nowhere in it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

from ..scripts.cache import register
from ..scripts.expressions import Call
from ..scripts.operations import Operation
from ._values import text_argument

SQLGLOT_DIALECTS = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql",
                    "mariadb": "mysql", "sqlite": "sqlite"}

_NAME = r'(?:"[^"]+"|`[^`]+`|[\w$]+)(?:\s*\.\s*(?:"[^"]+"|`[^`]+`|[\w$]+))*'
_KINDS: tuple[tuple[str, str], ...] = (
    ("update", r"UPDATE\b"), ("delete", r"DELETE\b"), ("insert", r"(?:INSERT|REPLACE)\b"),
    ("select", r"(?:SELECT|WITH|VALUES)\b"), ("set", r"SET\b"), ("pragma", r"PRAGMA\b"),
    ("alter_table", r"ALTER\s+TABLE\b"), ("alter_type", r"ALTER\s+TYPE\b"),
    ("create_index", r"CREATE\s+(?:UNIQUE\s+)?INDEX\b"), ("drop_index", r"DROP\s+INDEX\b"),
    ("create_table", r"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP\w*\s+|UNLOGGED\s+)?TABLE\b"),
    ("drop_table", r"DROP\s+TABLE\b"), ("create_type", r"CREATE\s+TYPE\b"),
    ("drop_type", r"DROP\s+TYPE\b"), ("truncate", r"TRUNCATE\b"), ("lock", r"LOCK\b"),
    ("reindex", r"REINDEX\b"),
)
_TABLES = {
    "alter_table": rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?({_NAME})",
    "create_index": rf"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?"
                    rf"(?:IF\s+NOT\s+EXISTS\s+)?(?:{_NAME}\s+)?ON\s+(?:ONLY\s+)?({_NAME})",
    "create_table": rf"CREATE\s+.*?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})",
    "drop_table": rf"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?({_NAME})",
    "update": rf"UPDATE\s+(?:OR\s+(?:ROLLBACK|ABORT|REPLACE|FAIL|IGNORE)\s+)?(?:ONLY\s+)?({_NAME})",
    "delete": rf"DELETE\s+FROM\s+(?:ONLY\s+)?({_NAME})",
    "truncate": rf"TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?({_NAME})",
    "lock": rf"LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?({_NAME})",
}
# what follows ADD / DROP in an ALTER TABLE action when it is not a column (PostgreSQL and
# MySQL: constraints, keys, indexes, partitions)
_NOT_COLUMNS = (r"CONSTRAINT|CHECK|UNIQUE|PRIMARY|FOREIGN|EXCLUDE|INDEX|KEY|FULLTEXT|SPATIAL|"
                r"PARTITION|PERIOD")
_BIND = re.compile(r"(?<![:\w]):[A-Za-z_]\w*|%\(\w+\)s|%s|\$\d+|\?")
_FLAGS = re.IGNORECASE | re.DOTALL


def ident(text: str) -> str:
    """``public."Users"`` -> ``Users``; ``public.users`` -> ``users``."""
    parts = re.findall(r'"[^"]+"|`[^`]+`|[\w$]+', text)
    last = parts[-1] if parts else text.strip()
    if last[:1] in ('"', "`"):
        return last[1:-1]
    return last.lower()


@register
@dataclass(frozen=True)
class Statement:
    """One SQL statement: what it is, the table it is about, and its text."""

    kind: str  # "update", "alter_table", "create_index", ... or "other"
    text: str  # comments removed, whitespace collapsed
    table: str | None = None
    has_where: bool = False  # update / delete
    batched: bool = False  # update / delete with a LIMIT or bound parameters
    set_columns: tuple[str, ...] = ()  # update
    parsed: bool = False  # True when sqlglot parsed it (not the text fallback)
    python: bool = False  # a SQLAlchemy expression: text is its Python source

    def find(self, pattern: str) -> re.Match[str] | None:
        return re.search(pattern, self.text, _FLAGS)

    @property
    def concurrently(self) -> bool:
        return bool(self.find(r"\bCONCURRENTLY\b"))

    @cached_property
    def actions(self) -> tuple[str, ...]:
        """The comma-separated actions of ALTER TABLE, e.g. ``("ADD COLUMN x int",)``."""
        if self.kind != "alter_table":
            return ()
        m = re.match(_TABLES["alter_table"], self.text, _FLAGS)
        return tuple(split_top_level(self.text[m.end():], ",")) if m else ()

    def action_matches(self, pattern: str) -> Iterator[re.Match[str]]:
        for action in self.actions:
            m = re.match(pattern, action.strip(), _FLAGS)
            if m:
                yield m

    def added_constraints(self) -> list[tuple[str | None, str, bool, str]]:
        """``(name, kind, not_valid, body)``: kind is check/foreignkey/unique/primary/exclude,
        body the text after the kind, e.g. ``(phone IS NOT NULL) NOT VALID``."""
        out = []
        for m in self.action_matches(
                rf"ADD\s+(?:CONSTRAINT\s+({_NAME})\s+)?(CHECK|FOREIGN\s+KEY|UNIQUE|PRIMARY\s+KEY|"
                r"EXCLUDE)\b(.*)$"):
            kind = re.sub(r"\s+", "", m.group(2).lower()).replace("primarykey", "primary")
            rest = m.group(3)
            out.append((ident(m.group(1)) if m.group(1) else None, kind,
                        bool(re.search(r"\bNOT\s+VALID\b", rest, _FLAGS)), rest))
        return out

    def validated_constraints(self) -> list[str]:
        return [ident(m.group(1))
                for m in self.action_matches(rf"VALIDATE\s+CONSTRAINT\s+({_NAME})")]

    def dropped_constraints(self) -> list[str]:
        return [ident(m.group(1)) for m in
                self.action_matches(rf"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?({_NAME})")]

    def added_columns(self) -> list[tuple[str, str]]:
        """``(column, definition)`` for ``ADD [COLUMN] name definition``."""
        return [(ident(m.group(1) or m.group(3)), m.group(2) or m.group(4))
                for m in self.action_matches(
            rf"ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})\s+(.*)$|"
            rf"ADD\s+(?:IF\s+NOT\s+EXISTS\s+)?(?!(?:COLUMN|{_NOT_COLUMNS})\b)({_NAME})\s+(.*)$")]

    def dropped_columns(self) -> list[str]:
        """Columns of ``DROP [COLUMN] name``; MySQL's ``DROP PRIMARY KEY``, ``DROP INDEX x``,
        ``DROP KEY x``, ``DROP FOREIGN KEY x``, ``DROP CHECK x`` drop no column."""
        return [ident(m.group(1) or m.group(2)) for m in self.action_matches(
            rf"DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?({_NAME})|"
            rf"DROP\s+(?:IF\s+EXISTS\s+)?(?!(?:COLUMN|{_NOT_COLUMNS}|DEFAULT|NOT|IDENTITY|"
            rf"EXPRESSION)\b)({_NAME})")]

    def altered_columns(self, what: str) -> list[str]:
        """Columns of ``ALTER [COLUMN] c <what>``, e.g. what=r"SET\\s+NOT\\s+NULL"."""
        return [ident(m.group(1)) for m in
                self.action_matches(rf"(?:ALTER|MODIFY)\s+(?:COLUMN\s+)?({_NAME})\s+{what}")]

    def renamed(self) -> list[tuple[str | None, str]]:
        """``(old_column, new)`` for RENAME COLUMN, ``(None, new_table)`` for RENAME TO."""
        out: list[tuple[str | None, str]] = []
        for m in self.action_matches(rf"RENAME\s+(?:COLUMN\s+)?({_NAME})\s+TO\s+({_NAME})"):
            if m.group(1).upper() != "TO":
                out.append((ident(m.group(1)), ident(m.group(2))))
        for m in self.action_matches(rf"RENAME\s+TO\s+({_NAME})"):
            out.append((None, ident(m.group(1))))
        return out

    def references(self, action: str) -> tuple[str | None, str | None]:
        """``(referent_table, on_delete)`` of a FOREIGN KEY action."""
        ref = re.search(rf"\bREFERENCES\s+({_NAME})", action, _FLAGS)
        on = re.search(r"\bON\s+DELETE\s+(CASCADE|SET\s+NULL|SET\s+DEFAULT|RESTRICT|NO\s+ACTION)",
                       action, _FLAGS)
        return (ident(ref.group(1)) if ref else None,
                re.sub(r"\s+", " ", on.group(1).upper()) if on else None)

    def enum_value_added(self) -> str | None:
        m = self.find(rf"^ALTER\s+TYPE\s+({_NAME})\s+ADD\s+VALUE\b")
        return ident(m.group(1)) if m else None

    def type_renamed(self) -> tuple[str, str] | None:
        """``(old, new)`` of ``ALTER TYPE old RENAME TO new``."""
        m = self.find(rf"^ALTER\s+TYPE\s+({_NAME})\s+RENAME\s+TO\s+({_NAME})\s*$")
        return (ident(m.group(1)), ident(m.group(2))) if m else None

    def enum_labels(self) -> tuple[str, ...] | None:
        """The values of ``CREATE TYPE x AS ENUM ('a', 'b')``; None for another type."""
        m = self.find(r"^CREATE\s+TYPE\s+\S+\s+AS\s+ENUM\s*\((.*)\)\s*$")
        if not m:
            return None
        parts = split_top_level(m.group(1), ",")
        if not all(re.fullmatch(r"'(?:[^']|'')*'", p) for p in parts):
            return None
        return tuple(p[1:-1].replace("''", "'") for p in parts)

    def type_names(self) -> list[str]:
        """Types of CREATE TYPE / DROP TYPE (``DROP TYPE IF EXISTS a, b CASCADE``)."""
        m = self.find(rf"^(?:CREATE|DROP)\s+TYPE\s+(?:IF\s+EXISTS\s+)?({_NAME}(?:\s*,\s*{_NAME})*)")
        return [ident(n) for n in split_top_level(m.group(1), ",")] if m else []

    def dropped_tables(self) -> list[str]:
        m = self.find(rf"^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?({_NAME}(?:\s*,\s*{_NAME})*)")
        return [ident(n) for n in split_top_level(m.group(1), ",")] if m else []

    @property
    def setting(self) -> str | None:
        """The parameter of ``SET [LOCAL|SESSION] name ...``."""
        m = self.find(r"^SET\s+(?:LOCAL\s+|SESSION\s+)?(\w+)")
        return m.group(1).lower() if self.kind == "set" and m else None


def not_null_column(condition: str) -> str | None:
    m = re.search(rf"^\s*(?:CHECK\s*)?\(*\s*({_NAME})\s+IS\s+NOT\s+NULL\s*\)*\s*"
                  r"(?:NOT\s+VALID)?\s*$", condition, _FLAGS)
    return ident(m.group(1)) if m else None


def split_top_level(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside quotes and parentheses."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def normalize(text: str) -> str:
    """Remove comments (outside quotes) and collapse whitespace."""
    out: list[str] = []
    i, quote = 0, ""
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
            out.append(ch)
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            out.append(" ")
            continue
        else:
            out.append(ch)
        i += 1
    return re.sub(r"\s+", " ", "".join(out)).strip().rstrip(";").strip()


def _kind(text: str) -> str:
    for kind, pattern in _KINDS:
        if re.match(pattern, text, _FLAGS):
            return kind
    if re.match(r"WITH\b", text, _FLAGS):
        return "select"
    return "other"


def from_text(raw: str) -> Statement | None:
    """A statement read from its text alone (the fallback, and for sqlglot's Commands)."""
    text = normalize(raw)
    if not text:
        return None
    kind = _kind(text)
    if kind == "select" and re.match(r"WITH\b", text, _FLAGS):
        for verb in ("update", "delete"):  # WITH ... UPDATE / DELETE
            if re.search(rf"\)\s*{verb.upper()}\b", text, _FLAGS):
                kind = verb
    table = None
    if kind in _TABLES:
        m = re.search(_TABLES[kind], text, _FLAGS)
        table = ident(m.group(1)) if m else None
    where = bool(re.search(r"\bWHERE\b", text, _FLAGS))
    batched = bool(re.search(r"\bLIMIT\b", text, _FLAGS) or _BIND.search(_strip_strings(text)))
    set_columns: tuple[str, ...] = ()
    if kind == "update":
        m = re.search(rf"\bSET\s+({_NAME})\s*=", text, _FLAGS)
        set_columns = (ident(m.group(1)),) if m else ()
    return Statement(kind, text, table, where if kind in ("update", "delete") else False,
                     batched if kind in ("update", "delete") else False, set_columns)


def _strip_strings(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", text)


class _Quiet(logging.Filter):
    """sqlglot logs a warning for every statement it keeps as an opaque Command."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


def _from_tree(tree: Any, raw: str) -> Statement | None:
    from sqlglot import exp

    base = from_text(raw)
    if base is None or not isinstance(tree, (exp.Update, exp.Delete)):
        return None if base is None else replace(base, parsed=True)
    table = tree.this if isinstance(tree.this, exp.Table) else tree.find(exp.Table)
    set_columns = tuple(e.this.name for e in tree.expressions
                        if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column))
    return Statement(
        "update" if isinstance(tree, exp.Update) else "delete", base.text,
        table.name.lower() if table is not None and not table.this.args.get("quoted")
        else (table.name if table is not None else None),
        has_where=tree.args.get("where") is not None,
        batched=tree.find(exp.Limit) is not None or tree.find(exp.Placeholder, exp.Parameter)
        is not None,
        set_columns=set_columns, parsed=True)


def _segments(text: str, read: str | None) -> list[str] | None:
    """The text split at its top-level semicolons by sqlglot's tokenizer; None on failure."""
    import sqlglot
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.tokenize(text, read=read)
    except Exception:  # noqa: BLE001 - any tokenizer failure means: use the fallback
        return None
    cuts = [t.start for t in tokens if t.token_type == TokenType.SEMICOLON]
    out, start = [], 0
    for cut in cuts:
        out.append(text[start:cut])
        start = cut + 1
    out.append(text[start:])
    return [s for s in out if s.strip()]


@lru_cache(maxsize=4096)
def _lint_sql(text: str, dialect: str | None) -> tuple[Statement, ...]:
    if not text.strip():
        return ()
    read = SQLGLOT_DIALECTS.get(dialect or "")
    quiet = _Quiet()
    logger = logging.getLogger("sqlglot")
    logger.addFilter(quiet)
    try:
        import sqlglot

        segments = _segments(text, read)
        if segments is None:
            return tuple(s for s in map(from_text, split_top_level(text, ";")) if s)
        out: list[Statement] = []
        for raw in segments:
            try:
                tree = sqlglot.parse_one(raw, read=read)
                statement = _from_tree(tree, raw)
            except Exception:  # noqa: BLE001 - sqlglot raises several types; never crash
                statement = from_text(raw)
            if statement is not None:
                out.append(statement)
        return tuple(out)
    finally:
        logger.removeFilter(quiet)


class SqlCache:
    """Statements already read in an earlier run, kept on disk next to the script cache,
    so that an unchanged history does not import sqlglot or parse its SQL again."""

    def __init__(self) -> None:
        self.dirs: list[Any] | None = None
        self.known: dict[tuple[str | None, str], tuple[Statement, ...]] = {}
        self.used: dict[tuple[str | None, str], tuple[Statement, ...]] = {}
        self.new = False

    def open(self, dirs: list[Any]) -> None:
        from ..scripts import cache

        self.dirs, self.known, self.used, self.new = dirs, cache.load(dirs, "sql", _stamp()), {}, False

    def get(self, text: str, dialect: str | None) -> tuple[Statement, ...]:
        k = (dialect, text)
        found = self.used.get(k) or self.known.get(k)
        if found is None:
            found, self.new = _lint_sql(text, dialect), True
        self.used[k] = found
        return found

    def close(self) -> None:
        from ..scripts import cache

        if self.dirs is not None and (self.new or len(self.used) != len(self.known)):
            cache.save(self.dirs, self.used, "sql", _stamp())
        self.dirs = None


def _stamp() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return ":sqlglot-" + version("sqlglot")
    except PackageNotFoundError:
        return ""


SQL_CACHE = SqlCache()


def lint_sql(text: str, dialect: str | None) -> list[Statement]:
    """The statements of a piece of SQL, for the target ``dialect`` (Alembic's name)."""
    if SQL_CACHE.dirs is not None:
        return list(SQL_CACHE.get(text, dialect))
    return list(_lint_sql(text, dialect))


_EXPRESSION = re.compile(r"^\s*(?:(?:sa|sqlalchemy)\.)?(update|delete)\(\s*([\w.]+)"
                         r"|^\s*([\w.]+)\.(update|delete)\(")


def expression_statement(value: Any, resolve: Callable[[str], str | None]) -> Statement | None:
    """``sa.update(users).values(...)`` / ``users.delete()``: a SQLAlchemy expression."""
    if not isinstance(value, Call) or not value.source:
        return None
    m = _EXPRESSION.match(value.source)
    if not m:
        return None
    kind = m.group(1) or m.group(4)
    table = resolve(m.group(2) or m.group(3))
    inline = re.match(r"\s*(?:(?:sa|sqlalchemy)\.)?(?:update|delete)\(\s*(?:(?:sa|sqlalchemy)\.)?"
                      r"(?:table|Table)\(\s*[\"']([^\"']+)[\"']", value.source)
    if table is None and inline:  # sa.update(sa.table("users", ...))
        table = inline.group(1)
    return Statement(kind, value.source, table, has_where=".where(" in value.source
                     or ".filter(" in value.source, batched=".limit(" in value.source,
                     python=True)


def statements_of(op: Operation, dialect: str | None,
                  resolve: Callable[[str], str | None] = lambda name: None) -> list[Statement]:
    """The SQL statements an ``execute`` operation runs (empty for anything else)."""
    if op.name != "execute":
        return []
    value = op.get("sqltext")
    text = text_argument(value)
    if text is not None:
        return lint_sql(text, dialect)
    statement = expression_statement(value, resolve)
    return [statement] if statement else []
