"""What PostgreSQL's catalog says inside the traced transaction, in one query: the user's
relations with their storage (``relfilenode``), the relation locks this backend holds, the
constraints, and ``lock_timeout``. Two readings are compared by name (an index PostgreSQL
rebuilds under the same name, reusing its storage, is not a new index)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

QUERY = """
SELECT
  (SELECT coalesce(json_agg(json_build_array(
            c.oid,
            CASE WHEN n.nspname = 'public' THEN c.relname
                 ELSE n.nspname || '.' || c.relname END,
            c.relkind, c.relfilenode,
            CASE WHEN tn.nspname = 'public' THEN t.relname
                 ELSE tn.nspname || '.' || t.relname END)), '[]')
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_index i ON i.indexrelid = c.oid
     LEFT JOIN pg_class t ON t.oid = i.indrelid
     LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm', 'i', 'I')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'),
  (SELECT coalesce(json_agg(json_build_array(l.relation, l.mode)), '[]')
     FROM pg_locks l
    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted),
  (SELECT coalesce(json_agg(json_build_array(
            k.conname, k.contype, k.convalidated,
            CASE WHEN tn.nspname = 'public' THEN t.relname
                 ELSE tn.nspname || '.' || t.relname END)), '[]')
     FROM pg_constraint k
     JOIN pg_namespace n ON n.oid = k.connamespace
     LEFT JOIN pg_class t ON t.oid = k.conrelid
     LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND k.conrelid <> 0),
  current_setting('lock_timeout')
"""

TABLE_KINDS = frozenset("rpm")
_CONSTRAINTS = {"c": "CHECK", "f": "FOREIGN KEY", "p": "PRIMARY KEY", "u": "UNIQUE",
                "x": "EXCLUDE", "n": "NOT NULL", "t": "constraint trigger"}


@dataclass
class Relation:
    oid: int
    name: str
    kind: str  # pg_class.relkind: r, p, m (tables), i, I (indexes)
    filenode: int
    table: str | None  # an index's table

    @property
    def is_table(self) -> bool:
        return self.kind in TABLE_KINDS


@dataclass
class Reading:
    relations: dict[str, Relation] = field(default_factory=dict)  # by name
    locks: set[tuple[int, str]] = field(default_factory=set)  # (oid, mode)
    constraints: dict[str, str] = field(default_factory=dict)  # "name on table" -> kind
    lock_timeout: str | None = None

    @property
    def names_by_oid(self) -> dict[int, str]:
        return {r.oid: r.name for r in self.relations.values()}


def read(dbapi_connection: Any) -> Reading:
    """One reading, on the traced connection itself (its transaction, its locks)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(QUERY)
        relations, locks, constraints, lock_timeout = cursor.fetchone()
    finally:
        cursor.close()
    relations, locks, constraints = (_json(v) for v in (relations, locks, constraints))
    out = Reading(lock_timeout=lock_timeout)
    for oid, name, kind, filenode, table in relations:
        out.relations[name] = Relation(int(oid), name, kind, int(filenode or 0), table)
    out.locks = {(int(oid), mode) for oid, mode in locks if oid is not None}
    for name, kind, validated, table in constraints:
        label = _CONSTRAINTS.get(kind, "constraint")
        out.constraints[f"{name} on {table}"] = label + ("" if validated else " NOT VALID")
    return out


def _json(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, (str, bytes)) else list(value or [])


def new_locks(before: Reading, after: Reading, names: dict[int, str]) -> dict[str, list[str]]:
    """Relation locks ``after`` holds that ``before`` did not, by relation name (only the
    user's relations: ``names`` maps their oids, those dropped meanwhile included)."""
    out: dict[str, list[str]] = {}
    for oid, mode in sorted(after.locks - before.locks, key=lambda x: x[1]):
        name = names.get(oid)
        if name is not None:
            out.setdefault(name, []).append(mode)
    return out


def rewritten(start: Reading, before: Reading, after: Reading) -> list[str]:
    """Relations that existed at ``start`` (before the revision) whose storage changed
    between ``before`` and ``after`` (one statement)."""
    out = []
    for name in start.relations:
        old, now = before.relations.get(name), after.relations.get(name)
        if old is not None and now is not None and old.filenode and now.filenode \
                and now.filenode != old.filenode:
            out.append(name)
    return out


def created(before: Reading, after: Reading) -> list[str]:
    out = [f"index {name} on {rel.table}" for name, rel in after.relations.items()
           if name not in before.relations and not rel.is_table]
    out += [f"table {name}" for name, rel in after.relations.items()
            if name not in before.relations and rel.is_table]
    out += [f"{kind} {name}" for name, kind in after.constraints.items()
            if before.constraints.get(name) != kind]
    return out


def dropped(before: Reading, after: Reading) -> list[str]:
    out = [("table " if rel.is_table else "index ") + name
           for name, rel in before.relations.items() if name not in after.relations]
    out += [f"{kind} {name}" for name, kind in before.constraints.items()
            if name not in after.constraints]
    return out
