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


def layout(report: Report) -> Segments:
    out: Segments = []
    add = out.append
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        for f in (f for f in report.findings if f.severity is severity):
            add((f"{severity.value:<8}", STYLE[severity]))
            add((f.id, "bold"))
            add((f"  {f.title}\n", ""))
            if f.location is not None:
                add((f"  at {f.location}\n", "dim"))
            add((f"  {f.message}\n", ""))
            if f.fix:
                add(("  fix: ", "green"))
                add((f.fix.replace("\n", "\n       ") + "\n", ""))
            add(("\n", ""))
    plan = report.extra.get("plan")
    if plan is not None:
        _plan(out, plan)
    s = report.summary()
    style = "bold red" if s["error"] else ("yellow" if s["warning"] else "green")
    add((f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info\n", style))
    return out


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
