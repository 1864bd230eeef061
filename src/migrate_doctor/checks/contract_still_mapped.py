"""A contract step removes what the models still use (reported by `plan`).

What it finds:
    Among the revisions being planned, one drops or renames a column or table that the
    current models still map.

Why it matters:
    Contract steps run after the old code is retired; but here the code being deployed
    still reads or writes the column or table, so it fails as soon as the revision runs
    (`column "..." does not exist`).

Fix:
    Remove the attribute or model from the code first (deploy that), then run the
    contract revision in a later deploy; for a rename, add the new column, dual-write,
    backfill, switch reads, and drop the old column last.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("contract-still-mapped", Severity.ERROR, "A contract step removes what the models use",
       needs=("graph", "models"), command="plan")
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.graph is not None
    metadata = ctx.project.metadata()
    assert metadata is not None
    tables = {t.name: t for t in metadata.tables.values()}
    for rev in ctx.selected or []:
        rf = ctx.graph.file(rev)
        if rf is None:
            continue
        for op in rf.ops("upgrade"):
            table = op.table
            target: str | None = None
            if op.name == "drop_table" and table in tables:
                target = f"table {table}"
            elif op.name == "rename_table" and table in tables:
                target = f"table {table} (renamed to {op.get('new_table_name')})"
            elif op.name in ("drop_column", "alter_column") and table in tables:
                column = op.get("column_name")
                renamed = op.name == "alter_column" and op.get("new_column_name") is not None
                if op.name == "alter_column" and not renamed:
                    continue
                if isinstance(column, str) and column in tables[table].c:
                    target = f"column {table}.{column}" + (
                        f" (renamed to {op.get('new_column_name')})" if renamed else "")
            if target is None:
                continue
            loc = ctx.location(rf, op.line)
            yield Hit(f"revision {rev} ({loc}) removes {target}, which the current models still "
                      "map: the code being deployed still uses it",
                      f"remove {target.split(' (')[0]} from the models and deploy that first; run "
                      f"revision {rev} in a later deploy (after_deploy of the next plan)",
                      loc, {"revision": rev, "target": target})
