"""The database role cannot make the changes the pending revisions make.

What it finds:
    On PostgreSQL, before `upgrade` runs: the role the URL logs in as does not own (and
    is not a member of the owner of) a table a pending revision alters, drops or indexes;
    has no CREATE on the schema where a pending revision creates a table; has no
    REFERENCES on a table a new foreign key points to; or cannot write the version table.
    On MySQL/MariaDB: the user lacks a privilege a pending revision needs (CREATE, ALTER,
    INDEX, DROP, REFERENCES; INSERT, UPDATE, DELETE on the version table), at none of
    the global, database and table levels.

Why it matters:
    `upgrade` stops halfway through the deploy with `permission denied for schema
    public` or `must be owner of table ...`: common when the app's runtime role (with
    SELECT/INSERT/UPDATE/DELETE only) runs the migrations, or the tables were created by
    another role (postgres, a previous deploy user).

Example:
    ERROR:  must be owner of table authors

Fix:
    Run the upgrade as the role that owns the tables, or give the role the rights, e.g.:
    ALTER TABLE authors OWNER TO app;
    GRANT CREATE ON SCHEMA public TO app;
    GRANT REFERENCES ON authors TO app;
    GRANT INSERT, UPDATE, DELETE ON alembic_version TO app;
    (MySQL: GRANT CREATE, ALTER, INDEX, DROP, REFERENCES ON app.* TO 'app'@'%';)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import Context, Hit, check
from ..model import Severity

_CREATES = {"create_table"}
_NEEDS_OWNER = {"add_column", "drop_column", "alter_column", "drop_table", "rename_table",
                "create_index", "drop_index", "create_foreign_key", "create_unique_constraint",
                "create_check_constraint", "create_primary_key", "drop_constraint",
                "batch_alter_table", "create_table_comment", "create_exclude_constraint"}


def quote(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def pending(ctx: Context) -> list[str]:
    assert ctx.graph is not None and ctx.db is not None
    current = tuple(r for r in ctx.db.current if r in ctx.graph.files)
    if ctx.db.current and not current:
        return []  # the database names revisions no file has: another check's matter
    try:
        return list(ctx.graph.upgrade_order("heads", current or None))
    except Exception:  # noqa: BLE001 - overlapping rows: version-table-inconsistent says so
        return []


_FK_TARGET = re.compile(r"ForeignKey(?:Constraint)?\(\s*(?:\[[^\]]*\]\s*,\s*)?\[?\s*"
                        r"[\"']([A-Za-z_]\w*)\.")


def _touched(ctx: Context, revs: list[str]) -> tuple[dict[str, str], ...]:
    """table -> revision, for the tables the pending revisions create, alter and point new
    foreign keys to (in the default schema)."""
    assert ctx.graph is not None
    created: dict[str, str] = {}
    altered: dict[str, str] = {}
    referenced: dict[str, str] = {}
    for rev in revs:
        rf = ctx.graph.file(rev)
        for op in rf.ops("upgrade") if rf is not None else ():
            if op.schema or not op.table:
                continue
            if op.name in _CREATES:
                created.setdefault(op.table, rev)
            elif (op.name in _NEEDS_OWNER or op.is_batch) and op.table not in created:
                altered.setdefault(op.table, rev)
            targets = set(_FK_TARGET.findall(op.source))
            if op.name == "create_foreign_key" and isinstance(op.get("referent_table"), str):
                targets.add(op.get("referent_table"))
            for target in targets - set(created):
                referenced.setdefault(target, rev)
    return created, altered, referenced


def _rights(conn: Any, tables: list[str], referenced: list[str],
            version_table: str) -> dict[str, Any]:
    from sqlalchemy import bindparam, text

    row = conn.execute(text(
        "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
        "current_schema(), has_schema_privilege(current_schema(), 'CREATE')")).one()
    owners = conn.execute(text(
        "SELECT c.relname, pg_get_userbyid(c.relowner), pg_has_role(c.relowner, 'USAGE') "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname IN :names "
        "AND c.relkind IN ('r', 'p', 'v', 'm')").bindparams(
            bindparam("names", expanding=True)), {"names": tables or [""]}).all()
    vt = conn.execute(text(
        "SELECT has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = :vt"), {"vt": version_table}).all()
    refs = conn.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname IN :names "
        "AND NOT has_table_privilege(c.oid, 'REFERENCES')").bindparams(
            bindparam("names", expanding=True)), {"names": referenced or [""]}).scalars().all()
    return {"role": row[0], "superuser": bool(row[1]), "schema": row[2], "create": bool(row[3]),
            "not_owned": {name: owner for name, owner, member in owners if not member},
            "no_references": sorted(refs),
            "version_table_writable": bool(vt[0][0]) if vt else None}


@check("role-cannot-migrate", Severity.ERROR,
       "The database role cannot make the pending changes", needs=("graph", "database"))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.db is not None
    if ctx.db.engine is None or ctx.project.version_table_schema:
        return
    if ctx.db.dialect in ("mysql", "mariadb"):
        yield from _mysql(ctx)
        return
    if ctx.db.dialect != "postgresql":
        return
    revs = pending(ctx)
    if not revs:
        return
    created, altered, referenced = _touched(ctx, revs)
    vt = ctx.project.version_table
    with ctx.db.engine.connect() as conn:
        rights = _rights(conn, sorted(altered), sorted(referenced), vt)
        conn.rollback()
    if rights["superuser"]:
        return
    role, schema = rights["role"], rights["schema"]
    problems, grants = [], []
    for table, owner in sorted(rights["not_owned"].items()):
        problems.append(f"it does not own {table} (owner: {owner}), which {altered[table]} alters")
        grants.append(f"ALTER TABLE {quote(table)} OWNER TO {quote(role)};")
    needs_create = bool(created) or rights["version_table_writable"] is None
    if needs_create and not rights["create"]:
        what = (f"{next(iter(created.values()))} creates {', '.join(sorted(created))}" if created
                else f"upgrade creates {vt}")
        problems.append(f"it has no CREATE on schema {schema} ({what})")
        grants.append(f"GRANT CREATE ON SCHEMA {quote(schema)} TO {quote(role)};")
    for table in rights["no_references"]:
        problems.append(f"it has no REFERENCES on {table}, which a new foreign key of "
                        f"{referenced[table]} points to")
        grants.append(f"GRANT REFERENCES ON {quote(table)} TO {quote(role)};")
    if rights["version_table_writable"] is False:
        problems.append(f"it cannot write {vt} (INSERT, UPDATE, DELETE)")
        grants.append(f"GRANT INSERT, UPDATE, DELETE ON {quote(vt)} TO {quote(role)};")
    if not problems:
        return
    owners = sorted(set(rights["not_owned"].values()))
    as_owner = f"as the role that owns the tables ({', '.join(owners)})" if owners else \
        "as a role with these rights"
    yield Hit(f"the role {role} cannot run the {len(revs)} pending revision(s): "
              + "; ".join(problems) + f": {ctx.cmd('upgrade')} would fail with permission "
              "denied",
              f"run {ctx.cmd('upgrade')} {as_owner}, or give {role} the rights (as the owner or "
              "a superuser):\n" + "\n".join(grants), None,
              {"role": role, "schema": schema, "pending": revs,
               "not_owned": rights["not_owned"], "create_on_schema": rights["create"],
               "no_references": rights["no_references"],
               "version_table_writable": rights["version_table_writable"]})


_MYSQL_NEEDS = {"create_table": "CREATE", "drop_table": "DROP", "create_index": "INDEX",
                "drop_index": "INDEX", "rename_table": "ALTER"}


def _mysql_privileges(conn: Any) -> tuple[str, str, Any]:
    """(user, database, has(privilege, table=None)) for the current user."""
    from sqlalchemy import text

    user, database = conn.execute(text("SELECT CURRENT_USER(), DATABASE()")).one()
    name, _, host = str(user).rpartition("@")
    grantee = f"'{name}'@'{host}'"
    found: dict[str | None, set[str]] = {None: set()}
    for (priv,) in conn.execute(text(
            "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = :g "
            "UNION SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES "
            "WHERE GRANTEE = :g AND TABLE_SCHEMA = DATABASE()"), {"g": grantee}):
        found[None].add(str(priv).upper())
    for table, priv in conn.execute(text(
            "SELECT TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES "
            "WHERE GRANTEE = :g AND TABLE_SCHEMA = DATABASE()"), {"g": grantee}):
        found.setdefault(str(table), set()).add(str(priv).upper())

    def has(privilege: str, table: str | None = None) -> bool:
        return privilege in found[None] or privilege in found.get(table, set())

    return grantee, str(database), has


def _mysql(ctx: Context) -> Iterator[Hit]:
    """The privileges the pending revisions need, that the MySQL user has nowhere."""
    assert ctx.db is not None and ctx.db.engine is not None
    revs = pending(ctx)
    if not revs:
        return
    created, altered, referenced = _touched(ctx, revs)
    needs: dict[tuple[str, str | None], str] = {}  # (privilege, table) -> revision
    assert ctx.graph is not None
    for rev in revs:
        rf = ctx.graph.file(rev)
        for op in rf.ops("upgrade") if rf is not None else ():
            if not op.table or op.schema:
                continue
            privilege = _MYSQL_NEEDS.get(op.name, "ALTER" if op.table in altered else None)
            if privilege and not (privilege != "CREATE" and op.table in created):
                needs.setdefault((privilege, None if privilege == "CREATE" else op.table), rev)
    for table, rev in referenced.items():
        needs.setdefault(("REFERENCES", table), rev)
    vt = ctx.project.version_table
    if not ctx.db.version_table_exists:
        needs.setdefault(("CREATE", None), "upgrade")
    for privilege in ("INSERT", "UPDATE", "DELETE"):
        needs.setdefault((privilege, vt), "upgrade")
    with ctx.db.engine.connect() as conn:
        grantee, database, has = _mysql_privileges(conn)
        conn.rollback()
    missing = {(p, t): r for (p, t), r in needs.items() if not has(p, t)}
    if not missing:
        return
    said = [f"{p} on {t or database} (needed by {r})" for (p, t), r in sorted(
        missing.items(), key=lambda item: (item[0][0], item[0][1] or ""))]
    privileges = sorted({p for p, _t in missing})
    yield Hit(f"the user {grantee} cannot run the {len(revs)} pending revision(s): it lacks "
              + "; ".join(said) + f": {ctx.cmd('upgrade')} would fail with access denied",
              f"run {ctx.cmd('upgrade')} as a user with these privileges, or, as an admin:\n"
              f"GRANT {', '.join(privileges)} ON `{database}`.* TO {grantee};", None,
              {"user": grantee, "database": database, "pending": revs,
               "missing": [{"privilege": p, "table": t, "revision": r}
                           for (p, t), r in missing.items()]})
