"""The graph as ONE self-contained HTML file: the layout is computed here (one row per
revision, newest at the top, one lane per open branch), the page draws it as SVG with its
own small script and style (no library, nothing fetched at view time), zooms and pans, and
shows a revision's operations and findings when it is clicked. ``#rev=ID`` in the address
opens a revision, so a link can point at one.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .viewer import SCRIPT, STYLE


def layout(nodes: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """revision -> (row, lane): row 0 is the newest, lanes as the terminal tree draws them."""
    by_id = {n["id"]: n for n in nodes}
    order = list(reversed([n["id"] for n in nodes]))
    lanes: list[str | None] = []
    placed: dict[str, tuple[int, int]] = {}
    for row, rev in enumerate(order):
        waiting = [i for i, v in enumerate(lanes) if v == rev]
        if not waiting:
            col = lanes.index(None) if None in lanes else len(lanes)
            if col == len(lanes):
                lanes.append(None)
            waiting = [col]
        col = waiting[0]
        for i in waiting[1:]:
            lanes[i] = None
        placed[rev] = (row, col)
        parents = by_id[rev]["parents"]
        lanes[col] = parents[0] if parents else None
        for parent in parents[1:]:
            slot = next((i for i in range(col + 1, len(lanes)) if lanes[i] is None), None)
            if slot is None:
                lanes.append(None)
                slot = len(lanes) - 1
            lanes[slot] = parent
        while lanes and lanes[-1] is None:
            lanes.pop()
    return placed


def render_html(report: Any) -> str:
    data = dict((report.extra or {}).get("graph") or {"nodes": []})
    placed = layout(data["nodes"])
    nodes = [{**n, "row": placed[n["id"]][0], "lane": placed[n["id"]][1]} for n in data["nodes"]]
    project = report.project.to_dict() if report.project else {}
    database = report.database.to_dict() if report.database else None
    payload = {"nodes": nodes, "heads": data.get("heads", []), "current": data.get("current", []),
               "database": database, "project": {"migrations": project.get("migrations"),
                                                 "kind": project.get("kind")},
               "problems": [{"id": f.id, "severity": f.severity.value, "message": f.message}
                            for f in report.sorted_findings()]}
    # JSON inside <script>: "</" would end the element; "<!--" would start a comment
    blob = json.dumps(payload, default=str).replace("</", "<\\/").replace("<!--", "<\\!--")
    title = f"Revision graph: {project.get('migrations') or 'migrations'}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
  <strong>{html.escape(title)}</strong>
  <span id="summary"></span>
  <input id="search" type="search" placeholder="find a revision (id or message)" aria-label="find a revision">
  <button id="zoom-in" title="zoom in">+</button><button id="zoom-out" title="zoom out">&minus;</button><button id="fit" title="fit the width">fit</button>
</header>
<main>
  <div id="canvas"><svg id="graph" xmlns="http://www.w3.org/2000/svg"><g id="viewport"></g></svg></div>
  <aside id="panel"><p class="hint">Click a revision to see its operations and findings. Wheel or +/&minus; to zoom, drag to move.</p></aside>
</main>
<script type="application/json" id="graph-data">{blob}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
