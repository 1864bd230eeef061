"""Read-only queries that test a Requirement against the live rows: how many rows break it,
and a few of them by primary key. Each query runs in its own read-only transaction with a
time limit; a query the database refuses (a column not there yet, an expression it cannot
evaluate) answers nothing, never a guess."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .reading import Requirement

SAMPLES = 5
QUERY_SECONDS = 30
_TEXTUAL = ("text", "varchar", "char", "citext")
_INT_RANGE = {"int1": (-128, 127), "int2": (-32768, 32767), "int3": (-8388608, 8388607),
              "int4": (-2147483648, 2147483647),
              "int8": (-9223372036854775808, 9223372036854775807)}
_NOT_TEXT_TARGETS = ("int1", "int2", "int3", "int4", "int8", "numeric", "float4", "float8",
                     "boolean", "date", "timestamp", "time", "uuid", "json", "jsonb", "enum",
                     "interval", "inet", "cidr")


@dataclass
class Verdict:
    """What the rows say about one requirement."""

    count: int | None  # rows (or duplicate groups) that break it; None: not countable
    message: str  # what breaks, in the user's names
    query: str  # the query that shows them
    samples: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None  # rows in the table, where read
    error: str | None = None  # the database's own words, when the conversion itself fails
    keys: list[str] = field(default_factory=list)  # the primary key columns of the samples

    def named(self) -> str:
        """`` (id 4, 9, 12)``: the sample rows by primary key."""
        if not self.keys or not self.samples or not all(k in s for s in self.samples
                                                         for k in self.keys):
            return ""
        shown = ", ".join("/".join(_show(s[k]).strip("'") for k in self.keys)
                          for s in self.samples)
        more = ", ..." if self.count is not None and self.count > len(self.samples) else ""
        return f" ({'/'.join(self.keys)} {shown}{more})"


class RowReader:
    """Queries over one read-only connection."""

    def __init__(self, conn: Any, server_version: tuple[int, ...] | None) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name if conn.dialect.name != "mariadb" else "mysql"
        self.mariadb = bool(getattr(conn.dialect, "is_mariadb", False))
        self.server_version = server_version or ()
        self.prep = conn.dialect.identifier_preparer
        self._pk: dict[tuple[str, str | None], list[str]] = {}
        self._settings: dict[str, Any] = {}

    # -- plumbing -----------------------------------------------------------------------
    def q(self, name: str) -> str:
        return self.prep.quote(name)

    def t(self, table: str, schema: str | None) -> str:
        return f"{self.q(schema)}.{self.q(table)}" if schema else self.q(table)

    def _run(self, sql: str) -> list[tuple[Any, ...]] | None:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self._limit()
            rows = [tuple(r) for r in self.conn.execute(text(sql))]
        except SQLAlchemyError:
            rows = None
        finally:
            self.conn.rollback()
        return rows

    def run_error(self, sql: str) -> tuple[list[tuple[Any, ...]] | None, str | None]:
        """Rows, or the database's error message (for a conversion that fails)."""
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError, SQLAlchemyError

        try:
            self._limit()
            return [tuple(r) for r in self.conn.execute(text(sql))], None
        except DBAPIError as exc:
            return None, " ".join(str(exc.orig).split()).split(" LINE ")[0]
        except SQLAlchemyError as exc:
            return None, str(exc)
        finally:
            self.conn.rollback()

    def _limit(self) -> None:
        from sqlalchemy import text

        if self.dialect == "postgresql":
            self.conn.execute(text(f"SET LOCAL statement_timeout = {QUERY_SECONDS * 1000}"))
        elif self.dialect == "mysql" and self.mariadb:
            self.conn.execute(text(f"SET SESSION max_statement_time = {QUERY_SECONDS}"))
        elif self.dialect == "mysql":
            self.conn.execute(text(f"SET SESSION max_execution_time = {QUERY_SECONDS * 1000}"))

    def scalar(self, sql: str) -> Any:
        rows = self._run(sql)
        return rows[0][0] if rows else None

    def setting(self, name: str, sql: str) -> Any:
        if name not in self._settings:
            self._settings[name] = self.scalar(sql)
        return self._settings[name]

    def pk(self, table: str, schema: str | None) -> list[str]:
        """The primary key columns (SQLite: rowid when there is none)."""
        k = (table, schema)
        if k not in self._pk:
            from sqlalchemy import inspect
            from sqlalchemy.exc import SQLAlchemyError

            try:
                cols = inspect(self.conn).get_pk_constraint(table, schema=schema)
                found = list(cols.get("constrained_columns") or [])
            except SQLAlchemyError:
                found = []
            finally:
                self.conn.rollback()
            if not found and self.dialect == "sqlite":
                found = ["rowid"]
            self._pk[k] = found
        return self._pk[k]

    def length(self, expr: str) -> str:
        return {"postgresql": "char_length", "mysql": "CHAR_LENGTH"}.get(self.dialect,
                                                                         "length") + f"({expr})"

    def as_text(self, expr: str) -> str:
        return f"CAST({expr} AS CHAR)" if self.dialect == "mysql" else f"CAST({expr} AS TEXT)"

    def limit(self, n: int = SAMPLES) -> str:
        return f" LIMIT {n}"

    @property
    def strict(self) -> bool:
        """MySQL/MariaDB in strict mode: bad values fail instead of being converted."""
        if self.dialect != "mysql":
            return True
        mode = str(self.setting("sql_mode", "SELECT @@SESSION.sql_mode") or "").upper()
        return "STRICT_TRANS_TABLES" in mode or "STRICT_ALL_TABLES" in mode

    def samples(self, table: str, schema: str | None, where: str,
                shown: list[str]) -> list[dict[str, Any]]:
        keys = self.pk(table, schema)
        cols = list(dict.fromkeys(keys + shown))
        select = ", ".join("rowid" if c == "rowid" else self.q(c) for c in cols)
        order = ", ".join("rowid" if c == "rowid" else self.q(c) for c in keys)
        rows = self._run(f"SELECT {select} FROM {self.t(table, schema)} WHERE {where}"
                         + (f" ORDER BY {order}" if order else "") + self.limit()) or []
        return [{c: _plain(v) for c, v in zip(cols, row)} for row in rows]

    # -- the requirements ---------------------------------------------------------------
    def check(self, req: Requirement) -> Verdict | None:
        method = getattr(self, "_" + req.kind.replace("-", "_"), None)
        if method is None:
            return None
        verdict = method(req)
        if verdict is not None and req.kind not in ("unique", "primary-key"):
            verdict.keys = self.pk(req.table, req.schema)
        return verdict

    def _count(self, table: str, schema: str | None, where: str) -> int | None:
        value = self.scalar(f"SELECT count(*) FROM {self.t(table, schema)} WHERE {where}")
        return int(value) if value is not None else None

    def _add_not_null(self, req: Requirement) -> Verdict | None:
        total = self.scalar(f"SELECT count(*) FROM {self.t(req.table, req.schema)}")
        if total is None:
            return None
        total = int(total)
        column = req.columns[0]
        query = f"SELECT count(*) FROM {self.t(req.table, req.schema)}"
        if req.always:
            return Verdict(1, f"{req.always}; {req.table} holds {total} row(s)", query,
                           total=total)
        return Verdict(total, f"{req.table} holds {total} row(s), and each would get NULL in "
                       f"the new NOT NULL column {column} (it has no server_default)", query,
                       self.samples(req.table, req.schema, "1 = 1", []) if total else [],
                       total=total)

    def _not_null(self, req: Requirement) -> Verdict | None:
        if not self.strict:
            return None
        column = req.columns[0]
        where = f"{self.q(column)} IS NULL"
        count = self._count(req.table, req.schema, where)
        if count is None:
            return None
        query = f"SELECT * FROM {self.t(req.table, req.schema)} WHERE {where}"
        return Verdict(count, f"{count} row(s) of {req.table} have {column} NULL", query,
                       self.samples(req.table, req.schema, where, []) if count else [])

    def _unique(self, req: Requirement) -> Verdict | None:
        return self._duplicates(req, primary=False)

    def _primary_key(self, req: Requirement) -> Verdict | None:
        return self._duplicates(req, primary=True)

    def _duplicates(self, req: Requirement, primary: bool) -> Verdict | None:
        exprs = req.columns if req.expressions else [self.q(c) for c in req.columns]
        table = self.t(req.table, req.schema)
        not_null = " AND ".join(f"{e} IS NOT NULL" for e in exprs)
        where = f"({req.where}) AND {not_null}" if req.where else not_null
        group = ", ".join(exprs)
        dupes = f"SELECT {group}, count(*) FROM {table} WHERE {where} GROUP BY {group} " \
                "HAVING count(*) > 1"
        groups = self.scalar(f"SELECT count(*) FROM ({dupes}) d")
        if groups is None:
            return None
        groups = int(groups)
        nulls = 0
        if primary:
            nulls = self._count(req.table, req.schema,
                                " OR ".join(f"{e} IS NULL" for e in exprs)) or 0
        rows = self._run(dupes + " ORDER BY count(*) DESC" + self.limit()) or []
        shown = "; ".join(
            f"{', '.join(_show(v) for v in r[:-1])} ×{r[-1]}" for r in rows[:3])
        what = ", ".join(req.columns)
        parts = []
        if groups:
            parts.append(f"{groups} value(s) of {req.table} ({what}) occur more than once"
                         f" ({shown}{'; ...' if groups > 3 else ''})")
        if nulls:
            parts.append(f"{nulls} row(s) of {req.table} have NULL in the key")
        samples = [{"values": [_plain(v) for v in r[:-1]], "rows": int(r[-1])} for r in rows]
        return Verdict(groups + nulls, "; ".join(parts) or "no duplicates", dupes + ";", samples)

    def _foreign_key(self, req: Requirement) -> Verdict | None:
        if self.dialect == "mysql" and not self.setting(
                "fk_checks", "SELECT @@SESSION.foreign_key_checks"):
            return None
        child = self.t(req.table, req.schema)
        parent = self.t(req.referent or "", req.referent_schema or req.schema)
        present = " AND ".join(f"c.{self.q(c)} IS NOT NULL" for c in req.columns)
        match = " AND ".join(f"p.{self.q(r)} = c.{self.q(c)}"
                             for c, r in zip(req.columns, req.remote_columns))
        where = f"{present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
        count = self.scalar(f"SELECT count(*) FROM {child} c WHERE {where}")
        if count is None:
            return None
        count = int(count)
        keys = self.pk(req.table, req.schema)
        cols = list(dict.fromkeys(keys + req.columns))
        select = ", ".join("c.rowid" if k == "rowid" else f"c.{self.q(k)}" for k in cols)
        rows = self._run(f"SELECT {select} FROM {child} c WHERE {where}" + self.limit()) or []
        samples = [{k: _plain(v) for k, v in zip(cols, r)} for r in rows]
        missing = sorted({_show(s[req.columns[0]]) for s in samples})
        ref = f"{req.referent}({', '.join(req.remote_columns)})"
        return Verdict(count, f"{count} row(s) of {req.table} point to no row of {ref} "
                       f"({', '.join(req.columns)} = {', '.join(missing)}"
                       f"{', ...' if count > len(samples) else ''})",
                       f"SELECT c.* FROM {child} c WHERE {where};", samples)

    def _check(self, req: Requirement) -> Verdict | None:
        if self.dialect == "mysql" and not self._mysql_checks():
            return None
        where = f"NOT ({req.condition})"
        count = self._count(req.table, req.schema, where)
        if count is None:
            return None
        return Verdict(count, f"{count} row(s) of {req.table} break CHECK ({req.condition})",
                       f"SELECT * FROM {self.t(req.table, req.schema)} WHERE {where};",
                       self.samples(req.table, req.schema, where, req.columns) if count else [])

    def _mysql_checks(self) -> bool:
        v = self.server_version
        return (v >= (10, 2, 1)) if self.mariadb else (v >= (8, 0, 16))

    def _type(self, req: Requirement) -> Verdict | None:
        if self.dialect == "sqlite" or not self.strict:
            return None  # SQLite keeps any value; non-strict MySQL converts it
        column = req.columns[0]
        old = self._live_type(req.table, req.schema, column)
        if old is None:
            return None
        new = req.new_type
        col = self.q(column)
        textual = old in _TEXTUAL
        if self.dialect == "postgresql" and req.using:
            return self._pg_using(req, old)
        if self.dialect == "postgresql" and textual and new.kind in _NOT_TEXT_TARGETS:
            return self._pg_no_cast(req, old)
        if textual and new.kind in _NOT_TEXT_TARGETS:
            return self._mysql_convert(req) if self.dialect == "mysql" else None
        return self._fits(req, col, textual)

    def _fits(self, req: Requirement, expr: str, textual: bool,
              using: str | None = None) -> Verdict | None:
        """Values (or the USING expression's values) that do not fit the new type."""
        new = req.new_type
        column = req.columns[0]
        what = f"{req.table}.{column}" if using is None else f"USING {using}"
        if new.kind in ("varchar", "char") and new.length is not None:
            value = expr if textual else self.as_text(expr)
            where = f"{self.length(value)} > {new.length}"
            longest = f"max({self.length(value)})"
            count = self._count(req.table, req.schema, where)
            if count is None:
                return None
            top = self.scalar(f"SELECT {longest} FROM {self.t(req.table, req.schema)}")
            return Verdict(count, f"{count} value(s) of {what} are longer than {new.length} "
                           f"characters (the longest: {top})",
                           f"SELECT * FROM {self.t(req.table, req.schema)} WHERE {where};",
                           self.samples(req.table, req.schema, where, [column]) if count else [])
        if textual:
            return None
        if new.kind in _INT_RANGE:
            low, high = _INT_RANGE[new.kind]
            value = f"round({expr})"
            where = f"({value} < {low} OR {value} > {high})"
            label = f"outside {low}..{high}"
        elif new.kind == "numeric" and new.precision is not None:
            limit = 10 ** (new.precision - (new.scale or 0))
            where = f"abs(round({expr}, {new.scale or 0})) >= {limit}"
            label = f"too large for numeric({new.precision}, {new.scale or 0}) (|value| < {limit})"
        else:
            return None
        count = self._count(req.table, req.schema, where)
        if count is None:
            return None
        return Verdict(count, f"{count} value(s) of {what} are {label}",
                       f"SELECT * FROM {self.t(req.table, req.schema)} WHERE {where};",
                       self.samples(req.table, req.schema, where, [column]) if count else [])

    def _pg_spelling(self, req: Requirement) -> str | None:
        from ..rules._types import pg_spelling

        return pg_spelling(req.new_type)

    def _pg_no_cast(self, req: Requirement, old: str) -> Verdict | None:
        """PostgreSQL converts text to another kind only with USING: the ALTER fails."""
        spelled = self._pg_spelling(req) or req.new_type.kind
        verdict = Verdict(1, f"PostgreSQL has no automatic cast from {old} to {spelled}: "
                          f"the ALTER fails whatever the rows (it needs postgresql_using=...)",
                          "")
        bad = self._pg_invalid(req, self.q(req.columns[0]))
        if bad is not None and bad.count:
            verdict.message += f"; and with a cast, {bad.message}"
            verdict.samples, verdict.query = bad.samples, bad.query
        return verdict

    def _pg_invalid(self, req: Requirement, expr: str) -> Verdict | None:
        """Values that are not valid input of the new type (pg_input_is_valid, PG 16+)."""
        spelled = self._pg_spelling(req)
        if spelled is None or self.server_version < (16,):
            return None
        where = f"{expr} IS NOT NULL AND NOT pg_input_is_valid(({expr})::text, '{spelled}')"
        count = self._count(req.table, req.schema, where)
        if count is None:
            return None
        return Verdict(count, f"{count} value(s) of {req.table}.{req.columns[0]} are not "
                       f"valid {spelled}",
                       f"SELECT * FROM {self.t(req.table, req.schema)} WHERE {where};",
                       self.samples(req.table, req.schema, where, [req.columns[0]])
                       if count else [])

    def _pg_using(self, req: Requirement, old: str) -> Verdict | None:
        """``USING expr``: the expression itself may fail on a row (the database's error is
        then the answer), or give values that do not fit the new type."""
        using = req.using or ""
        table = self.t(req.table, req.schema)
        kind = self.scalar(f"SELECT pg_typeof({using})::text FROM {table} LIMIT 1")
        inner = _cast_of_column(using)
        if inner is not None:  # col::type / CAST(col AS type): which values cannot convert
            bad = self._pg_invalid(req, self.q(inner)) if old in _TEXTUAL else None
            if bad is not None:
                return bad
        rows, error = self.run_error(f"SELECT count(({using})) FROM {table}")
        if error is not None:
            if "does not exist" in error:
                return None  # a column not there yet: nothing to say
            return Verdict(None, f"the USING expression fails on the existing rows: {error}",
                           f"SELECT {using} FROM {table};", error=error)
        textual = (kind or "").split("(")[0] in ("text", "character varying", "character",
                                                 "unknown")
        if textual and req.new_type.kind in _NOT_TEXT_TARGETS:
            return self._pg_invalid(req, f"({using})")
        return self._fits(req, f"({using})", textual, using=using)

    def _mysql_convert(self, req: Requirement) -> Verdict | None:
        col = self.q(req.columns[0])
        kind = req.new_type.kind
        if kind in _INT_RANGE:
            pattern = r"^[[:space:]]*[+-]?[0-9]+[[:space:]]*$"
        elif kind in ("numeric", "float4", "float8"):
            pattern = r"^[[:space:]]*[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?[[:space:]]*$"
        else:
            return None
        where = f"{col} IS NOT NULL AND {col} NOT REGEXP '{pattern}'"
        count = self._count(req.table, req.schema, where)
        if count is None:
            return None
        if not count and kind in _INT_RANGE:
            low, high = _INT_RANGE[kind]
            where = f"{col} IS NOT NULL AND (CAST({col} AS DECIMAL(65,0)) < {low} OR " \
                    f"CAST({col} AS DECIMAL(65,0)) > {high})"
            count = self._count(req.table, req.schema, where) or 0
            label = f"outside {low}..{high}"
        else:
            label = f"not numbers ({kind} cannot hold them)"
        return Verdict(count, f"{count} value(s) of {req.table}.{req.columns[0]} are {label}",
                       f"SELECT * FROM {self.t(req.table, req.schema)} WHERE {where};",
                       self.samples(req.table, req.schema, where, [req.columns[0]])
                       if count else [])

    def _live_type(self, table: str, schema: str | None, column: str) -> str | None:
        """The column's type kind as the database has it now (text, varchar, int4, ...)."""
        from sqlalchemy import inspect
        from sqlalchemy.exc import SQLAlchemyError

        try:
            cols = inspect(self.conn).get_columns(table, schema=schema)
        except SQLAlchemyError:
            return None
        finally:
            self.conn.rollback()
        for c in cols:
            if c["name"].lower() == column.lower():
                return _kind_of(c["type"])
        return None


def _kind_of(sqltype: Any) -> str:
    import sqlalchemy as sa

    name = type(sqltype).__name__.upper()
    if isinstance(sqltype, (sa.Enum,)):
        return "enum"
    if isinstance(sqltype, sa.CHAR) and not isinstance(sqltype, sa.VARCHAR):
        return "char"
    if isinstance(sqltype, (sa.String,)):
        return "varchar" if getattr(sqltype, "length", None) else "text"
    if isinstance(sqltype, sa.Boolean):
        return "boolean"
    if isinstance(sqltype, sa.SmallInteger) or name in ("SMALLINT", "TINYINT"):
        return "int2"
    if isinstance(sqltype, sa.BigInteger):
        return "int8"
    if isinstance(sqltype, sa.Integer):
        return "int4"
    if isinstance(sqltype, sa.Float):
        return "float8"
    if isinstance(sqltype, sa.Numeric):
        return "numeric"
    return name.lower()


def _cast_of_column(using: str) -> str | None:
    """The column of ``col::type`` / ``CAST(col AS type)``; None for anything else."""
    import re

    m = re.fullmatch(r'\s*"?([\w$]+)"?\s*::\s*[\w\s()",]+', using) or re.fullmatch(
        r'\s*CAST\s*\(\s*"?([\w$]+)"?\s+AS\s+[\w\s(),"]+\)\s*', using, re.IGNORECASE)
    return m.group(1) if m else None


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _show(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    return "NULL" if value is None else str(value)
