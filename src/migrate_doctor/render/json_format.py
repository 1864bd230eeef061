"""The Finding contract as one JSON object."""

from __future__ import annotations

import json
from typing import TextIO

from ..model import Report


def render_json(report: Report, out: TextIO) -> None:
    json.dump(report.to_dict(), out, indent=2, default=str)
    out.write("\n")
