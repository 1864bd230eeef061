"""Fixture cases of the lint rules: one module per rule id (dashes as underscores).

Each module defines ``CASES``, a list of dicts:

- ``name``: what the case shows;
- ``fires``: whether the rule reports on the last revision;
- ``revisions``: revision file texts in upgrade order; the last is reported on, the earlier
  ones build the history;
- ``dialect`` (default "postgresql"), ``server_version`` (default (16,)), ``env`` (env.py
  text, default "");
- ``names``: for a firing case, the user's names (table, column, ...) the fix must contain;
- ``also_quiet``: other rule ids that must not fire on this case either;
- ``deploy``: the project's deploy setting ("online", the default, or "stopped").
"""

from __future__ import annotations

import textwrap


def _indent(body: str) -> str:
    return textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")


def revision(rev: str, down: str | None, upgrade: str = "pass", downgrade: str | None = "pass",
             header: str = "") -> str:
    """The text of a revision file as Alembic generates it (no downgrade() when None)."""
    lines = [
        f'"""{rev}\n\nRevision ID: {rev}\nRevises: {down or ""}\n"""',
        "from alembic import op",
        "import sqlalchemy as sa",
        textwrap.dedent(header).strip("\n"),
        "",
        f"revision = {rev!r}",
        f"down_revision = {down!r}",
        "branch_labels = None",
        "depends_on = None",
        "",
        "",
        "def upgrade():",
        _indent(upgrade),
        "",
        "",
    ]
    if downgrade is not None:
        lines += ["def downgrade():", _indent(downgrade), ""]
    return "\n".join(lines)


USERS = revision("a1", None, '''
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
    )
''', 'op.drop_table("users")')
"""A first revision that creates users(id, email, name, phone): an existing table later."""
