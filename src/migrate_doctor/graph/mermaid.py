"""The graph as a Mermaid flowchart (for docs and pull requests), base at the bottom."""

from __future__ import annotations

import re
from typing import Any

_STYLE = {  # later classes win: the database's marks over the phase colours
    "contract": "fill:#ffebe9,stroke:#cf222e",
    "expand": "fill:#dafbe1,stroke:#1a7f37",
    "mixed": "fill:#fff8c5,stroke:#9a6700",
    "data": "fill:#ddf4ff,stroke:#0969da",
    "head": "stroke-width:3px",
    "pending": "fill:#fff,stroke:#9a6700,stroke-dasharray:4 3",
    "current": "fill:#1f6feb,color:#fff,stroke:#0b3d91,stroke-width:3px",
}


def node_id(rev: str) -> str:
    return "r_" + re.sub(r"[^A-Za-z0-9_]", "_", rev)


def _text(value: str) -> str:
    """Text safe inside a quoted Mermaid label."""
    return (value.replace("&", "&amp;").replace('"', "#quot;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", " "))


def render_mermaid(report: Any) -> str:
    data = (report.extra or {}).get("graph") or {"nodes": []}
    lines = ["flowchart BT"]
    classes: dict[str, list[str]] = {}
    for node in data["nodes"]:
        nid = node_id(node["id"])
        tags = [t for t, on in (("head", node.get("head")), ("current", node.get("current")),
                                ("pending", node.get("applied") is False)) if on]
        phase = node.get("phase")
        second = " · ".join(([phase] if phase and phase != "none" else []) + tags)
        label = f"{node['id']}<br/>{_text(node.get('message') or '')}"
        if second:
            label += f"<br/><i>{_text(second)}</i>"
        shape = ('{{"%s"}}' if node.get("merge") else '["%s"]') % label
        lines.append(f"  {nid}{shape}")
        for cls in ([phase] if phase in _STYLE else []) + tags:
            classes.setdefault(cls, []).append(nid)
    for node in data["nodes"]:
        for parent in node["parents"]:
            lines.append(f"  {node_id(parent)} --> {node_id(node['id'])}")
    for cls, style in _STYLE.items():
        if cls in classes:
            lines.append(f"  classDef {cls} {style}")
            lines.append(f"  class {','.join(classes[cls])} {cls}")
    return "\n".join(lines) + "\n"
