"""SARIF 2.1.0, for code scanning tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from .. import __version__
from ..model import Report, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(rule_id: str, title: str) -> dict[str, Any]:
    return {"id": rule_id, "name": rule_id, "shortDescription": {"text": title},
            "helpUri": f"https://pypi.org/project/migrate-doctor/#{rule_id}",
            "help": {"text": f"migrate-doctor rules {rule_id}"}}


def render_sarif(report: Report, out: TextIO) -> None:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in report.sorted_findings():
        rules.setdefault(f.id, _rule(f.id, f.title))
        result: dict[str, Any] = {
            "ruleId": f.id,
            "ruleIndex": list(rules).index(f.id),
            "level": LEVEL[f.severity],
            "message": {"text": f.message + (f"\nFix: {f.fix}" if f.fix else "")},
        }
        if f.location is not None:
            region = {"startLine": f.location.line} if f.location.line else None
            physical: dict[str, Any] = {"artifactLocation": {
                "uri": quote(Path(f.location.path).as_posix()), "uriBaseId": "SRCROOT"}}
            if region:
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "migrate-doctor", "version": __version__,
                                "informationUri": "https://pypi.org/project/migrate-doctor/",
                                "rules": list(rules.values())}},
            "originalUriBaseIds": {"SRCROOT": {"uri": Path.cwd().as_uri() + "/"}},
            "results": results,
        }],
    }
    json.dump(doc, out, indent=2)
    out.write("\n")
