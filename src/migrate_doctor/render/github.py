"""GitHub Actions workflow commands: one ::error/::warning/::notice line per finding."""

from __future__ import annotations

from typing import TextIO

from ..model import Report, Severity

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: Report, out: TextIO) -> None:
    for f in report.sorted_findings():
        props = [f"title={_escape(f.id + ': ' + f.title, True)}"]
        if f.location is not None:
            props.insert(0, f"file={_escape(f.location.path, True)}")
            if f.location.line:
                props.insert(1, f"line={f.location.line}")
        body = f.message + (f"\nFix: {f.fix}" if f.fix else "")
        out.write(f"::{LEVEL[f.severity]} {','.join(props)}::{_escape(body)}\n")
