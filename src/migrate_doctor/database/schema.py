"""A database's schema as plain, comparable data, and the differences between two of them.

What is compared: tables; columns (type as the dialect reports it, nullability, server
default as SQL text, identity); primary keys; unique constraints; indexes (columns,
expressions, unique, partial predicate); foreign keys (with ON DELETE / ON UPDATE); CHECK
constraints; PostgreSQL enum types and their values; sequences; views, triggers and
functions by name and a hash of their definition; table comments. SQLAlchemy's inspector
reads most of it; triggers and functions come from the catalog.

A snapshot is JSON-able (it is cached); both sides of a comparison come from the same
dialect and server version, so the texts the database reports can be compared as they are.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


def _h(text: str | None) -> str:
    return hashlib.sha1(re.sub(r"\s+", " ", text or "").strip().encode()).hexdigest()[:12]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return re.sub(r"\s+", " ", str(value)).strip()


def _type(conn: Any, type_: Any) -> str:
    try:
        return str(type_.compile(dialect=conn.dialect))
    except Exception:  # noqa: BLE001 - NullType and friends
        return str(type_)


def _maybe(fn: Any, *args: Any, default: Any = None, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return default


def snapshot(conn: Any, exclude: set[str] | frozenset[str] = frozenset(),
             schema: str | None = None) -> Schema:
    """The schema of ``conn``'s database (one schema; the default one when None), less
    the tables in ``exclude`` (the version table). Read with SQLAlchemy's multi-table
    reflection: one catalog query per kind of object, not one per table."""
    from sqlalchemy import inspect

    insp = inspect(conn)
    out: Schema = {"tables": {}, "enums": {}, "sequences": [], "views": {}, "triggers": {},
                   "functions": {}}
    names = [t for t in sorted(insp.get_table_names(schema=schema)) if t not in exclude]
    multi = _Multi(insp, schema, names)
    for table in names:
        out["tables"][table] = _table(conn, multi, table)
    if conn.dialect.name == "postgresql":
        out["enums"] = {e["name"]: list(e["labels"])
                        for e in insp.get_enums(schema=schema or "public")}  # type: ignore[attr-defined]
    out["sequences"] = sorted(_maybe(insp.get_sequence_names, schema=schema, default=[]) or [])
    for view in sorted(insp.get_view_names(schema=schema)):
        if view in exclude:
            continue
        out["views"][view] = _h(_maybe(insp.get_view_definition, view, schema=schema))
    out["triggers"], out["functions"] = _catalog(conn)
    return out


class _Multi:
    """Each kind of reflected object for all the tables at once, by table name."""

    def __init__(self, insp: Any, schema: str | None, names: list[str]) -> None:
        self.insp, self.schema, self.names = insp, schema, names
        self._got: dict[str, dict[str, Any]] = {}

    def get(self, kind: str, table: str, default: Any) -> Any:
        if kind not in self._got:
            method = getattr(self.insp, f"get_multi_{kind}")
            try:
                found = method(schema=self.schema, filter_names=self.names)
            except NotImplementedError:
                found = {}
            self._got[kind] = {key[1]: value for key, value in found.items()}
        return self._got[kind].get(table, default)


def _table(conn: Any, multi: _Multi, table: str) -> dict[str, Any]:
    columns = {}
    for c in multi.get("columns", table, []):
        columns[c["name"]] = {
            "type": _type(conn, c["type"]),
            "nullable": bool(c.get("nullable", True)),
            "default": _text(c.get("default")),
            "identity": bool(c.get("identity")),
            "comment": c.get("comment"),
        }
    pk = multi.get("pk_constraint", table, {}) or {}
    uniques = {}
    for u in multi.get("unique_constraints", table, []) or []:
        uniques[u.get("name") or "cols:" + ",".join(u["column_names"])] = list(u["column_names"])
    indexes = {}
    for ix in multi.get("indexes", table, []):
        options = ix.get("dialect_options") or {}
        indexes[ix.get("name") or "cols:" + ",".join(str(c) for c in ix["column_names"])] = {
            "columns": [str(c) if c is not None else None for c in ix.get("column_names", [])],
            "expressions": [_text(e) for e in ix.get("expressions") or []],
            "unique": bool(ix.get("unique")),
            "where": _text(options.get("postgresql_where") or options.get("sqlite_where")),
        }
    fks = {}
    for fk in multi.get("foreign_keys", table, []):
        key = fk.get("name") or "cols:" + ",".join(fk["constrained_columns"])
        options = fk.get("options") or {}
        fks[key] = {
            "columns": list(fk["constrained_columns"]),
            "referred_table": fk["referred_table"],
            "referred_columns": list(fk["referred_columns"]),
            "ondelete": (options.get("ondelete") or "").upper() or None,
            "onupdate": (options.get("onupdate") or "").upper() or None,
        }
    checks = {}
    for ck in multi.get("check_constraints", table, []) or []:
        checks[ck.get("name") or "sql:" + _h(ck.get("sqltext"))] = _text(ck.get("sqltext"))
    if conn.dialect.name == "sqlite":
        _sqlite_extras(conn, table, uniques, fks)
    comment = multi.get("table_comment", table, {}) or {}
    return {"columns": columns, "pk": list(pk.get("constrained_columns") or []),
            "uniques": uniques, "indexes": indexes, "foreign_keys": fks, "checks": checks,
            "comment": comment.get("text")}


def _sqlite_extras(conn: Any, table: str, uniques: dict[str, Any], fks: dict[str, Any]) -> None:
    """What SQLAlchemy does not reflect on SQLite: ON DELETE / ON UPDATE of foreign keys,
    and UNIQUE constraints written inline (SQLite keeps them as automatic indexes)."""
    from sqlalchemy import text

    quoted = '"' + table.replace('"', '""') + '"'
    actions: dict[str, tuple[str, str]] = {}
    for row in conn.execute(text(f"PRAGMA foreign_key_list({quoted})")).mappings():
        actions.setdefault(row["from"], (row["on_delete"], row["on_update"]))
    for fk in fks.values():
        on_delete, on_update = actions.get(fk["columns"][0], ("NO ACTION", "NO ACTION"))
        fk["ondelete"] = None if on_delete == "NO ACTION" else on_delete
        fk["onupdate"] = None if on_update == "NO ACTION" else on_update
    for row in conn.execute(text(f"PRAGMA index_list({quoted})")).mappings():
        if row["origin"] == "u":
            cols = [r["name"] for r in conn.execute(
                text(f"PRAGMA index_info(\"{row['name']}\")")).mappings()]
            key = "cols:" + ",".join(cols)
            if key not in uniques and cols not in uniques.values():
                uniques[key] = cols


def _catalog(conn: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Triggers and functions, by name, with a hash of their definition."""
    from sqlalchemy import text

    name = conn.dialect.name
    if name == "postgresql":
        triggers = conn.execute(text(
            "SELECT c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"))
        functions = conn.execute(text(
            "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
            "pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
            "AND p.prokind IN ('f', 'p')"))
    elif name in ("mysql", "mariadb"):
        triggers = conn.execute(text(
            "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = DATABASE()"))
        functions = conn.execute(text(
            "SELECT ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = DATABASE()"))
    elif name == "sqlite":
        triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        functions = []
    else:
        return {}, {}
    return ({n: _h(d) for n, d in triggers}, {n: _h(d) for n, d in functions})


# -- differences -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    """One way ``actual`` differs from ``expected``: ``where`` names the object (``table``,
    ``table.column``, ``table.index ix_x``, ``enum status``), ``what`` the attribute or
    "missing" (expected has it, actual not) / "extra" (actual has it, expected not)."""

    kind: str  # table, column, pk, unique, index, foreign_key, check, comment, enum, ...
    where: str
    what: str
    expected: Any = None
    actual: Any = None

    def __str__(self) -> str:
        if self.what == "missing":
            return f"{self.kind} {self.where} is missing"
        if self.what == "extra":
            return f"{self.kind} {self.where} is not expected"
        return (f"{self.kind} {self.where}: {self.what} is {_show(self.actual)}, "
                f"expected {_show(self.expected)}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": self.where, "what": self.what,
                "expected": self.expected, "actual": self.actual, "text": str(self)}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "NOT NULL" if value is False else "nullable"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def differences(expected: Schema, actual: Schema) -> list[Difference]:
    out: list[Difference] = []
    _named(out, "table", "", expected["tables"], actual["tables"], _table_diff)
    _named(out, "enum", "", expected.get("enums", {}), actual.get("enums", {}),
           lambda o, w, e, a: _value(o, "enum", w, "values", e, a))
    for kind in ("views", "triggers", "functions"):
        _named(out, kind[:-1], "", expected.get(kind, {}), actual.get(kind, {}),
               lambda o, w, e, a, k=kind: _value(o, k[:-1], w, "definition", e, a))
    exp_seq, act_seq = set(expected.get("sequences", [])), set(actual.get("sequences", []))
    out += [Difference("sequence", s, "missing") for s in sorted(exp_seq - act_seq)]
    out += [Difference("sequence", s, "extra") for s in sorted(act_seq - exp_seq)]
    return out


def _named(out: list[Difference], kind: str, prefix: str, expected: dict[str, Any],
           actual: dict[str, Any], inner: Any) -> None:
    for name in sorted(set(expected) | set(actual)):
        where = f"{prefix}{name}"
        if name not in actual:
            out.append(Difference(kind, where, "missing", expected[name], None))
        elif name not in expected:
            out.append(Difference(kind, where, "extra", None, actual[name]))
        else:
            inner(out, where, expected[name], actual[name])


def _value(out: list[Difference], kind: str, where: str, what: str, e: Any, a: Any) -> None:
    if e != a:
        out.append(Difference(kind, where, what, e, a))


def _table_diff(out: list[Difference], table: str, e: dict[str, Any], a: dict[str, Any]) -> None:
    def column(o: list[Difference], where: str, ec: dict[str, Any], ac: dict[str, Any]) -> None:
        for attr in ("type", "nullable", "default", "identity", "comment"):
            _value(o, "column", where, attr, ec.get(attr), ac.get(attr))

    _named(out, "column", f"{table}.", e["columns"], a["columns"], column)
    _value(out, "primary key", table, "columns", e["pk"], a["pk"])
    for key, kind in (("uniques", "unique constraint"), ("indexes", "index"),
                      ("foreign_keys", "foreign key"), ("checks", "check constraint")):
        _named(out, kind, f"{table}.", e[key], a[key],
               lambda o, w, ev, av, k=kind: _value(o, k, w, "definition", ev, av))
    _value(out, "table", table, "comment", e.get("comment"), a.get("comment"))
