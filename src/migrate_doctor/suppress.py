"""In-file suppression: ``# migrate-doctor: ignore[rule-id, other-id] reason``.

A comment at the end of a line silences findings on that line; a comment on a line of its
own silences the next statement's line; one in the file's header (before the first
``def``) silences the whole file. An ignore that silences nothing is itself reported
as ``unused-ignore``, so stale ignores do not pile up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Finding, Location, Severity

PATTERN = re.compile(r"#\s*migrate-doctor:\s*ignore\[([^\]]*)\]\s*(.*)$")


@dataclass
class Ignore:
    path: str
    line: int  # where the comment is
    applies_to: int | None  # the line it silences; None = whole file
    ids: set[str]
    reason: str
    used: set[str] = field(default_factory=set)


def parse_ignores(path: str, text: str) -> list[Ignore]:
    lines = text.splitlines()
    header_end = next((i for i, ln in enumerate(lines) if ln.startswith(("def ", "async def "))),
                      len(lines))
    found: list[Ignore] = []
    for index, line in enumerate(lines):
        m = PATTERN.search(line)
        if not m:
            continue
        ids = {part.strip() for part in m.group(1).split(",") if part.strip()}
        own_line = line.strip().startswith("#")
        if own_line and index < header_end:
            target = None
        elif own_line:
            target = next((j + 1 for j in range(index + 1, len(lines))
                           if lines[j].strip() and not lines[j].strip().startswith("#")), None)
        else:
            target = index + 1
        found.append(Ignore(path, index + 1, target, ids, m.group(2).strip()))
    return found


def apply_ignores(findings: list[Finding], ignores: list[Ignore], ran: set[str],
                  known: set[str]) -> list[Finding]:
    """Drop silenced findings; add an ``unused-ignore`` warning for each id that silenced
    nothing although its rule ran (a rule that did not run for this target or selection
    proves nothing), and for each id that names no rule at all (a typo)."""
    kept: list[Finding] = []
    for f in findings:
        hit = None
        if f.location is not None:
            for ig in ignores:
                if ig.path != f.location.path or f.id not in ig.ids:
                    continue
                end = f.location.end_line or f.location.line
                if ig.applies_to is None or (f.location.line is not None and
                                             f.location.line <= ig.applies_to <= (end or 0)):
                    hit = ig
                    break
        if hit is None:
            kept.append(f)
        else:
            hit.used.add(f.id)
    for ig in ignores:
        for unused in sorted(ig.ids - ig.used):
            if unused in known and unused not in ran:
                continue
            why = "names no rule" if unused not in known else "silences no finding"
            kept.append(Finding(
                "unused-ignore", Severity.WARNING, "An ignore comment silences nothing",
                f"`# migrate-doctor: ignore[{unused}]` at {ig.path}:{ig.line} {why}",
                f"remove {unused!r} from the comment at {ig.path}:{ig.line}"
                + (" (`migrate-doctor rules` lists the rule ids)" if unused not in known else ""),
                Location(ig.path, ig.line), {"rule": unused}))
    return kept
