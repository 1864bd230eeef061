"""One run of the project's own env.py against a scratch database, with the revisions
stepped from here.

``in_env(project, url, work)`` runs env.py exactly as ``alembic upgrade`` would (same
Config, the Flask engine swap or ``sqlalchemy.url``/``config.attributes["connection"]`` of
a plain Alembic project; see ``replay.runner``), but the migration function Alembic hands
to ``context.run_migrations()`` is ours: it calls ``work(session)`` with a ``Session``
bound to the MigrationContext env.py configured (its connection, its options, its
``target_metadata``), and returns no steps of its own. Inside, the session upgrades and
downgrades one revision at a time, any number of times, in that one connection:

- on a database with transactional DDL (PostgreSQL) everything runs in one transaction,
  each step in a savepoint, so a failing step is rolled back to where it started and a
  whole round trip can be undone (``checkpoint``/``restore``);
- elsewhere (SQLite, MySQL/MariaDB) each step is its own transaction, as Alembic runs it;
  a step that fails there may leave half its DDL behind, so the session is marked dirty
  and ``rebuild`` empties the database and replays the revisions up to a point.

An ``autocommit_block()`` in a revision commits the transaction as it does in production;
the savepoints taken before it are gone then, and the session falls back to rebuilding.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import DoctorError
from ..model import Location
from ..project.loaded import Project

T = TypeVar("T")


class StepFailed(Exception):
    """A revision's upgrade() or downgrade() raised."""

    def __init__(self, revision: str, upgrade: bool, error: BaseException, *,
                 restored: bool, location: Location | None = None) -> None:
        self.revision, self.upgrade, self.error = revision, upgrade, error
        self.restored = restored  # the database is back where the step started
        self.location = location
        super().__init__(f"{'upgrade' if upgrade else 'downgrade'} {revision}: {describe(error)}")

    @property
    def statement(self) -> str | None:
        statement = getattr(self.error, "statement", None)
        return " ".join(str(statement).split()) if statement else None

    @property
    def deliberate(self) -> bool:
        """A downgrade that raises NotImplementedError: not supported, on purpose."""
        return not self.upgrade and isinstance(self.error, NotImplementedError)


def describe(error: BaseException) -> str:
    """The error as one line: the database's own message for a DBAPIError; for an error
    without a message (a bare ``assert``), the line of the project's code that raised it."""
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if original is not None and lines:  # the database's own words
        return " ".join(lines[:3])
    message = " ".join(lines[:3])
    if message and not isinstance(error, AssertionError) and len(message) >= 12:
        return message  # the project's (or the library's) own words say it
    source = _raising_line(error)
    said = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return f"{said} at `{source}`" if source else said


def _raising_line(error: BaseException) -> str | None:
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    return frames[-1].line.strip() if frames and frames[-1].line else None


@dataclass
class Checkpoint:
    """A point to go back to, and the heads at that point: a savepoint (PostgreSQL), or a
    copy of the whole database in memory (SQLite: a scratch database is small, and SQLite's
    backup API copies it in milliseconds)."""

    heads: tuple[str, ...]
    name: str | None = None
    generation: int = -1
    seq: int = 0
    copy: Any = None  # sqlite3.Connection to an in-memory copy


@dataclass
class Session:
    """The migration context env.py configured, stepped one revision at a time."""

    context: Any  # alembic.runtime.migration.MigrationContext
    script: Any  # alembic.script.ScriptDirectory
    project: Project
    heads: tuple[str, ...] = ()
    dirty: bool = False  # a failed step may have left part of its DDL behind
    aborted: bool = False  # PostgreSQL: a statement failed; the transaction awaits a rollback
    steps_run: int = 0
    statements: int = 0  # executed by the last step (revision code, not the version table)
    _own: Any = None  # the transaction this session began (env.py began none)
    _generation: int = 0  # +1 at every commit or rollback: the savepoints before are gone
    _seq: int = 0
    _live: set[int] = field(default_factory=set)  # savepoints that still stand
    _hooks: list[Callable[[str, bool, str], None]] = field(default_factory=list)

    @property
    def conn(self) -> Any:
        return self.context.connection

    @property
    def dialect(self) -> str:
        return str(self.context.dialect.name)

    @property
    def transactional(self) -> bool:
        """DDL runs in the session's one transaction (PostgreSQL): steps use savepoints."""
        return bool(self.context.impl.transactional_ddl) and not self.context.as_sql

    # -- the transaction ------------------------------------------------------------------

    def start(self) -> None:
        from sqlalchemy import event, text

        from .state import install

        self.heads = tuple(sorted(self.context.get_current_heads()))
        conn = self.conn
        event.listen(conn, "commit", self._ended)
        event.listen(conn, "rollback", self._ended)
        event.listen(conn, "before_cursor_execute", self._counted)
        # a scratch database: no waiting for the disk at each commit
        if self.dialect == "postgresql":
            conn.execute(text("SET synchronous_commit TO off"))
        elif self.dialect == "sqlite":
            if conn.in_transaction():
                conn.commit()
            conn.exec_driver_sql("PRAGMA synchronous = OFF")
            conn.exec_driver_sql("PRAGMA journal_mode = MEMORY")
        if self.transactional and not conn.in_transaction():
            # transaction_per_migration: env.py opened none; one for the whole session,
            # known to the context so that an autocommit_block() commits it as it would
            self._own = conn.begin()
            self.context._transaction = self._own
        install(conn)
        self.commit()

    def _ended(self, conn: Any) -> None:
        self._generation += 1
        self._live.clear()

    def _counted(self, *args: Any) -> None:
        self.statements += 1

    def finish(self) -> None:
        """Commit what the session did (env.py commits its own transaction itself)."""
        from sqlalchemy import event

        for name, fn in (("commit", self._ended), ("rollback", self._ended),
                         ("before_cursor_execute", self._counted)):
            event.remove(self.conn, name, fn)
        own, self._own = self._own, None
        if own is not None and own.is_active:
            own.commit()
        elif self.transactional and self.context._transaction is None \
                and self.conn.in_transaction():
            self.conn.commit()

    def commit(self) -> None:
        """Make what was done so far permanent and go on in a new transaction."""
        if self.aborted:
            self.recover()
        if not self.transactional:
            if self.conn.in_transaction():
                self.conn.commit()
            return
        transaction = self.context._transaction or self.conn.get_transaction()
        if transaction is not None and transaction.is_active:
            transaction.commit()
        elif self.conn.in_transaction():
            self.conn.commit()
        self.context._transaction = self.conn.begin()
        if self._own is not None:
            self._own = self.context._transaction

    def checkpoint(self) -> Checkpoint:
        """Where ``restore`` can come back to (PostgreSQL: a savepoint; SQLite: a copy;
        MySQL/MariaDB: none, a rebuild is the way back)."""
        if self.dialect == "sqlite" and not self.dirty:
            return Checkpoint(self.heads, copy=self._copy())
        if not self.transactional or self.aborted or not self.conn.in_transaction():
            return Checkpoint(self.heads)
        self._seq += 1
        name = f"md_sp_{self._seq}"
        self.conn.exec_driver_sql(f"SAVEPOINT {name}")
        self._live.add(self._seq)
        return Checkpoint(self.heads, name, self._generation, self._seq)

    def usable(self, point: Checkpoint) -> bool:
        if point.copy is not None:
            return True
        return (point.name is not None and point.generation == self._generation
                and point.seq in self._live)

    def _raw(self) -> Any:
        return self.conn.connection.dbapi_connection

    def _copy(self) -> Any:
        import sqlite3

        if self.conn.in_transaction():
            self.conn.commit()
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        self._raw().backup(copy)
        return copy

    def copy_engine(self, point: Checkpoint) -> Any:
        """An engine over (a copy of) the database as it was at ``point`` (SQLite)."""
        import sqlite3

        from sqlalchemy import create_engine
        from sqlalchemy.pool import StaticPool

        again = sqlite3.connect(":memory:", check_same_thread=False)
        point.copy.backup(again)
        return create_engine("sqlite://", creator=lambda: again, poolclass=StaticPool)

    @property
    def savepoints(self) -> int:
        """Savepoints taken in the current transaction."""
        return len(self._live)

    def restore(self, point: Checkpoint) -> bool:
        """Back to ``point`` when its savepoint (or copy) still stands; False otherwise."""
        if not self.usable(point):
            return False
        if point.copy is not None:
            if self.conn.in_transaction():
                self.conn.rollback()
            point.copy.backup(self._raw())
            self.heads = point.heads
            self.dirty = self.aborted = False
            return True
        self.conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {point.name}")
        self._live = {seq for seq in self._live if seq <= point.seq}
        self.heads = point.heads
        self.dirty = self.aborted = False
        return True

    def recover(self) -> None:
        """After a failure no savepoint undoes: a usable connection again, and the database
        marked for rebuilding."""
        self.dirty = True
        self.aborted = False
        with contextlib.suppress(Exception):
            if self.transactional:
                transaction = self.conn.get_transaction()
                if transaction is not None:
                    transaction.rollback()
                self.context._transaction = self.conn.begin()
                if self._own is not None:
                    self._own = self.context._transaction
            elif self.conn.in_transaction():
                self.conn.rollback()
        with contextlib.suppress(Exception):
            self.heads = tuple(sorted(self.context.get_current_heads()))

    # -- steps ----------------------------------------------------------------------------

    def on_step(self, hook: Callable[[str, bool, str], None]) -> None:
        """``hook(revision, is_upgrade, "before"|"after")`` around every step."""
        self._hooks.append(hook)

    def upgrade(self, target: str | tuple[str, ...], *, guard: bool = True) -> None:
        """Up to ``target`` (a revision, or ``heads``) from where the database is.
        ``guard``: each step in a savepoint of its own, rolled back if it fails (the
        caller that holds a checkpoint of its own passes False)."""
        from alembic.util import CommandError

        targets = (target,) if isinstance(target, str) else target
        for one in targets:
            try:
                steps = self.script._upgrade_revs(one, self.heads)
            except CommandError:  # already there (or above)
                continue
            self._run(steps, guard)

    def downgrade(self, target: str | tuple[str, ...], *, guard: bool = True) -> None:
        """Down to ``target`` (revisions, or ``base``)."""
        destination = "base" if not target or target == ("base",) else target
        if isinstance(destination, tuple):
            keep = set().union(*(self.ancestors(r) for r in destination))
            order = [r for r in self.applied() if r not in keep]
            self._run([self._step(r, False) for r in reversed(order)], guard)
            return
        self._run(self.script._downgrade_revs(destination, self.heads), guard)

    def downgrade_one(self, revision: str, *, guard: bool = True) -> None:
        """Undo one revision that is a head of the database."""
        self._run([self._step(revision, False)], guard)

    def ancestors(self, revision: str) -> set[str]:
        return {r.revision for r in self.script.revision_map.iterate_revisions(
            revision, "base")}

    def applied(self) -> list[str]:
        """The revisions applied, in the order they run."""
        if not self.heads:
            return []
        revs = [r.revision for r in self.script.revision_map.iterate_revisions(
            self.heads, "base")]
        revs.reverse()
        return revs

    def _step(self, revision: str, upgrade: bool) -> Any:
        from alembic.runtime.migration import MigrationStep

        script = self.script.get_revision(revision)
        make = MigrationStep.upgrade_from_script if upgrade else MigrationStep.downgrade_from_script
        return make(self.script.revision_map, script)

    def _run(self, steps: Iterable[Any], guard: bool = True) -> None:
        from alembic.runtime.migration import HeadMaintainer

        for step in steps:
            if self.aborted or self.dirty:
                self.rebuild(self.heads)
            rev = step.revision.revision
            for hook in self._hooks:
                hook(rev, step.is_upgrade, "before")
            maintainer = HeadMaintainer(self.context, self.heads)
            point = self.checkpoint() if guard else None
            transaction = (contextlib.nullcontext() if self.transactional
                           else self.context.begin_transaction(_per_migration=True))
            self.statements = 0
            try:
                with transaction:
                    step.migration_fn()
                    ran = self.statements
                    maintainer.update_to_step(step)
            except Exception as exc:  # noqa: BLE001 - the revision's own error, reported
                from ..project.exceptions import user_frame

                if self.transactional:
                    self.aborted = True
                else:
                    self.dirty = True
                restored = point is not None and self.restore(point)
                raise StepFailed(rev, step.is_upgrade, exc, restored=restored,
                                 location=user_frame(exc)) from None
            self.statements = ran
            self.heads = tuple(sorted(maintainer.heads))
            self.steps_run += 1
            for hook in self._hooks:
                hook(rev, step.is_upgrade, "after")

    # -- starting over ----------------------------------------------------------------------

    def rebuild(self, heads: tuple[str, ...]) -> None:
        """Empty the database and replay the revisions up to ``heads`` (no rows)."""
        from .wipe import wipe

        if self.aborted:
            self.recover()
        wipe(self)
        self.heads = ()
        self.dirty = False
        if heads:
            self.upgrade(heads)


# -- running env.py ---------------------------------------------------------------------------

class EnvDidNotRun(DoctorError):
    """What it finds: env.py returned without running the migrations against the scratch
    database (it never called ``context.run_migrations()`` in online mode).

    Why it matters: the migrations cannot be tested where env.py does not run them.

    Fix: make env.py call ``context.run_migrations()`` with a connection, as the Alembic
    templates do.
    """

    id = "replay-failed"
    title = "The migrations could not be replayed"


def in_env(project: Project, url: str, work: Callable[[Session], T]) -> T:
    """Run env.py once against ``url`` and ``work(session)`` inside it; the result of work.

    Errors of the project's own code while env.py loads become ``replay-failed``; a
    failing revision step is the session's StepFailed, handled by ``work``."""
    from ..project.exceptions import classify
    from ..project.user_code import no_logging_config, run_user_code
    from ..replay.runner import ReplayFailed, _environment_pointing_at, _guard_engines
    from .scratch_env import in_scratch

    done: dict[str, Any] = {}

    def action(cfg: Any) -> None:
        from alembic.runtime.environment import EnvironmentContext
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(cfg)

        def fn(heads: Any, context: Any) -> list[Any]:
            session = Session(context, script, project)
            session.start()
            try:
                done["value"] = work(session)
            except BaseException as exc:  # noqa: BLE001 - carried out past env.py
                done["error"] = exc
                raise
            session.finish()
            done["session"] = session
            return []

        with EnvironmentContext(cfg, script, fn=fn, as_sql=False, starting_rev=None,
                                destination_rev="heads", tag=None):
            script.run_env()

    def run() -> None:
        with _guard_engines(project.url), _environment_pointing_at(project.url, url), \
                no_logging_config():
            in_scratch(project, url, action)

    outcome = run_user_code(run, "the migrations")
    if "error" in done:  # ours, or the user's Ctrl-C: not the project's fault
        raise done["error"]
    if outcome.error is not None:
        exc = outcome.error
        if isinstance(exc, DoctorError):
            raise exc
        error = classify(exc, "migrations", project.secrets, outcome.output)
        raise ReplayFailed(error.message.replace("loading the migrations failed",
                                                 "running env.py failed"),
                           error.fix, location=error.location, evidence=error.evidence) from None
    if "session" not in done:
        raise EnvDidNotRun("env.py ran, but never ran the migrations against the scratch "
                           "database (no context.run_migrations() in online mode)",
                           "make env.py call context.run_migrations() with a connection")
    return done["value"]


@contextlib.contextmanager
def quiet_alembic_log() -> Iterator[None]:
    """Alembic logs "Running upgrade ..." per step at INFO: not on our output."""
    import logging

    logger = logging.getLogger("alembic.runtime.migration")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
