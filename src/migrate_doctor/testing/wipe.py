"""Empty a scratch database in the session's own connection: every table, view, type and
sequence of its schema goes, and the version table is made again, empty."""

from __future__ import annotations

from typing import Any


def wipe(session: Any) -> None:
    from sqlalchemy import text

    conn = session.conn
    dialect = session.dialect
    if dialect == "postgresql":
        schema = conn.execute(text("SELECT current_schema()")).scalar() or "public"
        quoted = '"' + schema.replace('"', '""') + '"'
        conn.execute(text(f"DROP SCHEMA {quoted} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {quoted}"))
    elif dialect == "sqlite":
        if conn.in_transaction():
            conn.commit()
        enforced = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # only outside a transaction
        try:
            _drop_each(conn, "sqlite", [
                (kind, name) for kind, name in conn.execute(text(
                    "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'table') "
                    "AND name NOT LIKE 'sqlite_%'"))])
            conn.commit()
        finally:
            conn.exec_driver_sql(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
    elif dialect in ("mysql", "mariadb"):
        rows = conn.execute(text(
            "SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE()"))
        found = [("view" if kind == "VIEW" else "table", name) for kind, name in rows]
        conn.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
        try:
            _drop_each(conn, "mysql", found)
        finally:
            conn.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
    else:  # pragma: no cover - scratch databases are one of the above
        from sqlalchemy import MetaData

        meta = MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    if conn.in_transaction() and not session.transactional:
        conn.commit()
    session.context._ensure_version_table()
    if conn.in_transaction() and not session.transactional:
        conn.commit()


def _drop_each(conn: Any, dialect: str, objects: list[tuple[str, str]]) -> None:
    from sqlalchemy import text

    def quote(name: str) -> str:
        return f"`{name}`" if dialect == "mysql" else '"' + name.replace('"', '""') + '"'

    for kind, name in sorted(objects, key=lambda o: o[0] != "view"):
        conn.execute(text(f"DROP {kind.upper()} IF EXISTS {quote(name)}"))
