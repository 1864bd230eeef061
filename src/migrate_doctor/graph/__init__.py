"""`graph`: the revision graph as a terminal tree, Mermaid, or one self-contained HTML file."""

from __future__ import annotations

from typing import Any


def render_graph(report: Any, fmt: str) -> str:
    """The graph of a `graph` report in ``fmt`` (text, mermaid, html, json)."""
    if fmt == "mermaid":
        from .mermaid import render_mermaid

        return render_mermaid(report)
    if fmt == "html":
        from .html import render_html

        return render_html(report)
    if fmt == "json":
        import json

        return json.dumps(report.to_dict(), indent=2, default=str) + "\n"
    from .tree import render_tree

    return render_tree(report)
