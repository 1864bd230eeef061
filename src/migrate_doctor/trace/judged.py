"""``lint --trace``: the lint findings of the linted revisions, each judged by running its
revision (session.py, verdicts.py), plus the trace-only findings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..checks._context import display_path
from ..model import Finding
from ..project.loaded import Project
from ..scripts.revision_file import RevisionFile
from .claims import claims_of, tables_of
from .session import Target, trace_history
from .verdicts import batch_blocks, mark, unpredicted


def trace_findings(findings: list[Finding], *, project: Project, files: list[RevisionFile],
                   in_scope: Callable[[RevisionFile], bool], scratch_url: str | None,
                   env_source: str = "", lock_timeout_in_env: bool = False,
                   rows: int = 3) -> tuple[list[Finding], dict[str, Any]]:
    """``files``: every revision in upgrade order; those ``in_scope`` are traced."""
    by_revision: dict[str, list[Finding]] = {}
    for f in findings:
        rev = f.evidence.get("revision")
        if isinstance(rev, str):
            by_revision.setdefault(rev, []).append(f)
    parents = _parents(files)
    targets = [_target(f, parents[f.revision], by_revision.get(f.revision, []), env_source)
               for f in files if f.revision and f.problem is None and in_scope(f)]
    session = trace_history(project, targets, _ancestors(parents),
                            live_url=_live_postgresql(project), scratch_url=scratch_url,
                            rows=rows)
    marked: list[Finding] = []
    files_by_rev = {f.revision: f for f in files if f.revision}
    spans = {rev: (batch_blocks(files_by_rev[rev].tree), _downgrade(files_by_rev[rev]))
             for rev in session.traces}
    for f in findings:
        rev = f.evidence.get("revision")
        trace = session.traces.get(rev) if isinstance(rev, str) else None
        marked.append(mark(f, trace, *spans[rev]) if trace is not None else f)
    for rev, trace in session.traces.items():
        if trace.ran:
            marked.extend(unpredicted(by_revision.get(rev, []), trace,
                                      display_path(files_by_rev[rev].path), lock_timeout_in_env,
                                      spans[rev][0]))
    if session.problem is not None:
        marked.append(session.problem.to_finding())
    traced = [t for t in session.traces.values() if t.ran]
    extra: dict[str, Any] = {
        "scratch": session.scratch, "revisions": len(targets), "traced": len(traced),
        "replayed": session.replayed, "seconds": session.seconds,
        "per_revision": {rev: {"ran": t.ran, "reason": t.reason, "error": t.error,
                               "statements": len(t.steps), "seconds": t.seconds,
                               "filled": t.filled, **({"notes": t.notes} if t.notes else {})}
                         for rev, t in session.traces.items()}}
    return marked, extra


def _target(f: RevisionFile, parents: tuple[str, ...], findings: list[Finding],
            env_source: str) -> Target:
    tables = touched_tables(f, env_source)
    watch: list[tuple[str, str]] = []
    for finding in findings:
        for table in tables_of(finding):
            if table not in tables:
                tables.append(table)
        for claim in claims_of(finding):
            if claim.mechanism == "values-lost" and claim.column and claim.tables:
                watch.append((claim.tables[0], claim.column))
    assert f.revision is not None
    return Target(f.revision, f.path, parents, tables, watch)


def touched_tables(f: RevisionFile, env_source: str = "") -> list[str]:
    """The tables a revision's upgrade() names (ops, batch blocks, foreign keys' targets,
    SQL statements), schema-qualified where it says so, in the order they appear."""
    from ..rules._context import RuleContext
    from ..rules._history import History

    ctx = RuleContext(f, f.revision or "", "postgresql", None, env_source, History())
    found: list[str] = []

    def add(table: Any, schema: Any = None) -> None:
        if isinstance(table, str) and table:
            name = f"{schema}.{table}" if isinstance(schema, str) and schema and "." not in table \
                else table
            if name not in found:
                found.append(name)

    for op in ctx.upgrade:
        schema = op.get("schema", op.batch_kwargs.get("schema"))
        add(op.batch_table or ctx.table_of(op), schema)
        if op.name == "create_foreign_key":
            add(ctx.resolve(op.get("referent_table")), op.get("referent_schema", schema))
        for statement in ctx.sql(op):
            add(statement.table)
    return found


def _parents(files: list[RevisionFile]) -> dict[str, tuple[str, ...]]:
    ids = {f.revision for f in files if f.revision}
    labels = {label: f.revision for f in files if f.revision for label in f.branch_labels}
    return {f.revision: tuple(p for p in (*f.down_revisions,
                                          *(labels.get(d, d) for d in f.depends_on))
                              if p in ids and p != f.revision)
            for f in files if f.revision}


def _ancestors(parents: dict[str, tuple[str, ...]]) -> Callable[[str], set[str]]:
    memo: dict[str, frozenset[str]] = {}

    def below(rev: str) -> set[str]:
        if rev not in memo:
            found: set[str] = set()
            stack = [rev]
            while stack:
                current = stack.pop()
                if current in found:
                    continue
                found.add(current)
                stack.extend(parents.get(current, ()))
            memo[rev] = frozenset(found)
        return set(memo[rev])

    return below


def _downgrade(f: RevisionFile) -> tuple[int, int] | None:
    func = f.function("downgrade")
    if func is None:
        return None
    return func.lineno, func.end_lineno or func.lineno


def _live_postgresql(project: Project) -> str | None:
    """The project's live URL when it is a PostgreSQL one: the scratch is made there."""
    from ..database.url import dialect_of

    if project.url is None:
        project.ensure_env()
    return project.url if dialect_of(project.url) == "postgresql" else None


def annotate_grouped(reported: list[Finding], judged: list[Finding]) -> None:
    """A rule whose cause is env.py is reported once for many revisions (lint's
    _causes_in_env): that finding gets the verdict of each revision it stands for."""
    verdicts: dict[str, dict[str, str]] = {}
    for f in judged:
        rev, trace = f.evidence.get("revision"), f.evidence.get("trace")
        if isinstance(rev, str) and isinstance(trace, dict):
            verdicts.setdefault(f.id, {})[rev] = trace["verdict"]
    for f in reported:
        revisions = f.evidence.get("revisions")
        if f.id in verdicts and isinstance(revisions, list) and "trace" not in f.evidence:
            mine = {r: verdicts[f.id][r] for r in revisions if r in verdicts[f.id]}
            counts = {v: list(mine.values()).count(v) for v in set(mine.values())}
            f.evidence["trace"] = {"verdicts": mine, **counts}
