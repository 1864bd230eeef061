"""Which app, which database and which migrations this run is about.

What it finds:
    Always reported: the app (or alembic.ini), where the database URL came from (config
    key, environment variable, env.py), the URL with its password masked, the dialect and
    server version, and the migrations directory.

Why it matters:
    "Migrations not applied" is most often a command that ran against another database
    than the service uses: a different FLASK_APP, DATABASE_URL or virtualenv.

Fix:
    Compare this line with what the service sees (its Environment=/EnvironmentFile=,
    container env). Nothing to fix when they agree.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ._context import display_path
from ..model import Severity


@check("target-database", Severity.INFO, "Which app and database this run is about")
def run(ctx: Context) -> Iterator[Hit]:
    p = ctx.project
    parts = []
    if p.kind == "flask":
        parts.append(f"Flask app {p.app_name or '(not loaded)'}")
    else:
        parts.append(f"Alembic project {p.config_file}")
    if p.url:
        db = f"database {p.masked_url}"
        if ctx.db is not None:
            version = f" {ctx.db.server_version}" if ctx.db.server_version else ""
            db += f" ({ctx.db.dialect}{version})"
            if not ctx.db.exists:
                db += " - the SQLite file does not exist yet"
        parts.append(db)
        if p.url_source:
            parts.append(f"URL from {p.url_source}")
    else:
        parts.append("no database URL")
    if p.migrations_dir is not None:
        parts.append(f"migrations in {display_path(p.migrations_dir)}")
    evidence = {
        "app": p.app_name, "kind": p.kind, "url": p.masked_url or None,
        "url_source": p.url_source, **p.url_evidence,
        "dialect": ctx.db.dialect if ctx.db else p.dialect,
        "server_version": ctx.db.server_version if ctx.db else None,
        "migrations": str(p.migrations_dir) if p.migrations_dir else None,
        "version_table": p.version_table, "version_table_schema": p.version_table_schema,
    }
    yield Hit("; ".join(parts), None, None, evidence)
