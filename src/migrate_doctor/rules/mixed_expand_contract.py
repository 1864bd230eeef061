"""A revision that both expands and contracts the schema.

What it finds:
    One upgrade() that holds expand operations (create a table, add a column, an index, a
    constraint, relax a column) and contract operations (drop, rename, set NOT NULL,
    change a type): its phase is `mixed`. `migrate-doctor plan` cannot place it.

Why it matters:
    A zero-downtime deploy runs expand steps before the new code ships and contract steps
    after the old code is gone. A mixed revision has no right moment: run before the deploy,
    its contract half breaks the running code; run after, the new code starts without its
    expand half.

Example:
    def upgrade():
        op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
        op.drop_column("users", "legacy_flag")

Use instead:
    Split it in two revisions: the first keeps the expand operations, the second (its
    down_revision the first) the contract ones:
    # revision 1 (before the deploy)
    op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
    # revision 2 (after the deploy)
    op.drop_column("users", "legacy_flag")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Phase, Severity
from ..scripts.operations import Operation
from ..scripts.phases import operation_phase, revision_phase
from ._values import one_line


@rule("mixed-expand-contract", Severity.WARNING, "Revision both expands and contracts the schema")
def run(ctx: RuleContext) -> Iterator[Hit]:
    if revision_phase(ctx.upgrade) is not Phase.MIXED:
        return
    expand = [op for op in ctx.upgrade if operation_phase(op) is Phase.EXPAND]
    contract = [op for op in ctx.upgrade if operation_phase(op) is Phase.CONTRACT]

    def listing(ops: list[Operation]) -> str:
        return ", ".join(f"{op.name} {ctx.table_of(op) or '?'} at line {op.line}" for op in ops)

    fix = "\n".join(
        [f"# revision {ctx.revision}_expand: runs before the new code is deployed"]
        + [one_line(op.source) for op in expand]
        + [f"# revision {ctx.revision}_contract (down_revision = the expand revision): runs "
           "after the old code is gone"]
        + [one_line(op.source) for op in contract])
    yield ctx.hit(
        f"upgrade() expands ({listing(expand)}) and contracts ({listing(contract)}): no deploy "
        "moment suits both halves; split it into an expand and a contract revision",
        fix, contract[0], expand=[op.line for op in expand], contract=[op.line for op in contract])
