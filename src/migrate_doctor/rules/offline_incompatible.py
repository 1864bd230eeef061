"""A revision that needs a live connection, so `--sql` (offline) mode breaks.

What it finds:
    In upgrade() or downgrade(): `op.get_bind()`, `sa.inspect(...)` / `inspect(...)`,
    `MetaData.reflect(...)`, and reflection (`Table(..., autoload_with=...)`). Quiet when
    the revision checks `context.is_offline_mode()` itself.

Why it matters:
    `flask db upgrade --sql` (or `alembic upgrade --sql`) writes the SQL to a file for a
    DBA instead of running it. There is no connection then: `op.get_bind()` returns
    nothing to execute on and inspection fails, so no script can be produced for this or
    any later revision. Results read from the database also make the revision behave
    differently per environment.

Example:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id FROM users")).fetchall()

Use instead:
    Write the change as SQL that runs the same everywhere:
    op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
    or keep the live-only part out of offline mode:
    from alembic import context
    if not context.is_offline_mode():
        conn = op.get_bind()
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import dotted_name


def _uses(func: ast.FunctionDef) -> Iterator[tuple[int, str]]:
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        name = dotted_name(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if name == "op.get_bind":
            yield node.lineno, "op.get_bind()"
        elif last == "inspect" and (name in ("inspect", "sa.inspect", "sqlalchemy.inspect")):
            yield node.lineno, f"{name}(...)"
        elif last == "reflect":
            yield node.lineno, f"{name}(...)"
        elif any(k.arg in ("autoload_with", "autoload") for k in node.keywords):
            yield node.lineno, f"{name}(..., autoload_with=...)"


@rule("offline-incompatible", Severity.WARNING, "Revision needs a live connection (breaks --sql)")
def run(ctx: RuleContext) -> Iterator[Hit]:
    text = ctx.file.text
    if "is_offline_mode" in text or not any(
            word in text for word in ("get_bind", "inspect", "reflect", "autoload")):
        return
    for function in ("upgrade", "downgrade"):
        func = ctx.file.function(function)
        if func is None:
            continue
        seen: set[int] = set()
        for line, what in _uses(func):
            if line in seen:
                continue
            seen.add(line)
            fix = "\n".join([
                f"# in {function}() of {ctx.revision}: express the change as SQL, which "
                "--sql can print:",
                'op.execute("UPDATE <table> SET ... WHERE ...")',
                "# or skip the live-only part in offline mode:",
                "from alembic import context",
                "if not context.is_offline_mode():",
                f"    ...  # the code around {what}",
            ])
            yield ctx.hit(
                f"{what} in {function}() needs a live connection: `upgrade --sql` (offline "
                "mode) cannot produce a script for this revision", fix, line, call=what,
                function=function)
