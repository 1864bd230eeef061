"""Lock-taking DDL on PostgreSQL with no lock_timeout.

What it finds:
    A revision whose upgrade() runs an operation that takes a strong lock on a table this
    revision did not create (ALTER TABLE of any kind: add, drop, alter or rename a column,
    add or drop a constraint; a non-concurrent CREATE or DROP INDEX; DROP TABLE; rename;
    TRUNCATE; LOCK) while no `lock_timeout` is set: neither by the revision, before that
    operation (`op.execute("SET lock_timeout = '5s'")` or `SET LOCAL`), nor in env.py (any
    mention of `lock_timeout` there counts). PostgreSQL only. The cause is env.py, which
    could set it once for every revision: `lint` reports one finding at env.py naming the
    revisions it affects (the per-revision findings are its evidence).

Why it matters:
    Even an instant ALTER first waits for its ACCESS EXCLUSIVE lock, behind any long query
    or idle transaction on the table. While it waits, every new query on the table queues
    behind it: a few seconds of a blocked migration is a full outage. With a lock_timeout
    the migration gives up instead, and can be retried.

Example:
    def upgrade():
        op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))

Use instead:
    def upgrade():
        op.execute("SET LOCAL lock_timeout = '5s'")
        op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
    or once for every revision, in env.py, right after the connection is opened (before
    `context.configure(connection=connection, ...)`):
        connection.exec_driver_sql("SET lock_timeout = '5s'")
        if connection.in_transaction():  # SQLAlchemy 2 began a transaction for the SET
            connection.commit()
    The commit matters: under SQLAlchemy 2 the SET begins a transaction, Alembic then takes
    it for one its caller manages and commits nothing, so the upgrade reports success and
    leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation

_LOCKING_OPS = {"add_column", "drop_column", "alter_column", "drop_table", "rename_table",
                "create_foreign_key", "create_unique_constraint", "create_check_constraint",
                "create_primary_key", "drop_constraint", "create_exclude_constraint",
                "create_index", "drop_index", "batch_alter_table"}
_LOCKING_SQL = {"alter_table", "drop_table", "truncate", "lock", "create_index", "drop_index"}


def _locked_table(ctx: RuleContext, op: Operation) -> str | None:
    """The existing table op locks, if it takes a strong lock on one ("?" if unnamed)."""
    if op.name in _LOCKING_OPS and not op.is_batch:
        if op.kwargs.get("postgresql_concurrently") is True:
            return None
        table = ctx.table_of(op) or (op.kwargs.get("table_name") if op.name == "drop_index"
                                     else None)
        table = table if isinstance(table, str) else None
        return None if ctx.is_new_table(table, op) else (table or "?")
    for s in ctx.sql(op):
        if s.kind in _LOCKING_SQL and not s.concurrently and not ctx.is_new_table(s.table, op):
            return s.table or "?"
    return None


def _sets_timeout(ctx: RuleContext, op: Operation) -> bool:
    return any(s.setting == "lock_timeout" for s in ctx.sql(op))


# The lines env.py needs, right after its connection is opened and before
# context.configure(): SQLAlchemy 2 begins a transaction for the SET; left open, Alembic
# takes it for one its caller manages and never commits, so the upgrade reports success and
# applies nothing. The commit ends it (SQLAlchemy 1.4's legacy connection began none).
ENV_LINES = (
    "connection.exec_driver_sql(\"SET lock_timeout = '5s'\")",
    "if connection.in_transaction():  # SQLAlchemy 2 began a transaction for the SET: end it,",
    "    connection.commit()  # or Alembic takes it for the caller's and commits nothing",
)
ENV_FIX = "\n".join([
    "# env.py, in run_migrations_online(), right after the connection is opened and before",
    "# context.configure(connection=connection, ...):",
    *[f"#     {line}" for line in ENV_LINES],
    "# every revision then gives up after 5 s instead of queueing the app behind its lock",
    "# (or per revision, as the first line of upgrade(): op.execute(\"SET LOCAL lock_timeout = '5s'\"))",
])
ENV_MESSAGE = ("env.py sets no lock_timeout, so {count} revision(s) lock tables without one "
               "({revisions})")


@rule("missing-lock-timeout", Severity.WARNING, "Lock-taking DDL without a lock_timeout",
      dialects=("postgresql",), cause="env.py", env_fix=ENV_FIX, env_message=ENV_MESSAGE,
      online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.facts.lock_timeout:
        return
    locked: list[tuple[Operation, str]] = []
    for op in ctx.upgrade:
        if _sets_timeout(ctx, op):
            break
        table = _locked_table(ctx, op)
        if table is not None:
            locked.append((op, table))
    if not locked:
        return
    tables = sorted({t for _op, t in locked if t != "?"})
    names = ", ".join(tables) or "a table"
    fix = "\n".join([
        f"# first line of upgrade() in {ctx.revision}: give up after 5s instead of queueing "
        f"every query on {names} behind the lock",
        "op.execute(\"SET LOCAL lock_timeout = '5s'\")",
        "# or once for all revisions, in env.py right after the connection is opened and "
        "before context.configure():",
        *[f"#     {line}" for line in ENV_LINES],
    ])
    first = locked[0][0]
    body = ctx.function_body("upgrade")
    yield ctx.hit(
        f"upgrade() locks {names} ({len(locked)} operation{'s' if len(locked) > 1 else ''}) "
        "with no lock_timeout: while it waits for the lock behind a long query, every other "
        f"query on {names} waits behind it", fix, first, tables=tables,
        fix_at=("insert", body[0], 0) if body else None,
        lines=[op.line for op, _t in locked])
