"""The revision graph as data: each revision with its parents and children, message, phase
(expand/contract/...), whether it is a base, head, branch point or merge, whether the
database has applied it (current / pending), its operations and, on request, its lint
findings. Every rendering (tree, Mermaid, HTML) reads only this."""

from __future__ import annotations

from typing import Any

from ..model import Report
from ..project.loaded import Project
from ..states import Context, Target, base_report, load_project, read_states, redacted, run_checks

_NOT_OPERATIONS = {"get_context", "get_bind", "f", "inline_literal", "implementation_for"}
STRUCTURE = ("script-syntax-error", "duplicate-revision-id", "dangling-down-revision",
             "revision-cycle", "versions-dir-unreadable")


def graph(target: Target | None = None, *, findings: bool = False,
          project: Project | None = None) -> Report:
    """The graph in ``report.extra["graph"]``; ``findings`` adds each revision's lint
    findings (what the HTML shows on click)."""
    project = project or load_project(target)
    ctx = read_states(project, database=bool(project.url))
    report = base_report("graph", ctx)
    # the database only marks where it is: a graph without one is still the graph
    report.findings = [f for f in report.findings if f.id not in (
        "database-url-missing", "database-unreachable", "database-not-versioned",
        "database-empty")]
    if ctx.graph is None or not ctx.graph.ok or ctx.unreadable:
        run_checks(ctx, report, STRUCTURE)
        return redacted(report, project.secrets)
    lint_findings = _lint(project) if findings else {}
    report.extra["graph"] = build(ctx, lint_findings)
    return redacted(report, project.secrets)


def _lint(project: Project) -> dict[str, list[dict[str, Any]]]:
    from ..lint import lint

    found: dict[str, list[dict[str, Any]]] = {}
    try:
        report = lint(project=project)
    except Exception:  # noqa: BLE001 - a graph without findings rather than none
        return found
    for f in report.sorted_findings():
        rev = f.evidence.get("revision")
        if rev:
            found.setdefault(str(rev), []).append(
                {"id": f.id, "severity": f.severity.value, "title": f.title,
                 "message": f.message, "fix": f.fix,
                 "line": f.location.line if f.location else None})
    return found


def build(ctx: Context, lint_findings: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    from ..scripts.phases import revision_phase

    assert ctx.graph is not None
    g = ctx.graph
    order = g.upgrade_order("heads")
    position = {rev: i for i, rev in enumerate(order)}
    children: dict[str, list[str]] = {rev: [] for rev in order}
    parents: dict[str, list[str]] = {}
    for rev in order:
        rf = g.file(rev)
        ups = [d for d in (rf.down_revisions if rf else ()) if d in position]
        parents[rev] = ups
        for parent in ups:
            children[parent].append(rev)
    current = tuple(ctx.db.current) if ctx.db is not None else ()
    known = ctx.db is not None and all(r in position for r in current)
    applied = set().union(*(g.ancestors(r) for r in current)) if known and current else set()
    nodes = []
    for rev in order:
        rf = g.file(rev)
        ops = rf.operations if rf is not None else []
        nodes.append({
            "id": rev,
            "message": rf.message if rf else "",
            "path": ctx.location(rf).path if rf else None,
            "date": rf.create_date if rf else None,
            "labels": list(rf.branch_labels) if rf else [],
            "depends_on": list(rf.depends_on) if rf else [],
            "parents": parents[rev],
            "children": children[rev],
            "phase": revision_phase(ops).value,
            "base": not parents[rev],
            "head": rev in g.heads,
            "merge": len(parents[rev]) > 1,
            "branchpoint": len(children[rev]) > 1,
            "current": rev in current,
            "applied": rev in applied if known else None,
            "operations": [{"function": op.function, "name": op.name, "line": op.line,
                            "source": " ".join(op.source.split())[:300]} for op in ops
                           if op.name not in _NOT_OPERATIONS],
            "findings": lint_findings.get(rev, []),
        })
    return {"nodes": nodes, "heads": list(g.heads), "current": list(current),
            "database": ctx.db is not None, "unknown_current": [r for r in current
                                                                 if r not in position]}
