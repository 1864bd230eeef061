"""A revision id longer than the version table's column.

What it finds:
    A revision id of more than 32 characters: Alembic's `alembic_version.version_num` is a
    `VARCHAR(32)`. Hand-written ids such as dates plus a description are the usual cause.

Why it matters:
    The migration's changes run, then stamping the version fails: `value too long for type
    character varying(32)` on PostgreSQL (the deploy fails after the work, and without
    transactional DDL the schema is left changed), truncation on some MySQL modes (the
    database then names a revision that does not exist).

Example:
    revision = "2024_01_15_add_customer_loyalty_points_table"

Use instead:
    revision = "2024_01_15_loyalty_points"
    and change every `down_revision` that names the old id. Or widen the column in an
    earlier revision: op.alter_column("alembic_version", "version_num", type_=sa.String(64))
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity

LIMIT = 32


@rule("revision-id-too-long", Severity.ERROR, "Revision id longer than version_num")
def run(ctx: RuleContext) -> Iterator[Hit]:
    rev = ctx.file.revision or ""
    if len(rev) <= LIMIT:
        return
    short = rev[:LIMIT].rstrip("_-")
    fix = "\n".join([
        f'revision = "{short}"',
        f'# and in every revision with down_revision = "{rev}": down_revision = "{short}"',
        f"# (and the docstring's Revision ID). Or, before this revision runs anywhere, widen "
        "the column in an earlier revision's upgrade():",
        '#     op.alter_column("alembic_version", "version_num", existing_type=sa.String(32), '
        f"type_=sa.String({max(64, len(rev))}))",
    ])
    yield ctx.hit(
        f"revision id {rev!r} has {len(rev)} characters; alembic_version.version_num holds "
        f"{LIMIT}: the upgrade fails when it stamps the version, after running the changes",
        fix, ctx.file.lines.get("revision"), length=len(rev), limit=LIMIT)
