"""A revision that queries the application's models or uses its database session.

What it finds:
    A name imported into a revision file from the project's own code (not SQLAlchemy,
    Alembic, a library or the standard library) and used as a model or a session: a class
    queried (`User.query`, `session.query(User)`, `sa.select(User)`, `User.select()`,
    `User.__table__`, `session.add(User(...))`, `op.bulk_insert(users_table, ...)`), or the
    app's database object used for work (`db.session`, `db.engine`, `db.metadata`,
    `Base.metadata`, `models.User.query`). Imports of constants, enums, column types and
    helper functions are not reported (they cannot drift the way a model does), nor are
    imports the revision never uses. The file is only read, never imported, so a module
    that is not installed is reported all the same.

Why it matters:
    The revision runs against the models as they are on the day it runs, not as they were
    when it was written. Once a column is added to `User` (or removed, or renamed), this old
    revision queries a column that does not exist yet, and every fresh database (CI, a new
    developer, a disaster recovery) fails at this revision. The app's session also runs on
    its own connection, outside the migration's transaction. Importing the app can start
    it too: config, connections, side effects.

Example:
    from app.models import User

    def upgrade():
        for user in User.query.all(): ...

Use instead:
    Declare, inside the revision, only the table and columns it needs, as they are at this
    revision, and run statements on the migration's connection:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("phone", sa.String))
    op.execute(users.update().where(users.c.phone.is_(None)).values(phone=""))
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.revision_file import Import
from ._values import quote, snake, type_source

_LIBRARIES = {"sqlalchemy", "alembic", "sqlmodel", "sqlalchemy_utils", "geoalchemy2",
              "flask_sqlalchemy", "flask_migrate", "flask", "pgvector", "typing_extensions",
              "sqlalchemy_json", "citext", "psycopg", "psycopg2", "pymysql", "migrate_doctor",
              "peewee", "pydantic", "marshmallow", "werkzeug", "passlib", "cryptography",
              "dateutil", "pytz", "six", "yaml", "requests", "attr", "attrs", "jwt"}
# what a model class or a table is used for
_MODEL_ATTRS = {"query", "__table__", "select", "get", "get_by_id",
                "get_or_none", "get_or_create", "filter", "filter_by", "objects", "create",
                "insert", "insert_many", "update", "delete", "bulk_create", "c", "columns",
                "where"}
# what an app's database object (Flask-SQLAlchemy's db, a declarative Base, a session) does
_WORK_ATTRS = {"session", "engine", "query", "metadata", "create_all", "drop_all",
               "get_engine", "execute", "add", "add_all", "commit", "flush", "merge",
               "scalars", "scalar", "connection", "bind"}
_QUERYING = {"query", "select", "add", "add_all", "merge", "bulk_insert", "bulk_save_objects",
             "bulk_insert_mappings", "bulk_update_mappings", "get", "scalars"}
_SESSION_NAMES = {"db", "session", "db_session", "Session", "Base", "SessionLocal"}


def _is_project(imp: Import) -> bool:
    module = imp.module
    if module.startswith("."):
        return True
    top = module.split(".", 1)[0]
    return top not in _LIBRARIES and top not in sys.stdlib_module_names


def _bound(imp: Import, node: ast.AST | None) -> dict[str, str]:
    """local name -> imported name, for one import statement."""
    if isinstance(node, ast.ImportFrom):
        return {(a.asname or a.name): a.name for a in node.names if a.name != "*"}
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".")[0]): a.name for a in node.names}
    return {}


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _chain(node: ast.AST, parents: dict[int, ast.AST]) -> list[str]:
    """The attributes read after a name: ``db.session.execute`` -> [session, execute]."""
    out: list[str] = []
    parent = parents.get(id(node))
    while isinstance(parent, ast.Attribute) and parent.value is node:
        out.append(parent.attr)
        node, parent = parent, parents.get(id(parent))
    return out


def _uses(tree: ast.Module, names: set[str]) -> dict[str, list[str]]:
    """For each name, how the revision uses it as a model or session ("User.query", ...)."""
    parents = _parents(tree)
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and node.id in names):
            continue
        chain = _chain(node, parents)
        name = node.id
        how: str | None = None
        if chain and name in _SESSION_NAMES | {"models", "model"} and chain[0] in _WORK_ATTRS:
            if chain[-1] in ("commit", "close", "flush", "rollback", "remove") and (
                    len(chain) <= 2 or chain[0] == "session"):
                continue  # ends the app's session: no statement runs through it
            how = f"{name}.{chain[0]}"
        elif chain and name in ("models", "model") and chain[0][:1].isupper() \
                and len(chain) > 1 and chain[1] in _MODEL_ATTRS | {"__table__"}:
            how = f"{name}.{chain[0]}.{chain[1]}"
        elif chain and name[:1].isupper() and not name.isupper() \
                and name not in _SESSION_NAMES and chain[0] in _MODEL_ATTRS:
            how = f"{name}.{chain[0]}"  # a model class
        elif chain and name[:1].islower() and name not in _SESSION_NAMES \
                and chain[0] in ("c", "columns", "__table__"):
            how = f"{name}.{chain[0]}"  # a Table of the app's metadata
        else:
            how = _argument_use(node, parents)
        if how:
            found.setdefault(name, []).append(how)
    return found


def _argument_use(node: ast.Name, parents: dict[int, ast.AST]) -> str | None:
    """``session.query(User)``, ``sa.select(User)``, ``session.add(User(...))``,
    ``op.bulk_insert(users_table, ...)``."""
    child: ast.AST = node
    parent = parents.get(id(node))
    if isinstance(parent, ast.Call) and parent.func is node:  # User(...) constructed
        child, parent = parent, parents.get(id(parent))
    if isinstance(parent, ast.Call) and child in parent.args:
        func = parent.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in _QUERYING:
            return f"{called}({node.id})"
    return None


def _columns(ctx: RuleContext, table: str) -> str:
    t = ctx.history.table(table)
    if t is None or not t.columns:
        return 'sa.column("id", sa.Integer)'
    return ", ".join(f"sa.column({quote(name)}, {type_source(col.type, 'sa.String')})"
                     for name, col in list(t.columns.items())[:8])


def _table_guess(ctx: RuleContext, name: str) -> str | None:
    """The table a model class maps, when the history knows one by that name."""
    base = snake(name)
    for candidate in (base, base + "s", base + "es", name.lower(), name.lower() + "s"):
        table = ctx.history.table(candidate)
        if table is not None:
            return table.name
    return None


def _session_rewrite(ctx: RuleContext, imp: Import, names: set[str],
                     uses: dict[str, list[str]]) -> tuple[str, tuple[str, int, int]] | None:
    """When the import sits in upgrade() and the app's object serves only to run statements
    (``db.session.execute(...)``, ``db.session.commit()``): upgrade()'s body rewritten to run
    them on the migration's connection, the import gone."""
    body = ctx.function_body("upgrade")
    if body is None or not body[0] <= imp.line <= body[1]:
        return None
    if not all(how in ("db.session", "session.execute", "db_session.execute",
                       "session.commit", "db_session.commit") or how.endswith(".session")
               for n in names for how in uses.get(n, [])):
        return None
    lines = ctx.file.text.splitlines()[body[0] - 1:body[1]]
    name_alt = "|".join(re.escape(n) for n in names)
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(("from ", "import ")) and re.search(
                rf"\bimport\b.*\b(?:{name_alt})\b", stripped):
            continue
        if re.fullmatch(rf"(?:{name_alt})(?:\.session)?\.(?:commit|flush|close)\(\)", stripped):
            continue  # Alembic commits the migration's transaction
        bare = re.match(rf"(\s*)(?:{name_alt})(?:\.session)?\.execute\(", line)
        if bare:  # a statement whose result is not read: op.execute() prints it with --sql
            out.append(bare.group(1) + "op.execute(" + line[bare.end():])
        else:
            out.append(re.sub(rf"\b(?:{name_alt})(?:\.session)?\.execute\(",
                              "op.get_bind().execute(", line))
    if any(re.search(rf"\b(?:{name_alt})\b", line) for line in out):
        return None
    indent = min((len(x) - len(x.lstrip()) for x in out if x.strip()), default=0)
    text = "\n".join(x[indent:] for x in out) if out else "pass"
    header = (f"# {', '.join(sorted(names))} from {imp.module}: the statements run on the "
              "migration's own connection instead (Alembic commits them)")
    return header + "\n" + text, ("replace", body[0], body[1])


def _fix(ctx: RuleContext, imp: Import, what: str, classes: list[str]) -> str:
    lines = [f"# in {ctx.revision}: drop `{what}`; declare what the revision needs as it is at "
             "this revision, and run it on op.get_bind():"]
    for cls in classes:
        table = _table_guess(ctx, cls)
        if table is None:
            lines.append(f"# {cls}: sa.table(\"<its table>\", sa.column(...), ...) with the "
                         "columns the revision reads or writes")
            continue
        lines.append(f"{snake(cls)}_table = sa.table({quote(table)}, {_columns(ctx, table)})"
                     f"  # instead of {cls}")
    lines.append("# e.g. op.get_bind().execute(sa.select(<table>.c.id)) instead of "
                 "<Model>.query, op.execute(<table>.update()...) instead of the session")
    return "\n".join(lines)


@rule("data-migration-imports-app-models", Severity.WARNING,
      "Revision queries the application's models or uses its session")
def run(ctx: RuleContext) -> Iterator[Hit]:
    tree = ctx.file.tree
    if tree is None:
        return
    nodes = {node.lineno: node for node in ast.walk(tree)
             if isinstance(node, (ast.Import, ast.ImportFrom))}
    for imp in ctx.file.imports:
        if not _is_project(imp):
            continue
        bound = _bound(imp, nodes.get(imp.line))
        if not bound:
            continue
        uses = _uses(tree, set(bound))
        if not uses:
            continue
        used = sorted(uses)
        what = (f"from {imp.module} import {', '.join(imp.names)}" if imp.names
                else f"import {imp.module}")
        how = sorted({h for n in used for h in uses[n]})[:3]
        rewrite = _session_rewrite(ctx, imp, set(used), uses)
        if rewrite is not None:
            fix, at = rewrite
        else:
            classes = [n for n in used if n[:1].isupper() and n not in _SESSION_NAMES]
            fix, at = _fix(ctx, imp, what, classes), None
        session_only = all(h.split(".")[-1] in ("session", "engine") or h.endswith(
            ".execute") for h in how) and not any(n[:1].isupper() and n not in _SESSION_NAMES
                                                  for n in used)
        consequence = (
            "its statements run on the app's own connection, outside the migration's "
            "transaction and outside `--sql`, and importing the app starts it (config, "
            "connections)" if session_only else
            "it runs against the models as they are later, not as they were at this "
            "revision, and fails on a fresh database once they change")
        yield ctx.hit(
            f"the revision uses the application's {', '.join(used)} ({'; '.join(how)}), "
            f"imported by `{what}`: {consequence}",
            fix, imp.line, fix_at=at, module=imp.module, names=used)
