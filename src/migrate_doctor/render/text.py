"""Human output: findings grouped by severity, each with its fix.

The report is laid out once as styled segments; on a terminal rich prints them in
colour, elsewhere (a CI log, a pipe) they are written as plain text, which also keeps a
lint of a long history (thousands of findings) from spending seconds in layout.
"""

from __future__ import annotations

import os
from typing import Any, TextIO

from ..model import Report, Severity

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
Segments = list[tuple[str, str]]  # (text, rich style)


def _finding(add: Any, f: Any, indent: str = "") -> None:
    add((f"{indent}{f.severity.value:<8}", STYLE[f.severity]))
    add((f.id, "bold"))
    add((f"  {f.title}\n", ""))
    if f.location is not None:
        add((f"{indent}  at {f.location}\n", "dim"))
    add((f"{indent}  {f.message}\n", ""))
    if f.fix:
        add((f"{indent}  fix: ", "green"))
        add((f.fix.replace("\n", f"\n{indent}       ") + "\n", ""))
    add(("\n", ""))


def _by_severity(findings: list[Any]) -> list[Any]:
    return sorted(findings, key=lambda f: -f.severity.rank)


def layout(report: Report) -> Segments:
    """Findings about the project first (by severity), then those about revisions, grouped
    by revision in the order they run; a table of counts per rule at the end."""
    out: Segments = []
    add = out.append
    loose = [f for f in report.findings if not f.evidence.get("revision")
             or f.location is None]
    grouped: dict[tuple[str, str], list[Any]] = {}
    for f in report.findings:
        if f not in loose:
            grouped.setdefault((str(f.evidence["revision"]), f.location.path), []).append(f)
    for f in _by_severity(loose):
        _finding(add, f)
    for (revision, path), found in grouped.items():
        add((f"revision {revision}", "bold"))
        add((f"  {path}\n", "dim"))
        for f in _by_severity(found):
            _finding(add, f, "  ")
    plan = report.extra.get("plan")
    if plan is not None:
        _plan(out, plan)
        _steps(out, report.extra)
    actions = report.extra.get("actions")
    if actions:
        add(("Dry run, nothing written; would:\n" if report.extra.get("dry_run") else
             "Done:\n" if not report.has_errors else "Not done:\n", "bold"))
        for action in actions:
            add((f"  {action}\n", ""))
        add(("\n", ""))
    if len(report.findings) > 3 and (grouped or report.command == "lint"):
        _summary(out, report)
    baseline = report.extra.get("lint", {}).get("baseline")
    if baseline:
        add((f"{baseline['revisions']} older revisions have findings. If they are deployed "
             f"everywhere, judge only what comes next: add to {baseline['pyproject']}\n", "dim"))
        add(("    " + baseline["lines"].replace("\n", "\n    ") + "\n\n", ""))
    s = report.summary()
    style = "bold red" if s["error"] else ("yellow" if s["warning"] else "green")
    add((f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info\n", style))
    return out


def _summary(out: Segments, report: Report) -> None:
    counts: dict[tuple[str, Severity], int] = {}
    for f in report.findings:
        counts[(f.id, f.severity)] = counts.get((f.id, f.severity), 0) + 1
    rows = sorted(counts.items(), key=lambda item: (-item[0][1].rank, -item[1], item[0][0]))
    width = max(len(rule) for (rule, _), _n in rows)
    out.append((f"{'rule':<{width}}  {'severity':<8}  count\n", "bold"))
    for (rule, severity), n in rows:
        out.append((f"{rule:<{width}}  ", ""))
        out.append((f"{severity.value:<8}", STYLE[severity]))
        out.append((f"  {n:>5}\n", ""))
    out.append(("\n", ""))


def render_text(report: Report, out: TextIO) -> None:
    segments = layout(report)
    if _colour(out):
        from rich.console import Console
        from rich.text import Text

        text = Text()
        for chunk, style in segments:
            text.append(chunk, style=style or None)
        Console(file=out, highlight=False, soft_wrap=True).print(text, end="")
    else:
        out.write("".join(chunk for chunk, _ in segments))


def _colour(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(out, "isatty") and out.isatty()


def _plan(out: Segments, plan: dict[str, Any]) -> None:
    phases = plan.get("phases", {})
    sections = (("Before deploying the new code", "before_deploy"),
                ("After the old code is retired", "after_deploy"),
                ("Split first (expand and contract in one revision)", "split_first"))
    for title, key in sections:
        out.append((f"{title}:\n", "bold"))
        revs = plan.get(key, [])
        if not revs:
            out.append(("  (nothing)\n", "dim"))
        for rev in revs:
            out.append((f"  {rev}  {phases.get(rev, '')}\n", ""))
    out.append(("\n", ""))


def _steps(out: Segments, extra: dict[str, Any]) -> None:
    """plan's deploy steps with their commands, and per revision the tables it locks or
    rewrites and how to roll it back."""
    steps = extra.get("steps") or []
    if steps:
        out.append(("Deploy steps:\n", "bold"))
        for n, step in enumerate(steps, 1):
            revs = f" ({', '.join(step['revisions'])})" if step.get("revisions") else ""
            out.append((f"  {n}. {step['when']}{revs}:\n", ""))
            out.append((f"       {step['command'] or step.get('say', '')}\n", "green"))
        out.append(("\n", ""))
    rollback = extra.get("rollback") or {}
    sizes = extra.get("sizes") or {}
    if rollback:
        out.append(("Per revision:\n", "bold"))
        for rev, g in rollback.items():
            tables = f"  [{'; '.join(sizes[rev])}]" if sizes.get(rev) else ""
            out.append((f"  {rev}{tables}\n", ""))
            out.append((f"    rollback ({g['downgrade']}): {g['advice']}\n", "dim"))
        out.append(("\n", ""))
