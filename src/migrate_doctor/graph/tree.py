"""The graph as a tree in the terminal, newest first, one lane per open branch (as `git log
--graph` draws it):

    ● 9f2c1a  (head) [expand] add orders.note
    ├─╮
    │ ○ 4b7d20  (pending) [contract] drop users.legacy
    ● │ 1e8f33  [expand] add users.email
    ├─╯
    ◉ 0a1b2c  (current) create users

``◉`` the database's current revision, ``○`` a revision it has not applied, ``●`` one it
has (or any, when no database is known).
"""

from __future__ import annotations

from typing import Any

MARK_CURRENT, MARK_PENDING, MARK = "◉", "○", "●"


def render_tree(report: Any) -> str:
    data = (report.extra or {}).get("graph")
    if not data:
        lines = [f"{f.severity.value}: {f.id}: {f.message}" for f in report.sorted_findings()]
        return "\n".join(lines or ["no revisions"]) + "\n"
    nodes = data["nodes"]
    if not nodes:
        return "no revisions yet\n"
    by_id = {n["id"]: n for n in nodes}
    lines = draw(list(reversed([n["id"] for n in nodes])), by_id)
    legend = []
    if data.get("database"):
        legend.append(f"{MARK_CURRENT} current  {MARK_PENDING} pending  {MARK} applied")
        if data.get("unknown_current"):
            legend.append("the database is at a revision no file has: "
                          + ", ".join(data["unknown_current"]))
    return "\n".join(lines + legend) + "\n"


def draw(order: list[str], by_id: dict[str, dict[str, Any]]) -> list[str]:
    """``order``: children before parents."""
    lanes: list[str | None] = []
    out: list[str] = []
    for rev in order:
        node = by_id[rev]
        waiting = [i for i, v in enumerate(lanes) if v == rev]
        if not waiting:
            col = lanes.index(None) if None in lanes else len(lanes)
            if col == len(lanes):
                lanes.append(rev)
            lanes[col] = rev
            waiting = [col]
        col = waiting[0]
        if len(waiting) > 1:  # branches that forked here join their parent
            out.append(_connector(lanes, col, waiting[1:], closing=True))
            for i in waiting[1:]:
                lanes[i] = None
        cells = [(_mark(node) if i == col else "│" if v is not None else " ")
                 for i, v in enumerate(lanes)]
        out.append(_trim(" ".join(cells)) + " " + _label(node))
        parents = node["parents"]
        if not parents:
            lanes[col] = None
        else:
            lanes[col] = parents[0]
            opened = []
            for parent in parents[1:]:
                slot = next((i for i in range(col + 1, len(lanes)) if lanes[i] is None), None)
                if slot is None:
                    lanes.append(parent)
                    slot = len(lanes) - 1
                lanes[slot] = parent
                opened.append(slot)
            if opened:
                out.append(_connector(lanes, col, opened, closing=False))
        while lanes and lanes[-1] is None:
            lanes.pop()
    return out


def _connector(lanes: list[str | None], col: int, others: list[int], *, closing: bool) -> str:
    far = max(others)
    cells = []
    for i in range(max(len(lanes), far + 1)):
        active = i < len(lanes) and lanes[i] is not None
        if i == col:
            cells.append("├")
        elif i == far:
            cells.append("╯" if closing else "╮")
        elif i in others:
            cells.append("┴" if closing else "┬")
        elif col < i < far:
            cells.append("┼" if active else "─")
        else:
            cells.append("│" if active else " ")
    text = ""
    for i, cell in enumerate(cells):
        text += cell
        if i < len(cells) - 1:
            text += "─" if col <= i < far else " "
    return _trim(text)


def _trim(text: str) -> str:
    return text.rstrip()


def _mark(node: dict[str, Any]) -> str:
    if node.get("current"):
        return MARK_CURRENT
    if node.get("applied") is False:
        return MARK_PENDING
    return MARK


def _label(node: dict[str, Any]) -> str:
    tags = []
    if node.get("head"):
        tags.append("head")
    if node.get("current"):
        tags.append("current")
    elif node.get("applied") is False:
        tags.append("pending")
    if node.get("merge"):
        tags.append("merge")
    if node.get("branchpoint"):
        tags.append("branch point")
    tags += [f"label: {label}" for label in node.get("labels") or []]
    phase = node.get("phase")
    said = f"({', '.join(tags)}) " if tags else ""
    phase_said = f"[{phase}] " if phase and phase != "none" else ""
    return f"{node['id']}  {said}{phase_said}{node.get('message') or ''}".rstrip()
