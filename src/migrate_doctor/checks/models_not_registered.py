"""The models the project migrates against are missing.

What it finds:
    The target metadata (Flask-SQLAlchemy's `db.metadata`, env.py's `target_metadata`) is
    empty, or lacks tables that the migrations create: the model modules are not imported
    when the app or env.py loads. A module of the project that defines mapped tables
    (`__tablename__`) but that nothing imports is named.

Why it matters:
    The next `flask db migrate` compares the database with models it cannot see and
    writes a revision that drops those tables.

Fix:
    Import the models where the app (or env.py) is created, e.g. `from . import models`
    inside `create_app()`, before `Migrate(app, db)`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from . import Context, Hit, check
from ._context import display_path
from ..model import Severity

_TABLENAME = re.compile(r"""^\s+__tablename__\s*(?::[^=]*)?=\s*["']([\w.]+)["']""", re.M)
_SKIP = {".git", ".venv", "venv", "env", ".tox", "node_modules", "__pycache__", "site-packages",
         "tests", "test", "migrations", "alembic", "build", "dist"}
MAX_FILES = 3000


def unimported_models(root: Path | None, skip: Path | None) -> dict[str, list[str]]:
    """file -> tables, for the project's files that declare mapped tables (__tablename__)
    and were not imported while the app / env.py loaded."""
    if root is None or not root.is_dir():
        return {}
    loaded = {os.path.realpath(f) for m in list(sys.modules.values())
              if isinstance(f := getattr(m, "__file__", None), str)}
    found: dict[str, list[str]] = {}
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP and not d.startswith(".")
                   and (skip is None or os.path.realpath(os.path.join(folder, d)) != str(skip))]
        for name in files:
            seen += 1
            if seen > MAX_FILES:
                return found
            path = os.path.join(folder, name)
            if not name.endswith(".py") or os.path.realpath(path) in loaded:
                continue
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            tables = [t.rsplit(".", 1)[-1] for t in _TABLENAME.findall(text)]
            if tables:
                found[display_path(Path(path))] = tables
    return found


def module_name(path: str, root: Path) -> str:
    """blog/models/tags.py -> blog.models.tags (from the directory above the package, or
    from the directory itself when it is not a package: the ini's, on prepend_sys_path)."""
    base = root.parent if (root / "__init__.py").is_file() else root
    rel = os.path.relpath(os.path.realpath(path), os.path.realpath(base))
    return rel.removesuffix(".py").removesuffix("/__init__").replace(os.sep, ".")


def tables_at_head(ctx: Context) -> set[str]:
    """Tables the migrations leave behind, replaying create/drop/rename in upgrade order."""
    assert ctx.scripts is not None
    files = ctx.scripts.by_revision()
    order = ctx.graph.upgrade_order() if ctx.has("graph") and ctx.graph else list(files)
    tables: set[str] = set()
    for rev in order:
        rf = files.get(rev)
        if rf is None:
            continue
        for op in rf.ops("upgrade"):
            if op.name == "create_table" and op.table:
                tables.add(op.table)
            elif op.name == "drop_table" and op.table:
                tables.discard(op.table)
            elif op.name == "rename_table":
                old, new = op.get("old_table_name"), op.get("new_table_name")
                if isinstance(old, str) and isinstance(new, str):
                    tables.discard(old)
                    tables.add(new)
    return tables


@check("models-not-registered", Severity.ERROR, "The models are not registered",
       needs=("scripts", "models"))
def run(ctx: Context) -> Iterator[Hit]:
    metadata = ctx.project.metadata()
    assert metadata is not None
    where = ("create_app() (e.g. `from . import models`)" if ctx.project.kind == "flask"
             else "env.py, before target_metadata is set")
    model_tables = {t.name for t in metadata.tables.values()}
    created = tables_at_head(ctx)
    root = ctx.project.source_root
    orphans = unimported_models(root, ctx.project.migrations_dir)
    named = {t: f for f, tables in orphans.items() for t in tables if t not in model_tables}
    if not model_tables:
        in_db = sorted(set(ctx.db.tables)) if ctx.db is not None else []
        lost = sorted(created) or in_db
        if not lost:  # nothing to lose yet: only modules nothing imports are worth saying
            yield from _unimported(named, created, where, root)
            return
        yield Hit("the target metadata has no tables: the model modules are not imported, so "
                  "autogenerate would drop every table"
                  + (f" ({', '.join(lost[:8])})" if lost else "") + _naming(named, lost),
                  f"import the models in {where}" + _imports(named, lost, root), None,
                  {"missing": lost, "unimported": _files(named, lost)})
        return
    missing = sorted(created - model_tables)
    if missing:
        yield Hit(f"the migrations create {', '.join(missing)} but the models do not define "
                  f"{'it' if len(missing) == 1 else 'them'}: the next autogenerate would drop "
                  f"{'it' if len(missing) == 1 else 'them'}" + _naming(named, missing),
                  f"import the module that defines {', '.join(missing)} in {where}"
                  + _imports(named, missing, root) + "; if the table is meant to be unmanaged, "
                  "exclude it with include_object in env.py",
                  None, {"missing": missing, "unimported": _files(named, missing)})
    yield from _unimported(named, created, where, root)


def _unimported(named: dict[str, str], created: set[str], where: str,
                root: Path | None) -> Iterator[Hit]:
    new = sorted(t for t in named if t not in created)
    if new:
        yield Hit(f"{_naming(named, new).removeprefix('; ')}: autogenerate cannot see "
                  f"{'it' if len(new) == 1 else 'them'}, so no migration is written for "
                  f"{', '.join(new)}", f"import it in {where}" + _imports(named, new, root),
                  None, {"missing": [], "unimported": _files(named, new)},
                  severity=Severity.WARNING)


def _files(named: dict[str, str], tables: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table in tables:
        if table in named:
            out.setdefault(named[table], []).append(table)
    return out


def _naming(named: dict[str, str], tables: list[str]) -> str:
    files = _files(named, tables)
    if not files:
        return ""
    return "; " + "; ".join(f"{path} defines {', '.join(t)} but nothing imports it"
                            for path, t in files.items())


def _imports(named: dict[str, str], tables: list[str], root: Path | None) -> str:
    files = _files(named, tables)
    if not files or root is None:
        return ""
    return " (" + "; ".join(f"import {module_name(p, root)}" for p in files) + ")"
