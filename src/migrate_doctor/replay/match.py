"""Which known revision a database's schema is: the answer to "Can't locate revision
'a1b2c3'", an unversioned database and an inconsistent version table, found by replaying
the history revision by revision and comparing each expected schema with the live one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..database.schema import Difference, differences, snapshot


@dataclass
class SchemaMatch:
    revision: str  # the matching (or closest) revision
    exact: bool
    differences: list[Difference] = field(default_factory=list)  # expected -> live, if not exact
    replayed: int = 0
    scratch: str | None = None

    def said(self) -> str:
        how = f"replayed {self.replayed} revision(s) in {self.scratch}" if self.replayed \
            else "expected schemas from the cache"
        return f"({how})"


def match_schema(ctx: Any) -> SchemaMatch | None:
    """The revision whose expected schema equals the live one (the first such, from the
    base), else the closest one with the differences left; None when there is no history."""
    from ..drift import scratch_factory
    from .expected import Expected

    db, graph, project = ctx.db, ctx.graph, ctx.project
    if db is None or graph is None or not graph.ok or db.engine is None:
        return None
    with db.engine.connect() as conn:
        live = snapshot(conn, {project.version_table}, project.version_table_schema)
        conn.rollback()
    factory = scratch_factory(project, project.url or "", None, db.server_version)
    best: SchemaMatch | None = None
    with Expected(project, graph, db.dialect, db.server_version, factory) as exp:
        for rev in graph.upgrade_order("heads"):
            diffs = differences(exp.at((rev,)), live)
            if best is None or len(diffs) <= len(best.differences):
                best = SchemaMatch(rev, not diffs, diffs)
            if not diffs:
                break
        if best is not None:
            best.replayed, best.scratch = exp.replayed, exp.scratch_how
    return best
