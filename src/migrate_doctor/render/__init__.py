"""Report -> text, json, sarif, github annotations. Renderers never decide anything."""

from __future__ import annotations

from typing import TextIO

from ..model import Report

FORMATS = ("text", "json", "sarif", "github")


def render(report: Report, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        from .json_format import render_json as fn
    elif fmt == "sarif":
        from .sarif import render_sarif as fn
    elif fmt == "github":
        from .github import render_github as fn
    else:
        from .text import render_text as fn
    fn(report, out)
