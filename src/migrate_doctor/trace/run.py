"""Trace one revision: in ONE transaction on a scratch connection that stands just before
the revision, generate rows in the tables it touches, read the catalog, run its upgrade()
(loaded as Alembic loads it, under ``Operations.context``), statement by statement, then
ROLL BACK: the scratch database is left as it was."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..project.loaded import Project
from . import catalog
from .model import RevisionTrace
from .recorder import Recorder, error_text, lines_of

SECONDS = 60.0  # a revision still sending statements after this is stopped


def load_revision(path: Path) -> Any:
    """The revision module, as Alembic loads it (``load_python_file``; the session's memo
    makes it the very module Alembic's own replay ran)."""
    from alembic import util

    return util.load_python_file(str(path.parent), path.name)


def trace_revision(conn: Any, project: Project, revision: str, path: Path, tables: list[str],
                   watch: list[tuple[str, str]], rows: int = 3) -> RevisionTrace:
    """``conn``: an idle SQLAlchemy connection to the scratch database, at the revision's
    parents. ``watch``: (table, column) pairs whose values are compared before and after."""
    from ..database.rows import fill
    from ..project.user_code import run_user_code

    trace = RevisionTrace(revision, str(path))
    loaded = run_user_code(lambda: load_revision(path), f"revision {revision}")
    module = loaded.value
    if loaded.error is not None or module is None or not callable(getattr(module, "upgrade", None)):
        trace.reason = ("the revision could not be loaded: " + error_text(loaded.error)
                        if loaded.error is not None else "the revision has no upgrade()")
        return trace
    source = str(getattr(module, "__file__", path))
    transaction = conn.begin()
    try:
        try:
            with conn.begin_nested():
                trace.filled = fill(conn, tables, rows)
        except Exception as exc:  # noqa: BLE001 - traced without rows, saying why
            trace.notes.append(f"no rows could be generated: {error_text(exc)}")
        dbapi = conn.connection.dbapi_connection
        start = catalog.read(dbapi)
        trace.tables = {name: rel.kind for name, rel in start.relations.items()}
        before = _values(conn, watch)
        recorder = Recorder(source, start, time.perf_counter() + SECONDS)
        started = time.perf_counter()
        with recorder.listening(conn), _flask_engine(project, conn.engine):
            outcome = run_user_code(lambda: _upgrade(conn, module, recorder),
                                    f"revision {revision}")
        trace.seconds = round(time.perf_counter() - started, 6)
        trace.ran = True
        trace.steps = recorder.steps
        if outcome.error is not None:
            trace.error = error_text(outcome.error)
            trace.error_lines = lines_of(outcome.error, source)
        if watch and not any(s.failed for s in trace.steps) and conn.in_transaction():
            after = _values(conn, watch)
            trace.values = {key: [before.get(key), after.get(key)] for key in before}
        elif watch:
            trace.values = {key: [value, None] for key, value in before.items()}
    finally:
        with contextlib.suppress(Exception):
            transaction.rollback()
        if conn.in_transaction():  # a refused commit leaves SQLAlchemy's transaction invalid
            with contextlib.suppress(Exception):
                conn.rollback()
    return trace


def _upgrade(conn: Any, module: Any, recorder: Recorder) -> None:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"as_sql": False})
    context.autocommit_block = recorder.autocommit_block  # type: ignore[method-assign]
    with Operations.context(context):
        failure: BaseException | None = None
        try:
            module.upgrade()
        except BaseException as exc:  # noqa: BLE001 - re-raised once the proxy is removed
            failure = exc
    if failure is not None:
        raise failure


@contextlib.contextmanager
def _flask_engine(project: Project, engine: Any) -> Iterator[None]:
    """A Flask-Migrate project: inside the app's context, Flask-SQLAlchemy's engine is the
    scratch one (a revision using ``db.session`` never reaches the live database)."""
    app = project.app if project.kind == "flask" else None
    migrate = getattr(app, "extensions", {}).get("migrate") if app is not None else None
    if migrate is None:
        yield
        return
    with app.app_context():
        engines = migrate.db.engines
        saved = dict(engines)
        engines[None] = engine
        try:
            yield
        finally:
            engines.clear()
            engines.update(saved)


def _values(conn: Any, watch: list[tuple[str, str]]) -> dict[str, str | None]:
    """For each (table, column): how many values it holds and a digest of them (as text,
    sorted), or None when the column is not there."""
    out: dict[str, str | None] = {}
    preparer = conn.dialect.identifier_preparer
    dbapi = conn.connection.dbapi_connection
    for table, column in watch:
        schema, _, name = table.rpartition(".")
        target = (f"{preparer.quote(schema)}." if schema else "") + preparer.quote(name)
        col = preparer.quote(column)
        cursor = dbapi.cursor()
        try:
            cursor.execute("SAVEPOINT md_trace_values")
            cursor.execute(f"SELECT count({col}), md5(string_agg({col}::text, ',' "
                           f"ORDER BY {col}::text)) FROM {target}")
            count, digest = cursor.fetchone()
            cursor.execute("RELEASE SAVEPOINT md_trace_values")
            out[f"{table}.{column}"] = f"{count}:{digest}"
        except Exception:  # noqa: BLE001 - no such table or column (any more)
            cursor.execute("ROLLBACK TO SAVEPOINT md_trace_values")
            out[f"{table}.{column}"] = None
        finally:
            cursor.close()
    return out
