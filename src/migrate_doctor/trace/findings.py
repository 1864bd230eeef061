"""The findings only ``lint --trace`` reports: what PostgreSQL did while a revision ran
that no lint rule predicted. They are not lint rules (no rule reads a revision to find
them); each is a typed finding documented here, like the loading errors in errors.py.
"""

from __future__ import annotations

from typing import Any

from ..model import Finding, Location, Severity


class TraceFinding:
    """Base: ``id``, ``severity`` and ``title``; the docstring is the documentation."""

    id = "trace-finding"
    severity = Severity.WARNING
    title = "Something the trace saw"

    @classmethod
    def finding(cls, message: str, fix: str, location: Location | None,
                evidence: dict[str, Any]) -> Finding:
        return Finding(cls.id, cls.severity, cls.title, message, fix, location, evidence)


class TraceTableRewrite(TraceFinding):
    """What it finds:
    `lint --trace` ran the revision on a scratch PostgreSQL with a few rows in its tables,
    and a table that existed before the revision got new storage (`pg_class.relfilenode`
    changed): PostgreSQL rewrote it, copying every row. No lint rule predicted it: the
    statement is raw SQL the rules cannot judge (a default that calls a volatile function
    of the project's own, SET UNLOGGED, CLUSTER, a type change hidden in a function), or a
    rule was wrong about it.

    Why it matters:
    A rewrite holds an ACCESS EXCLUSIVE lock for as long as copying the table takes: on a
    big table, minutes in which nothing reads or writes it, and twice its size on disk.

    Example:
    op.execute("ALTER TABLE users ADD COLUMN code text DEFAULT next_code()")
    # next_code() is VOLATILE: every existing row gets its own value, so users is rewritten

    Fix:
    Make the change in steps that need no rewrite: add the column without the default,
    set the default for new rows only, backfill existing rows in committed batches; for a
    type, add a column of the new type, copy in batches, then swap. The finding names the
    statement and its line.
    """

    id = "trace-table-rewrite"
    title = "The trace saw a table rewritten that no rule predicted"


class TraceExclusiveLock(TraceFinding):
    """What it finds:
    `lint --trace` ran the revision on a scratch PostgreSQL and saw it take an ACCESS
    EXCLUSIVE lock on a table that existed before it, with no `lock_timeout` set (neither
    by the revision nor in env.py), where no lint rule predicted a lock on that table
    (typically SQL the rules cannot read: a DO block, a function that runs DDL).

    Why it matters:
    An ACCESS EXCLUSIVE lock first waits behind every query on the table, and every new
    query queues behind it: a migration stuck behind one long report is a full outage of
    that table, for as long as it waits.

    Example:
    op.execute("SELECT add_audit_columns('users')")  # a function that runs ALTER TABLE

    Fix:
    Set a lock_timeout first, so the migration gives up (and can be retried) instead of
    queueing the app: `op.execute("SET LOCAL lock_timeout = '5s'")` as the first line of
    upgrade(), or once in env.py for every revision.
    """

    id = "trace-exclusive-lock"
    title = "The trace saw an ACCESS EXCLUSIVE lock that no rule predicted"


TRACE_FINDINGS: tuple[type[TraceFinding], ...] = (TraceTableRewrite, TraceExclusiveLock)
TRACE_IDS = frozenset(cls.id for cls in TRACE_FINDINGS)
