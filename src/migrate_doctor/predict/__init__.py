"""Predictions from the live rows: what the pending revisions will meet in the tables they
change, asked of the live database with read-only queries before anything runs.

- ``requirements`` (reading.py): NOT NULL, UNIQUE / PRIMARY KEY, FOREIGN KEY, CHECK and
  type changes, from the rules' reading of each pending revision;
- ``RowReader`` (queries.py): the rows that break each one, counted, a few named by key;
- ``table_sizes`` (sizes.py): rows and bytes of the tables the revisions lock or rewrite.

Each requirement the rows break is a ``will-fail-on-rows`` finding (error): the revision,
the statement, the rows. Reading only: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Finding, Severity
from .queries import RowReader, Verdict
from .reading import Requirement, requirements
from .sizes import Size, table_sizes

ID = "will-fail-on-rows"
TITLE = "A pending revision will fail on the rows already there"

__all__ = ["ID", "Prediction", "Requirement", "Size", "predict", "table_sizes"]


@dataclass
class Prediction:
    findings: list[Finding] = field(default_factory=list)
    sizes: dict[str, Size] = field(default_factory=dict)  # lower-cased table -> Size
    touched: dict[str, list[str]] = field(default_factory=dict)  # revision -> tables
    checked: list[dict[str, Any]] = field(default_factory=list)  # each requirement asked

    def size_of(self, table: str | None) -> Size | None:
        return self.sizes.get(table.lower()) if table else None


def predict(ctx: Any, pending: list[str]) -> Prediction:
    """Test the pending revisions' requirements against the live rows (ctx: a check
    Context with the graph and a reachable database)."""
    from ..rules._project import ProjectFacts
    from ..scripts import order

    out = Prediction()
    if not pending or ctx.db is None or ctx.db.engine is None or ctx.scripts is None:
        return out
    files = order.upgrade_order(ctx.scripts.readable)
    env_py = ctx.project.migrations_dir / "env.py" if ctx.project.migrations_dir else None
    env_source = env_py.read_text(encoding="utf-8", errors="replace") \
        if env_py is not None and env_py.is_file() else ""
    facts = ProjectFacts.read(env_source)
    version = _version(ctx.db.server_version)
    found = list(requirements(files, pending, ctx.db.dialect, version, facts))
    out.touched = _touched(ctx, pending)
    with ctx.db.engine.connect() as conn:
        reader = RowReader(conn, version)
        for req in found:
            verdict = reader.check(req)
            out.checked.append({"revision": req.revision, "kind": req.kind, "table": req.table,
                                "columns": req.columns,
                                "fails": bool(verdict and (verdict.count or verdict.error)),
                                "rows": verdict.count if verdict else None})
            if verdict is not None and (verdict.count or verdict.error):
                out.findings.append(finding(ctx, req, verdict))
        tables = sorted({t for ts in out.touched.values() for t in ts})
        out.sizes = table_sizes(conn, tables)
    return out


def _version(text: str | None) -> tuple[int, ...] | None:
    from ..lint import parse_version

    return parse_version(text)


def _touched(ctx: Any, pending: list[str]) -> dict[str, list[str]]:
    """revision -> tables of the live database its upgrade() alters, indexes, drops or
    rewrites (tables created by a pending revision are left out: they start empty)."""
    created: set[str] = set()
    out: dict[str, list[str]] = {}
    for rev in pending:
        rf = ctx.graph.file(rev)
        tables: list[str] = []
        for op in rf.ops("upgrade") if rf is not None else ():
            table = op.table
            if op.name == "create_table" and table:
                created.add(table.lower())
                continue
            if table and table.lower() not in created and table not in tables:
                tables.append(table)
        out[rev] = tables
    return out


def finding(ctx: Any, req: Requirement, verdict: Verdict) -> Finding:
    message = (f"revision {ctx.describe(req.revision)} will fail at `{_short(req.statement)}`"
               f": {verdict.message}{verdict.named()}")
    evidence: dict[str, Any] = {
        "revision": req.revision, "statement": req.statement, "kind": req.kind,
        "table": req.table, "columns": req.columns, "rows": verdict.count,
        "samples": verdict.samples, "query": verdict.query}
    if verdict.total is not None:
        evidence["table_rows"] = verdict.total
    if verdict.error:
        evidence["error"] = verdict.error
    if req.name:
        evidence["name"] = req.name
    return Finding(ID, Severity.ERROR, TITLE, message, _fix(ctx, req, verdict), req.location,
                   evidence)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _fix(ctx: Any, req: Requirement, verdict: Verdict) -> str:
    see = f"see them: {verdict.query}\n" if verdict.query else ""
    cols = ", ".join(req.columns)
    if req.kind == "add-not-null":
        if req.always:
            return ("add the column in a batch block (with op.batch_alter_table(...)) with a "
                    "server_default, or add it nullable, fill it, then make it NOT NULL in a "
                    "batch block")
        return (f"give the new column a server_default (existing rows get it), or add {cols} "
                f"nullable, fill it in committed batches, and set NOT NULL in a later revision")
    if req.kind == "not-null":
        return (f"{see}fill them first (in this revision before the alter, or in an earlier "
                f"one: UPDATE {req.table} SET {cols} = ... WHERE {cols} IS NULL), or keep "
                f"{cols} nullable")
    if req.kind in ("unique", "primary-key"):
        return (f"{see}remove or merge the duplicates (and NULLs, for a primary key) before "
                f"this revision runs, in a revision of their own, then apply")
    if req.kind == "foreign-key":
        return (f"{see}delete those rows, set {cols} to NULL, or insert the missing "
                f"{req.referent} rows first; on PostgreSQL you can also add the constraint "
                "NOT VALID (postgresql_not_valid=True) and VALIDATE it after the clean-up")
    if req.kind == "check":
        return f"{see}fix those rows first, or add the CHECK NOT VALID and validate it later"
    if req.kind == "type":
        return (f"{see}fix or shorten those values first, choose a type that holds them, or "
                "convert with an explicit USING expression that handles them")
    return see.strip()
