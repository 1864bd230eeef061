"""How big the tables are, from the catalog (no table scan on PostgreSQL and MySQL):
PostgreSQL's pg_class (reltuples, pg_total_relation_size), MySQL's information_schema
(table_rows, data_length + index_length); SQLite counts its rows (a SQLite file is
small enough) and reads the bytes from dbstat where SQLite has it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Above these, an operation that locks or rewrites a table is a deploy event, not a detail.
BIG_ROWS = 1_000_000
BIG_BYTES = 1 << 30
# Below these, a lock or a rewrite lasts no time worth a warning.
SMALL_ROWS = 10_000
SMALL_BYTES = 10 << 20


@dataclass(frozen=True)
class Size:
    table: str
    rows: int | None  # an estimate on PostgreSQL and MySQL
    bytes: int | None
    estimated: bool = True

    @property
    def big(self) -> bool:
        return (self.rows or 0) >= BIG_ROWS or (self.bytes or 0) >= BIG_BYTES

    @property
    def small(self) -> bool:
        return self.rows is not None and self.rows < SMALL_ROWS and \
            (self.bytes is None or self.bytes < SMALL_BYTES)

    def said(self) -> str:
        """``orders: 41 M rows, 12 GB``."""
        parts = []
        if self.rows is not None:
            parts.append(f"{'~' if self.estimated and self.rows >= 1000 else ''}"
                         f"{human_count(self.rows)} rows")
        if self.bytes is not None:
            parts.append(human_bytes(self.bytes))
        return f"{self.table}: {', '.join(parts) or 'size unknown'}"

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "bytes": self.bytes, "estimated": self.estimated}


def human_count(n: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return str(n)


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if value >= 10 or unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def table_sizes(conn: Any, tables: list[str], schema: str | None = None) -> dict[str, Size]:
    """Size of each table that exists (lower-cased name -> Size)."""
    from sqlalchemy import bindparam, text
    from sqlalchemy.exc import SQLAlchemyError

    names = sorted(set(tables))
    if not names:
        return {}
    dialect = conn.dialect.name
    found: dict[str, Size] = {}
    try:
        if dialect == "postgresql":
            rows = conn.execute(text(
                "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), "
                "c.relpages FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND c.relname IN :names AND n.nspname = "
                "coalesce(:schema, current_schema())").bindparams(
                    bindparam("names", expanding=True)), {"names": names, "schema": schema})
            for name, reltuples, size, _pages in rows:
                estimated = reltuples is not None and reltuples >= 0
                count = reltuples if estimated else None
                found[name.lower()] = Size(name, count, size, estimated)
            for k, s in list(found.items()):
                if s.rows is None and (s.bytes or 0) < SMALL_BYTES * 10:  # never analysed
                    exact = conn.execute(text(
                        f"SELECT count(*) FROM {_quoted(conn, s.table, schema)}")).scalar()
                    found[k] = Size(s.table, int(exact), s.bytes, False)
        elif dialect in ("mysql", "mariadb"):
            rows = conn.execute(text(
                "SELECT table_name, table_rows, data_length + index_length "
                "FROM information_schema.tables WHERE table_schema = coalesce(:schema, "
                "DATABASE()) AND table_name IN :names").bindparams(
                    bindparam("names", expanding=True)), {"names": names, "schema": schema})
            for name, count, size in rows:
                found[name.lower()] = Size(name, int(count) if count is not None else None,
                                           int(size) if size is not None else None)
        elif dialect == "sqlite":
            existing = {r[0].lower(): r[0] for r in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table'"))}
            for name in names:
                real = existing.get(name.lower())
                if real is None:
                    continue
                count = conn.execute(text(f"SELECT count(*) FROM {_quoted(conn, real, None)}"
                                          )).scalar()
                found[name.lower()] = Size(real, int(count), _sqlite_bytes(conn, real), False)
    except SQLAlchemyError:
        pass
    finally:
        conn.rollback()
    return found


def _quoted(conn: Any, table: str, schema: str | None) -> str:
    prep = conn.dialect.identifier_preparer
    return f"{prep.quote(schema)}.{prep.quote(table)}" if schema else prep.quote(table)


def _sqlite_bytes(conn: Any, table: str) -> int | None:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        value = conn.execute(text("SELECT sum(pgsize) FROM dbstat WHERE name = :t"),
                             {"t": table}).scalar()
    except SQLAlchemyError:
        conn.rollback()
        return None
    return int(value) if value is not None else None
