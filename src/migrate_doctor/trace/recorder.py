"""Statement by statement: SQLAlchemy's cursor events on the traced connection note each
statement upgrade() sends, where in the revision file it came from, how long it took and
whether it failed, and read the catalog right after it (on the same DBAPI connection,
inside the transaction). What must not run inside the transaction (an
``autocommit_block()``, a COMMIT) is not sent: it is noted as not traced."""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Iterator
from typing import Any

from . import catalog
from .model import Step

NOOP = "SELECT 1 WHERE false"
_CONTROL = re.compile(r"^\s*(COMMIT|END|ABORT|BEGIN|START\s+TRANSACTION|PREPARE\s+TRANSACTION|"
                      r"ROLLBACK(?!\s+TO\b))\b", re.IGNORECASE)
SQL_SHOWN = 500  # characters of a statement kept


class TraceDeadline(RuntimeError):
    """upgrade() still sends statements after the trace's time limit."""


class Recorder:
    def __init__(self, path: str, start: catalog.Reading, deadline: float) -> None:
        self.path = path
        self.start = start
        self.previous = start
        self.names = start.names_by_oid
        self.deadline = deadline
        self.steps: list[Step] = []
        self.outside = False  # inside an autocommit block
        self._pending: Step | None = None
        self._started = 0.0

    # -- SQLAlchemy events ---------------------------------------------------------------
    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> tuple[str, Any]:
        lines = self.lines()
        sql = " ".join(statement.split())[:SQL_SHOWN]
        reason = ("inside an autocommit block: it runs outside the migration's transaction"
                  if self.outside else "transaction control" if _CONTROL.match(statement) else None)
        if reason is not None:
            self.steps.append(Step(sql, lines, traced=False, reason=reason))
            self._pending = None
            return NOOP, ([] if executemany else {} if isinstance(parameters, dict) else ())
        if time.perf_counter() > self.deadline:
            raise TraceDeadline("upgrade() still sends statements after the trace's time limit")
        self._pending = Step(sql, lines)
        self._started = time.perf_counter()
        return statement, parameters

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        step, self._pending = self._pending, None
        if step is None:
            return
        step.seconds = round(time.perf_counter() - self._started, 6)
        try:
            reading = catalog.read(cursor.connection)
        except Exception as exc:  # noqa: BLE001 - the statement ran; what followed is unknown
            step.traced = False  # it ran, but what it did is unknown
            step.reason = f"the catalog could not be read after it: {error_text(exc)}"
            self.steps.append(step)
            return
        self.names.update(reading.names_by_oid)
        step.locks = catalog.new_locks(self.previous, reading, self.names)
        step.rewritten = catalog.rewritten(self.start, self.previous, reading)
        step.created = catalog.created(self.previous, reading)
        step.dropped = catalog.dropped(self.previous, reading)
        step.lock_timeout = reading.lock_timeout
        self.previous = reading
        self.steps.append(step)

    def failed(self, context: Any) -> None:
        """handle_error: the statement failed (PostgreSQL has released its locks already)."""
        step, self._pending = self._pending, None
        if step is None:
            return
        step.seconds = round(time.perf_counter() - self._started, 6)
        original = getattr(context, "original_exception", None)
        step.error = error_text(original) if original is not None else "failed"
        step.sqlstate = getattr(original, "sqlstate", None)
        self.steps.append(step)

    # -- where a statement came from -------------------------------------------------------
    def lines(self) -> tuple[int, ...]:
        """Lines of the revision file on the call stack, innermost first."""
        found: list[int] = []
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.path:
                found.append(frame.f_lineno)
            frame = frame.f_back
        return tuple(found)

    @contextlib.contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Stands in for MigrationContext.autocommit_block(), which would commit the
        transaction: what runs inside is noted, not sent."""
        outer, self.outside = self.outside, True
        try:
            yield
        finally:
            self.outside = outer

    @contextlib.contextmanager
    def listening(self, conn: Any) -> Iterator[None]:
        from sqlalchemy import event

        def refuse_commit(connection: Any) -> None:
            raise RuntimeError("upgrade() commits the transaction (not traced past this point)")

        def failed(context: Any) -> None:
            if getattr(context, "connection", None) is conn:
                self.failed(context)

        hooks = [(conn, "before_cursor_execute", self.before, {"retval": True}),
                 (conn, "after_cursor_execute", self.after, {}),
                 (conn.engine, "handle_error", failed, {}),  # an engine-level event only
                 (conn, "commit", refuse_commit, {})]
        for target, name, fn, kw in hooks:
            event.listen(target, name, fn, **kw)
        try:
            yield
        finally:
            for target, name, fn, _kw in hooks:
                event.remove(target, name, fn)


def error_text(exc: BaseException) -> str:
    """The database's own message (first line), or the exception's."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    message = text[0] if text else type(orig).__name__
    return f"{type(orig).__name__}: {message}"[:300]


def lines_of(exc: BaseException, path: str) -> tuple[int, ...]:
    """Lines of the revision file in an exception's traceback, innermost first."""
    found: list[int] = []
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            found.append(tb.tb_lineno)
        tb = tb.tb_next
    return tuple(reversed(found))
