"""Why a revision failed, in one sentence and a fix, never a bare driver traceback.

The driver's error is read by its code (PostgreSQL SQLSTATE, MySQL error number, SQLite's
words) into a kind:

- ``lock-timeout``: the lock was not granted in time: the sessions holding locks on the
  tables of the failing statement are named (pid, user, application, state, query);
- ``statement-timeout``: the statement ran longer than allowed;
- ``duplicate-object``: what the revision creates exists already: the live schema is not
  the one the migrations make (drift, or a revision half-applied on MySQL);
- ``privilege``: the role lacks a right: the GRANT (or ALTER ... OWNER) that gives it;
- ``data``: the rows break the new rule: the predictions name them;
- ``concurrent``: another upgrade wrote the version table meanwhile;
- ``other``: the revision's own error (its exception and the user's line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .lock import Holder

_PG = {
    "55P03": "lock-timeout", "57014": "statement-timeout", "42P07": "duplicate-object",
    "42701": "duplicate-object", "42710": "duplicate-object", "42P06": "duplicate-object",
    "42723": "duplicate-object", "42501": "privilege", "23502": "data", "23503": "data",
    "23514": "data", "23505": "data", "40P01": "lock-timeout",
}
_MYSQL = {
    1205: "lock-timeout", 1969: "statement-timeout", 3024: "statement-timeout",
    1050: "duplicate-object", 1060: "duplicate-object", 1061: "duplicate-object",
    1826: "duplicate-object", 1022: "duplicate-object",
    1142: "privilege", 1143: "privilege", 1044: "privilege", 1227: "privilege",
    1370: "privilege", 1265: "data", 1264: "data", 1292: "data", 1366: "data", 1062: "data",
    1452: "data", 4025: "data", 1138: "data", 1406: "data", 1048: "data", 1213: "lock-timeout",
}


@dataclass
class Failure:
    kind: str
    message: str  # the driver's words, on one line (secrets redacted by the caller)
    statement: str | None = None
    code: Any = None
    evidence: dict[str, Any] = field(default_factory=dict)


def read_failure(exc: BaseException, statement: str | None) -> Failure:
    """The kind of a failure, from the driver's error code."""
    orig = getattr(exc, "orig", None)
    text = " ".join(str(orig if orig is not None else exc).split())
    text = re.split(r"\s+\[SQL:|\s+LINE \d+:", text)[0]
    stmt = getattr(exc, "statement", None) or statement
    stmt = " ".join(stmt.split()) if isinstance(stmt, str) else None
    if orig is None:
        return Failure("other", f"{type(exc).__name__}: {text}", stmt)
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # MySQL: the error number decides (its sqlstate
        # is HY000 for most errors)
        errno = args[0]
        kind = _MYSQL.get(errno, "other")
        if errno == 1062 and ("version_num" in text or "alembic_version" in text):
            kind = "concurrent"
        return Failure(kind, text, stmt, errno)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        kind = _PG.get(sqlstate) or ("data" if str(sqlstate).startswith("22") else "other")
        if sqlstate == "23505" and ("alembic_version" in text or "version_num" in text):
            kind = "concurrent"
        if sqlstate == "57014" and "lock timeout" in text:
            kind = "lock-timeout"
        return Failure(kind, text, stmt, sqlstate)
    low = text.lower()
    if "database is locked" in low or "database table is locked" in low:
        return Failure("lock-timeout", text, stmt)
    if "already exists" in low or "duplicate column" in low:
        return Failure("duplicate-object", text, stmt)
    if "constraint failed" in low:
        return Failure("data", text, stmt)
    if "readonly" in low or "permission" in low:
        return Failure("privilege", text, stmt)
    return Failure("other", text, stmt)


def _words(statement: str | None) -> set[str]:
    return {w.lower() for w in re.findall(r"[\w$]+", statement or "")}


def table_blockers(conn: Any, statement: str | None, ours: list[Any]) -> list[Holder]:
    """Sessions holding locks on the tables the statement names (the blockers of a lock
    timeout), other than ours. PostgreSQL: pg_locks + pg_stat_activity; MySQL/MariaDB:
    open transactions (information_schema.INNODB_TRX) and sessions that locked tables,
    from the processlist."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    words = _words(statement)
    found: list[Holder] = []
    try:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(text(
                "SELECT DISTINCT a.pid, a.usename, a.application_name, a.state, a.query, "
                "date_trunc('second', now() - coalesce(a.xact_start, a.query_start))::text, "
                "l.mode, c.relname FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "JOIN pg_class c ON c.oid = l.relation WHERE l.granted "
                "AND a.pid <> pg_backend_pid() AND a.datname = current_database()")).all()
            by_pid: dict[Any, Holder] = {}
            for pid, user, app, state, query, since, mode, rel in rows:
                if pid in ours or rel.lower() not in words:
                    continue
                h = by_pid.setdefault(pid, Holder(pid, user, app, state, query, since))
                h.lock = f"{h.lock + ', ' if h.lock else ''}{mode} on {rel}"
            found = list(by_pid.values())
        elif conn.dialect.name in ("mysql", "mariadb"):
            rows = conn.execute(text(
                "SELECT p.ID, p.USER, p.HOST, p.COMMAND, p.STATE, p.INFO, p.TIME, "
                "t.trx_started FROM information_schema.PROCESSLIST p LEFT JOIN "
                "information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID "
                "WHERE p.ID <> CONNECTION_ID() AND p.DB = DATABASE() AND "
                "(t.trx_id IS NOT NULL OR p.INFO LIKE 'LOCK TABLE%' "
                "OR p.STATE LIKE 'Waiting for%')")).all()
            for pid, user, host, command, state, info, secs, started in rows:
                if pid in ours or (state or "").startswith("Waiting for table metadata"):
                    continue
                found.append(Holder(pid, user, None, f"{command}"
                                    f"{', ' + state if state else ''}", info, f"{secs}s",
                                    "an open transaction" if started else "a table lock",
                                    host))
    except SQLAlchemyError:
        return found
    finally:
        try:
            conn.rollback()
        except SQLAlchemyError:
            pass
    return found


_PRIVILEGE = (
    (re.compile(r"must be owner of (?:table|relation|index|sequence) ([\w$.\"]+)"),
     "ALTER TABLE {0} OWNER TO {role};  -- as the owner or a superuser, or run apply as the owner"),
    (re.compile(r"permission denied for schema ([\w$\"]+)"),
     "GRANT CREATE ON SCHEMA {0} TO {role};"),
    (re.compile(r"permission denied for (?:table|relation) ([\w$.\"]+)"),
     "GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON {0} TO {role};"),
    (re.compile(r"permission denied for sequence ([\w$.\"]+)"),
     "GRANT USAGE, SELECT ON SEQUENCE {0} TO {role};"),
    (re.compile(r"(\w+) command denied to user '([^']*)'@'([^']*)' for table [`']?([\w$.`]+)"),
     "GRANT {0} ON {3} TO '{1}'@'{2}';"),
)


def grant_for(message: str, role: str | None) -> str | None:
    """The statement that gives the missing right, read from the database's message."""
    for pattern, template in _PRIVILEGE:
        m = pattern.search(message)
        if m:
            groups = [g.replace("`", "").strip("'") for g in m.groups()]
            return template.format(*groups, role=role or "<the role apply logs in as>")
    return None
