"""What a revision's round trip must leave as it found: the schema, and the rows by primary
key. Read twice per revision, so it is cheap:

- on PostgreSQL, one call of a temporary function (``pg_temp``, gone with the session; it
  is not in the schema compared) returns every schema object of the current schema with
  its definition (columns with type, NOT NULL, default, identity and comment; constraints
  as ``pg_get_constraintdef`` prints them; indexes as ``pg_get_indexdef``; enum types and
  their values; sequences; views, triggers and functions by a hash of their definition;
  table comments), and every row's primary key, in one round trip;
- elsewhere, ``database.schema.snapshot`` and one query per table for the keys.

Two states are compared object by object; what differs is said in the words of
``database.schema.Difference``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..database.schema import Difference, Schema, differences, snapshot

Keys = dict[str, Counter[str]]  # table -> key text -> rows with it

_KINDS = {"p": "primary key", "u": "unique constraint", "f": "foreign key",
          "c": "check constraint", "x": "exclusion constraint", "t": "constraint trigger"}
_COLUMN = ("type", "nullable", "default", "identity", "comment")

FUNCTION = r"""
CREATE OR REPLACE FUNCTION pg_temp.md_state(version text, with_rows boolean)
RETURNS TABLE(kind text, name text, detail text) LANGUAGE plpgsql AS $md$
DECLARE
  ns oid := (SELECT oid FROM pg_namespace WHERE nspname = current_schema());
  r record;
BEGIN
  RETURN QUERY
    SELECT 'table', c.relname::text, coalesce(obj_description(c.oid, 'pg_class'), '')
      FROM pg_class c
     WHERE c.relnamespace = ns AND c.relkind IN ('r', 'p') AND c.relname <> version
    UNION ALL
    SELECT 'column', c.relname || '.' || a.attname,
           format_type(a.atttypid, a.atttypmod) || E'\x1f' || (NOT a.attnotnull)::text
           || E'\x1f' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || E'\x1f'
           || a.attidentity::text || a.attgenerated::text || E'\x1f'
           || coalesce(col_description(c.oid, a.attnum), '')
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = ns AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND c.relname <> version AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint:' || co.contype::text, c.relname || '.' || co.conname,
           pg_get_constraintdef(co.oid)
      FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
     WHERE c.relnamespace = ns AND c.relname <> version AND co.contype <> 'n'
    UNION ALL
    SELECT 'index', c.relname || '.' || i.relname, pg_get_indexdef(x.indexrelid)
      FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
     WHERE c.relnamespace = ns AND c.relname <> version
    UNION ALL
    SELECT 'enum', t.typname::text,
           (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
             WHERE e.enumtypid = t.oid)
      FROM pg_type t WHERE t.typnamespace = ns AND t.typtype = 'e'
    UNION ALL
    SELECT 'sequence', c.relname::text, '' FROM pg_class c
     WHERE c.relnamespace = ns AND c.relkind = 'S'
    UNION ALL
    SELECT 'view', c.relname::text, md5(pg_get_viewdef(c.oid)) FROM pg_class c
     WHERE c.relnamespace = ns AND c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'trigger', c.relname || '.' || t.tgname, md5(pg_get_triggerdef(t.oid))
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = ns AND NOT t.tgisinternal
    UNION ALL
    SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           md5(pg_get_functiondef(p.oid))
      FROM pg_proc p WHERE p.pronamespace = ns AND p.prokind IN ('f', 'p');
  IF with_rows THEN
    FOR r IN
      SELECT c.relname,
             (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.i)
                FROM pg_index x CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, i)
                JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
               WHERE x.indrelid = c.oid AND x.indisprimary) AS pk
        FROM pg_class c
       WHERE c.relnamespace = ns AND c.relkind IN ('r', 'p') AND c.relname <> version
    LOOP
      RETURN QUERY EXECUTE format('SELECT %L::text, %L::text, %s FROM %I', 'row', r.relname,
                                  CASE WHEN r.pk IS NULL THEN '''''::text'
                                       ELSE 'row(' || r.pk || ')::text' END, r.relname);
    END LOOP;
  END IF;
END
$md$
"""


@dataclass
class State:
    """A database's schema and rows at one moment."""

    objects: dict[tuple[str, str], str] = field(default_factory=dict)  # PostgreSQL
    schema: Schema | None = None  # elsewhere
    keys: Keys = field(default_factory=dict)
    keyed: set[str] = field(default_factory=set)  # tables whose keys are primary keys

    def same_schema(self, other: State) -> bool:
        if self.schema is not None or other.schema is not None:
            return _digest(self.schema) == _digest(other.schema)
        return self.objects == other.objects

    def differences(self, after: State) -> list[Difference]:
        """How ``after`` differs from this state, as database.schema says it."""
        if self.schema is not None and after.schema is not None:
            return differences(self.schema, after.schema)
        out: list[Difference] = []
        for key in sorted(set(self.objects) | set(after.objects)):
            kind, name = key
            label = _KINDS.get(kind.partition(":")[2], "constraint") if kind.startswith(
                "constraint:") else kind
            if key not in after.objects:
                out.append(Difference(label, name, "missing", self.objects[key], None))
            elif key not in self.objects:
                out.append(Difference(label, name, "extra", None, after.objects[key]))
            elif self.objects[key] != after.objects[key]:
                if kind == "column":
                    out.extend(_column(name, self.objects[key], after.objects[key]))
                else:
                    out.append(Difference(label, name, "definition", self.objects[key],
                                          after.objects[key]))
        return out

    @property
    def empty_tables(self) -> list[str]:
        return sorted(t for t, keys in self.keys.items() if not keys)

    @property
    def has_rows(self) -> bool:
        return any(self.keys.values())


def _column(name: str, before: str, after: str) -> list[Difference]:
    out = []
    for attr, e, a in zip(_COLUMN, before.split("\x1f"), after.split("\x1f")):
        if e != a:
            if attr == "nullable":
                out.append(Difference("column", name, attr, e == "true", a == "true"))
            else:
                out.append(Difference("column", name, attr, e or None, a or None))
    return out


def _digest(schema: Schema | None) -> str:
    return hashlib.sha1(json.dumps(schema, sort_keys=True, default=str).encode()).hexdigest()


def install(conn: Any) -> None:
    """Create the state function for this session (PostgreSQL)."""
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        conn.execute(text(FUNCTION))


def read(conn: Any, version_table: str, version_schema: str | None, *,
         rows: bool = True, expected: Schema | None = None) -> State:
    """The state now. ``expected``: the schema the migrations make here, from the
    expected-schema cache (used instead of reflecting it, where a snapshot is the way the
    schema is read)."""
    from sqlalchemy import text

    if conn.dialect.name == "sqlite":
        return _sqlite(conn, version_table, rows)
    if conn.dialect.name == "postgresql" and version_schema is None:
        state = State()
        pks: set[str] = set()
        for kind, name, detail in conn.execute(
                text("SELECT * FROM pg_temp.md_state(:version, :rows)"),
                {"version": version_table, "rows": rows}):
            if kind == "row":
                state.keys.setdefault(name, Counter())[detail] += 1
                continue
            state.objects[(kind, name)] = detail
            if kind == "table" and rows:
                state.keys.setdefault(name, Counter())
            elif kind == "constraint:p":
                pks.add(name.split(".", 1)[0])
        state.keyed = pks
        return state
    if expected is not None and rows:
        from sqlalchemy.exc import DBAPIError

        state = State(schema=expected)
        try:
            _keys(conn, expected, state)
            return state
        except DBAPIError:  # the cached schema is not what is there: read it
            if conn.in_transaction():
                conn.rollback()
    schema = expected if expected is not None and not rows else \
        snapshot(conn, {version_table}, version_schema)
    state = State(schema=schema)
    if rows:
        _keys(conn, schema, state)
    return state


def _sqlite(conn: Any, version_table: str, rows: bool) -> State:
    """SQLite keeps each object's CREATE statement: equal statements, equal schemas (where
    they differ, snapshot() says whether the schemas do: a batch rebuild rewrites them)."""
    from sqlalchemy import text

    state = State()
    tables: list[str] = []
    for kind, name, table, sql in conn.execute(text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "AND tbl_name <> :version"), {"version": version_table}):
        state.objects[(kind, name)] = " ".join((sql or "").split())
        if kind == "table":
            tables.append(name)
    if rows:
        quote = conn.dialect.identifier_preparer.quote
        for table in tables:
            cols = [r[1] for r in sorted(
                (r for r in conn.execute(text(f"PRAGMA table_info({quote(table)})")) if r[5]),
                key=lambda r: r[5])]
            select = ", ".join(quote(c) for c in cols) if cols else "1"
            counter: Counter[str] = Counter()
            for row in conn.execute(text(f"SELECT {select} FROM {quote(table)}")):
                counter[repr(tuple(row)) if cols else ""] += 1
            state.keys[table] = counter
            if cols:
                state.keyed.add(table)
    return state


def _keys(conn: Any, schema: Schema, state: State) -> None:
    from sqlalchemy import text

    quote = conn.dialect.identifier_preparer.quote
    for table, info in schema["tables"].items():
        cols = info.get("pk") or []
        select = ", ".join(quote(c) for c in cols) if cols else "1"
        counter: Counter[str] = Counter()
        for row in conn.execute(text(f"SELECT {select} FROM {quote(table)}")):
            counter[repr(tuple(row)) if cols else ""] += 1
        state.keys[table] = counter
        if cols:
            state.keyed.add(table)


def lost(before: State, after: State) -> dict[str, list[str]]:
    """table -> keys present before and missing after (tables on both sides)."""
    found: dict[str, list[str]] = {}
    for table, keys in before.keys.items():
        if table not in after.keys:
            continue
        missing = keys - after.keys[table]
        if missing:
            found[table] = sorted(missing.elements())
    return found


def full(conn: Any, version_table: str, version_schema: str | None) -> Schema:
    return snapshot(conn, {version_table}, version_schema)
