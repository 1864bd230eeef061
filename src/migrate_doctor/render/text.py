"""Human output with rich: findings grouped by severity, each with its fix."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from ..model import Report, Severity

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
LABEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def render_text(report: Report, out: TextIO) -> None:
    console = Console(file=out, highlight=False, soft_wrap=False)
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        group = [f for f in report.findings if f.severity is severity]
        for f in group:
            head = Text()
            head.append(f"{LABEL[severity]:<8}", style=STYLE[severity])
            head.append(f.id, style="bold")
            head.append(f"  {f.title}")
            console.print(head)
            if f.location is not None:
                console.print(Padding(Text(f"at {f.location}", style="dim"), (0, 0, 0, 2)))
            console.print(Padding(Text(f.message), (0, 0, 0, 2)))
            if f.fix:
                fix = Text("fix: ", style="green")
                fix.append(f.fix)
                console.print(Padding(fix, (0, 0, 0, 2)))
            console.print()
    plan = report.extra.get("plan")
    if plan is not None:
        _render_plan(console, plan)
    s = report.summary()
    parts = [f"{s['error']} error(s)", f"{s['warning']} warning(s)", f"{s['info']} info"]
    style = "bold red" if s["error"] else ("yellow" if s["warning"] else "green")
    console.print(Text(", ".join(parts), style=style))


def _render_plan(console: Console, plan: dict[str, list[str]]) -> None:
    phases = plan.get("phases", {})
    sections = (("Before deploying the new code", "before_deploy"),
                ("After the old code is retired", "after_deploy"),
                ("Split first (expand and contract in one revision)", "split_first"))
    for title, key in sections:
        revs = plan.get(key, [])
        console.print(Text(f"{title}:", style="bold"))
        if not revs:
            console.print(Text("  (nothing)", style="dim"))
        for rev in revs:
            console.print(Text(f"  {rev}  {phases.get(rev, '')}"))
    console.print()
