"""Generated rows: a few plausible rows in the tables a migration is about to change, so
that what it does to existing data shows (a NOT NULL column without a default fails, a
cast meets values, a rewrite has rows to copy).

``fill(conn, ["users", "billing.payments"])`` inserts ``rows`` rows into each table and
into the tables they reference (parents first, through their foreign keys), inside the
caller's transaction: roll it back and nothing stays. The rows are deterministic (the same
schema gets the same rows) and respect what the database enforces:

- types: a value of the column's type (digit strings for strings, so that a later cast to
  a number works; 1, 2, 3 for numbers; dates in January 2024; UUID(int=n); ...);
- NOT NULL, primary keys and UNIQUE constraints or indexes: every column gets a value, and
  values differ from row to row (fewer rows where a unique boolean or enum runs out);
- foreign keys: values read back from the referenced table (filled first); a
  self-reference is NULL, or the row itself;
- enums (native, and ``CHECK (col IN (...))``) and CHECKs that are trivially satisfiable
  (bounds, lengths, ``<> ''``, ``LIKE 'x%'``); a column in a CHECK that is not understood
  is NULL where it may be;
- server defaults, identities, sequences and computed columns are left to the database.

A table that already holds rows is left as it is (its rows are what children refer to).
A table whose rows the database refuses (a trigger, a CHECK across columns) gets as many
as it takes, one by one, and none at worst; that is not an error. Works on any dialect
SQLAlchemy reflects; on PostgreSQL each table's insert runs under a SAVEPOINT, so a refusal
does not abort the caller's transaction.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ROWS = 3
_PARENT_ROWS = 100  # referenced values read back per foreign key


def fill(conn: Any, tables: list[str], rows: int = ROWS) -> dict[str, int]:
    """Insert ``rows`` generated rows into each of ``tables`` (``"name"`` or
    ``"schema.name"``; names that do not exist are skipped) and the tables they reference.
    Returns the rows inserted per table, keyed ``"name"`` (default schema) or
    ``"schema.name"``; a table that already had rows is not filled and maps to 0."""
    import sqlalchemy as sa

    wanted = _existing(conn, tables)
    if not wanted or rows <= 0:
        return {}
    meta = sa.MetaData()
    by_schema: dict[str | None, list[str]] = {}
    for schema, name in wanted:
        by_schema.setdefault(schema, []).append(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # types the dialect does not know
        for schema, names in by_schema.items():
            meta.reflect(conn, schema=schema, only=names, resolve_fks=True, views=False)
    default = _default_schema(conn)
    start = [meta.tables[_meta_key(s, n)] for s, n in wanted if _meta_key(s, n) in meta.tables]
    counts: dict[str, int] = {}
    for table in _parents_first(_with_parents(start)):
        key = _key(table, default)
        if _has_rows(conn, table):
            counts[key] = 0
            continue
        counts[key] = _insert(conn, table, _Plan.of(conn, table).rows(conn, rows))
    return counts


# -- which tables -----------------------------------------------------------------------

def _default_schema(conn: Any) -> str | None:
    return getattr(conn.dialect, "default_schema_name", None)


def _split(name: str, default: str | None) -> tuple[str | None, str]:
    schema, _, table = name.rpartition(".")
    schema = schema.strip('"') or None
    return (None if schema == default else schema), table.strip('"')


def _meta_key(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


def _key(table: Any, default: str | None) -> str:
    return table.name if table.schema in (None, default) else f"{table.schema}.{table.name}"


def _existing(conn: Any, tables: Iterable[str]) -> list[tuple[str | None, str]]:
    import sqlalchemy as sa

    default = _default_schema(conn)
    insp = sa.inspect(conn)
    known: dict[str | None, set[str]] = {}
    found: list[tuple[str | None, str]] = []
    for name in tables:
        schema, table = _split(name, default)
        if schema not in known:
            try:
                known[schema] = set(insp.get_table_names(schema=schema))
            except Exception:  # noqa: BLE001 - a schema that does not exist
                known[schema] = set()
        if table in known[schema] and (schema, table) not in found:
            found.append((schema, table))
    return found


def _with_parents(tables: list[Any]) -> list[Any]:
    """The tables and every table they reference, directly or not."""
    seen: dict[Any, None] = {}
    stack = list(tables)
    while stack:
        table = stack.pop(0)
        if table in seen:
            continue
        seen[table] = None
        stack.extend(fk.referred_table for fk in table.foreign_key_constraints
                     if fk.referred_table is not table)
    return list(seen)


def _parents_first(tables: list[Any]) -> list[Any]:
    """Referenced tables before the tables that reference them; a cycle is broken where a
    foreign key may be NULL (then the child's value is NULL for that key)."""
    pending = list(tables)
    done: list[Any] = []
    while pending:
        ready = [t for t in pending if all(
            fk.referred_table is t or fk.referred_table in done
            or fk.referred_table not in pending for fk in t.foreign_key_constraints)]
        if not ready:  # a cycle: take the one whose open keys may be NULL, else the first
            ready = [next((t for t in pending if all(
                all(e.parent.nullable for e in fk.elements)
                for fk in t.foreign_key_constraints
                if fk.referred_table in pending and fk.referred_table is not t)), pending[0])]
        for table in ready:
            pending.remove(table)
            done.append(table)
    return done


def _has_rows(conn: Any, table: Any) -> bool:
    import sqlalchemy as sa

    return conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None


# -- what the CHECK constraints allow -----------------------------------------------------

_COL = r"\(*\"?(\w+)\"?\)*(?:::[\w ]+(?:\[\])?)?"
_NUM = r"\(*'?(-?\d+(?:\.\d+)?)'?\)*(?:::[\w ]+)?"
_STR = r"'((?:[^']|'')*)'(?:::[\w ]+)?"
_IN = re.compile(rf"^{_COL}\s*(?:IN\s*\((.*)\)|=\s*ANY\s*\(\s*\(?\s*ARRAY\s*\[(.*)\]\s*\)?"
                 rf"(?:::[\w ]+\[\])?\s*\))$", re.IGNORECASE | re.DOTALL)
_CMP = re.compile(rf"^{_COL}\s*(>=|>|<=|<|=)\s*{_NUM}$")
_CMP_REVERSED = re.compile(rf"^{_NUM}\s*(>=|>|<=|<)\s*{_COL}$")
_BETWEEN = re.compile(rf"^{_COL}\s+BETWEEN\s+{_NUM}\s+AND\s+{_NUM}$", re.IGNORECASE)
_LENGTH = re.compile(rf"^\(*(?:char_length|length|character_length)\s*\({_COL}\)\)*\s*(<=|<)\s*"
                     rf"{_NUM}$", re.IGNORECASE)
_NOT_EMPTY = re.compile(rf"^{_COL}\s*(?:<>|!=)\s*''(?:::[\w ]+)?$")
_LIKE = re.compile(rf"^{_COL}\s*(?:~~|LIKE)\s*{_STR}$", re.IGNORECASE)
_NOT_NULL = re.compile(rf"^{_COL}\s+IS\s+NOT\s+NULL$", re.IGNORECASE)
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">="}


@dataclass
class _Allowed:
    """What the CHECKs of one column allow."""

    values: list[str] | None = None
    low: tuple[float, bool] | None = None  # (bound, strict)
    high: tuple[float, bool] | None = None
    max_length: int | None = None
    like: str | None = None
    unknown: bool = False  # in a CHECK this module does not understand


def _unwrap(text: str) -> str:
    text = text.strip()
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str, start: int) -> int:
    depth, quoted = 0, False
    for index in range(start, len(text)):
        ch = text[index]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _conjuncts(text: str) -> list[str]:
    """``a AND b AND c`` at the top level (not inside parentheses or quotes)."""
    text = _unwrap(text)
    parts, depth, quoted, last = [], 0, False, 0
    upper = text.upper()
    index = 0
    while index < len(text):
        ch = text[index]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and upper.startswith(" AND ", index) \
                and not re.search(r"\bBETWEEN\s+\S+$", upper[last:index]):
            parts.append(text[last:index])
            last = index = index + 5
            continue
        index += 1
    parts.append(text[last:])
    return [_unwrap(p) for p in parts if p.strip()]


def _strings(text: str) -> list[str]:
    return [v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", text)]


def _checks(table: Any) -> dict[str, _Allowed]:
    import sqlalchemy as sa

    found: dict[str, _Allowed] = {}
    for constraint in table.constraints:
        if not isinstance(constraint, sa.CheckConstraint):
            continue
        for part in _conjuncts(str(constraint.sqltext)):
            _read_check(part, found, table)
    return found


def _read_check(part: str, found: dict[str, _Allowed], table: Any) -> None:
    def at(name: str) -> _Allowed:
        return found.setdefault(name, _Allowed())

    if m := _IN.match(part):
        at(m.group(1)).values = _strings(m.group(2) or m.group(3) or "")
    elif m := _BETWEEN.match(part):
        allowed = at(m.group(1))
        allowed.low, allowed.high = (float(m.group(2)), False), (float(m.group(3)), False)
    elif m := _CMP.match(part):
        _bound(at(m.group(1)), m.group(2), float(m.group(3)))
    elif m := _CMP_REVERSED.match(part):
        _bound(at(m.group(3)), _FLIP[m.group(2)], float(m.group(1)))
    elif m := _LENGTH.match(part):
        at(m.group(1)).max_length = int(float(m.group(3))) - (m.group(2) == "<")
    elif m := _LIKE.match(part):
        at(m.group(1)).like = m.group(2).replace("''", "'")
    elif _NOT_EMPTY.match(part) or _NOT_NULL.match(part):
        return
    else:
        for column in table.columns:  # every column the CHECK names
            if re.search(rf"(?<![\w.]){re.escape(column.name)}(?!\w)", part):
                at(column.name).unknown = True


def _bound(allowed: _Allowed, op: str, value: float) -> None:
    if op in (">", ">="):
        allowed.low = (value, op == ">")
    elif op in ("<", "<="):
        allowed.high = (value, op == "<")
    else:
        allowed.low = allowed.high = (value, False)


# -- the rows ----------------------------------------------------------------------------

@dataclass
class _Plan:
    table: Any
    checks: dict[str, _Allowed] = field(default_factory=dict)
    unique_sets: list[set[str]] = field(default_factory=list)
    referred: dict[Any, list[tuple[Any, ...]]] = field(default_factory=dict)

    @classmethod
    def of(cls, conn: Any, table: Any) -> _Plan:
        import sqlalchemy as sa

        plan = cls(table, _checks(table))
        if table.primary_key.columns:
            plan.unique_sets.append({c.name for c in table.primary_key.columns})
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint):
                plan.unique_sets.append({c.name for c in constraint.columns})
        for index in table.indexes:
            if index.unique:
                plan.unique_sets.append({c.name for c in index.columns})
        for fk in table.foreign_key_constraints:
            if fk.referred_table is not table:
                cols = [e.column for e in fk.elements]
                query = (sa.select(*cols).where(*(c.isnot(None) for c in cols)).distinct()
                         .order_by(*cols).limit(_PARENT_ROWS))
                try:
                    plan.referred[fk] = [tuple(r) for r in conn.execute(query)]
                except Exception:  # noqa: BLE001 - unreadable parent: NULL or no rows
                    plan.referred[fk] = []
        return plan

    def unique(self, column: Any) -> bool:
        return any(column.name in s for s in self.unique_sets)

    def capacity(self, rows: int) -> int:
        """Fewer rows where a unique column has only a few possible values."""
        for names in self.unique_sets:
            if len(names) != 1:
                continue
            column = self.table.c.get(next(iter(names)))
            if column is None:
                continue
            limit = _choices(column, self.checks.get(column.name))
            if limit is not None:
                rows = min(rows, limit)
        return rows

    def rows(self, conn: Any, rows: int) -> list[dict[str, Any]]:
        return [self.row(n) for n in range(1, self.capacity(rows) + 1)]

    def row(self, n: int) -> dict[str, Any]:
        table = self.table
        row: dict[str, Any] = {}
        for column in table.columns:
            if not self._ours(column):
                continue
            allowed = self.checks.get(column.name)
            if allowed is not None and allowed.unknown and column.nullable:
                row[column.name] = None
                continue
            row[column.name] = value_for(column, n, allowed)
        for fk in table.foreign_key_constraints:
            names = [e.parent.name for e in fk.elements]
            if fk.referred_table is table:
                referred = [e.column.name for e in fk.elements]
                if all(table.c[name].nullable for name in names) \
                        or not all(r in row for r in referred):
                    row.update(dict.fromkeys(names))
                else:  # NOT NULL self-reference: the row refers to itself
                    row.update({name: row[r] for name, r in zip(names, referred)})
                continue
            targets = self.referred.get(fk) or []
            if targets:
                row.update(zip(names, targets[(n - 1) % len(targets)]))
            elif all(table.c[name].nullable for name in names):
                row.update(dict.fromkeys(names))
        return row

    def _ours(self, column: Any) -> bool:
        """Whether this module gives the column its value (not the database)."""
        if column.computed is not None or column.identity is not None:
            return False
        default = column.server_default
        if default is None:
            return True
        text = str(getattr(default, "arg", default))
        if "nextval(" in text.lower():
            return False
        return self.unique(column)  # a constant default repeats: a unique column differs


def _choices(column: Any, allowed: _Allowed | None) -> int | None:
    import sqlalchemy as sa

    if allowed is not None and allowed.values:
        return len(allowed.values)
    type_ = column.type
    if isinstance(type_, sa.Enum) and type_.enums:
        return len(type_.enums)
    if isinstance(type_, sa.Boolean):
        return 2
    return None


def value_for(column: Any, n: int, allowed: _Allowed | None = None) -> Any:
    """The n-th (1-based) generated value for ``column``."""
    import sqlalchemy as sa

    type_ = column.type
    if allowed is not None and allowed.values:
        return allowed.values[(n - 1) % len(allowed.values)]
    if isinstance(type_, sa.Enum) and type_.enums:
        return type_.enums[(n - 1) % len(type_.enums)]
    data_type = getattr(type_, "data_type", None)  # a PostgreSQL DOMAIN
    if data_type is not None and not isinstance(type_, sa.ARRAY):
        type_ = data_type if isinstance(data_type, sa.types.TypeEngine) else type_
    name = type(type_).__name__.upper()
    special = _special(name, n)
    if special is not None:
        return special
    if isinstance(type_, sa.ARRAY):
        return [value_for(sa.Column(column.name, type_.item_type), n)]
    try:
        python = type_.python_type
    except NotImplementedError:
        python = None
    if python is bool:
        return n % 2 == 1
    if python in (int, float, decimal.Decimal):
        return _number(python, n, allowed, type_)
    if python is datetime.datetime:
        return datetime.datetime(2024, 1, (n - 1) % 28 + 1, 12, 0, 0)
    if python is datetime.date:
        return datetime.date(2024, 1, (n - 1) % 28 + 1)
    if python is datetime.time:
        return datetime.time(12, (n - 1) % 60)
    if python is datetime.timedelta:
        return datetime.timedelta(minutes=n)
    if python is uuid.UUID or isinstance(type_, sa.Uuid):
        value = uuid.UUID(int=n)
        return value if getattr(type_, "as_uuid", True) else str(value)
    if python is bytes:
        return str(n).encode()
    if python in (dict, list) or isinstance(type_, sa.JSON):
        return {"n": n}
    if python is str:
        return _string(type_, n, allowed)
    return None if column.nullable else str(n)


def _special(name: str, n: int) -> Any:
    """PostgreSQL types whose Python type says little."""
    if name == "INET":
        return f"10.0.0.{n % 250 + 1}"
    if name == "CIDR":
        return f"10.{n % 250}.0.0/16"
    if name in ("MACADDR", "MACADDR8"):
        return f"08:00:2b:00:00:{n % 256:02x}"
    if name == "TSVECTOR":
        return f"word{n}"
    if name in ("BIT", "VARBIT"):
        return "1"
    if name == "MONEY":
        return n
    if name == "OID" or name == "REGCLASS":
        return None
    if name == "HSTORE":
        return {"n": str(n)}
    return None


def _number(python: type, n: int, allowed: _Allowed | None, type_: Any) -> Any:
    value: float = n
    if allowed is not None:
        if allowed.low is not None:
            low, strict = allowed.low
            value = low + (1 if strict else 0) + (n - 1)
        if allowed.high is not None:
            high, strict = allowed.high
            ceiling = high - (1 if strict and python is int else 0.5 if strict else 0)
            if value > ceiling:
                value = ceiling
    if python is int:
        return int(value)
    if python is float:
        return value + (0.5 if allowed is None else 0)
    scale = getattr(type_, "scale", None)
    return decimal.Decimal(str(value)).quantize(decimal.Decimal(1)) if scale == 0 \
        else decimal.Decimal(str(value))


def _string(type_: Any, n: int, allowed: _Allowed | None) -> str:
    text = str(n)  # digits: a later cast to a number works on them
    if allowed is not None and allowed.like is not None:
        pattern = allowed.like
        text = pattern.replace("%", str(n), 1).replace("%", "").replace("_", "x")
    length = getattr(type_, "length", None)
    if allowed is not None and allowed.max_length is not None:
        length = min(length or allowed.max_length, allowed.max_length)
    if length and len(text) > length:
        text = text[-length:]
    return text


# -- inserting -----------------------------------------------------------------------------

def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> int:
    """All rows at once; if refused, one by one; the number inserted."""
    if not rows:
        return 0
    if _attempt(conn, lambda: conn.execute(table.insert(), rows)):
        return len(rows)
    return sum(_attempt(conn, lambda row=row: conn.execute(table.insert(), [row]))
               for row in rows)


def _attempt(conn: Any, action: Any) -> bool:
    """Run ``action``; False when the database refuses it (the transaction goes on)."""
    from sqlalchemy.exc import DBAPIError, StatementError

    if conn.dialect.name == "postgresql":  # an error aborts the transaction: a savepoint
        savepoint = conn.begin_nested()
        try:
            action()
        except (DBAPIError, StatementError):
            savepoint.rollback()
            return False
        savepoint.commit()
        return True
    try:
        action()
    except (DBAPIError, StatementError):
        return False
    return True
