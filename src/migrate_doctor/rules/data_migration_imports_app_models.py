"""A revision that imports the application's models.

What it finds:
    An import in a revision file of the project's own models or database object:
    a module named `models` / `model` (or `*_models`) anywhere in its path, relative
    imports (`from ..models import User`), or `db` / `Base` / `models` imported from a
    module that is not a library (`from myapp import db`). SQLAlchemy, Alembic and the
    standard library are never reported. The file is only read, never imported, so a
    module that is not installed is reported all the same.

Why it matters:
    The revision runs against the models as they are on the day it runs, not as they were
    when it was written. Once a column is added to `User` (or removed, or renamed), this old
    revision queries a column that does not exist yet, and every fresh database (CI, a new
    developer, a disaster recovery) fails at this revision. Importing the app can also
    start it: config, connections, side effects.

Example:
    from app.models import User

    def upgrade():
        for user in User.query.all(): ...

Use instead:
    Declare, inside the revision, only the table and columns it needs, as they are at this
    revision:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("phone", sa.String))
    op.execute(users.update().where(users.c.phone.is_(None)).values(phone=""))
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.revision_file import Import
from ._values import snake

_LIBRARIES = {"sqlalchemy", "alembic", "sqlmodel", "sqlalchemy_utils", "geoalchemy2",
              "flask_sqlalchemy", "flask_migrate", "flask", "pgvector", "typing_extensions",
              "sqlalchemy_json", "citext", "psycopg", "psycopg2", "pymysql", "migrate_doctor"}
_APP_NAMES = {"db", "Base", "models", "Model", "session", "db_session"}


def _is_app_import(imp: Import) -> bool:
    module = imp.module
    if module.startswith("."):
        return True
    top = module.split(".", 1)[0]
    if top in _LIBRARIES or top in sys.stdlib_module_names:
        return False
    parts = module.split(".")
    if any(p in ("models", "model") or p.endswith("_models") for p in parts):
        return True
    return bool(set(imp.names) & _APP_NAMES)


def _table_guess(ctx: RuleContext, name: str) -> str:
    base = snake(name)
    for candidate in (base, base + "s", base + "es", name.lower()):
        table = ctx.history.table(candidate)
        if table is not None:
            return table.name
    return base + "s"


@rule("data-migration-imports-app-models", Severity.WARNING,
      "Revision imports the application's models")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for imp in ctx.file.imports:
        if not _is_app_import(imp):
            continue
        classes = [n for n in imp.names if n[:1].isupper() and n not in _APP_NAMES]
        what = f"from {imp.module} import {', '.join(imp.names)}" if imp.names else \
            f"import {imp.module}"
        lines = [f"# in {ctx.revision}: drop `{what}` and declare what the revision needs, "
                 "as it is at this revision:"]
        for cls in classes:
            lines.append(f'{snake(cls)} = sa.table("{_table_guess(ctx, cls)}", '
                         'sa.column("id", sa.Integer), sa.column("<column>", sa.String))'
                         f"  # instead of {cls}")
        if not classes:
            instead = ", ".join(imp.names) or imp.module
            lines.append('table = sa.table("<table>", sa.column("id", sa.Integer), '
                         f'sa.column("<column>", sa.String))  # instead of {instead}')
        lines.append("# and use op.execute(<table>.update()...) / op.get_bind() instead of "
                     "the ORM session")
        yield ctx.hit(
            f"the revision imports the application ({what}): it will run against the models "
            "as they are later, not as they were at this revision, and fails on a fresh "
            "database once they change", "\n".join(lines), imp.line, module=imp.module,
            names=list(imp.names))
