"""Human output with rich: findings grouped by severity, each with its fix.

Everything is built into one rich Text and printed once, soft-wrapped: rich's per-line
layout costs seconds on a lint of a long history (thousands of findings).
"""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from ..model import Report, Severity

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_text(report: Report, out: TextIO) -> None:
    text = Text()
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        for f in (f for f in report.findings if f.severity is severity):
            text.append(f"{severity.value:<8}", style=STYLE[severity])
            text.append(f.id, style="bold")
            text.append(f"  {f.title}\n")
            if f.location is not None:
                text.append(f"  at {f.location}\n", style="dim")
            text.append(f"  {f.message}\n")
            if f.fix:
                text.append("  fix: ", style="green")
                text.append(f.fix.replace("\n", "\n       ") + "\n")
            text.append("\n")
    plan = report.extra.get("plan")
    if plan is not None:
        _plan(text, plan)
    s = report.summary()
    style = "bold red" if s["error"] else ("yellow" if s["warning"] else "green")
    text.append(f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info", style=style)
    Console(file=out, highlight=False, soft_wrap=True).print(text)


def _plan(text: Text, plan: dict[str, Any]) -> None:
    phases = plan.get("phases", {})
    sections = (("Before deploying the new code", "before_deploy"),
                ("After the old code is retired", "after_deploy"),
                ("Split first (expand and contract in one revision)", "split_first"))
    for title, key in sections:
        text.append(f"{title}:\n", style="bold")
        revs = plan.get(key, [])
        if not revs:
            text.append("  (nothing)\n", style="dim")
        for rev in revs:
            text.append(f"  {rev}  {phases.get(rev, '')}\n")
    text.append("\n")
