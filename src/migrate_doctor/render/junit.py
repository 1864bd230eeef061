"""Report -> JUnit XML, for CI test reports.

A `test` report carries its test cases (``extra["test"]["cases"]``: one per check and
revision, passed, failed or skipped): each becomes a <testcase> in a <testsuite> per check,
named after the revision so that CI lists it as "upgrade-fails: abc123 add users". A
finding no case stands for (the project could not load, env.py failed) is an <error>.
A report of another command has one <testcase> per finding.
"""

from __future__ import annotations

from typing import Any, TextIO
from xml.etree import ElementTree as ET

from ..model import Finding, Report


def render_junit(report: Report, out: TextIO) -> None:
    cases: list[dict[str, Any]] = list((report.extra.get("test") or {}).get("cases") or [])
    names = _names(report)
    by_case = {(f.id, f.evidence.get("revision")): f for f in report.findings}
    covered: set[tuple[str, Any]] = set()
    root = ET.Element("testsuites", name=f"migrate-doctor {report.command}")
    suites: dict[str, ET.Element] = {}
    for case in cases:
        check, rev = case["check"], case.get("revision")
        suite = suites.get(check)
        if suite is None:
            suite = suites[check] = ET.SubElement(root, "testsuite", name=check)
        element = ET.SubElement(suite, "testcase", classname=f"migrate-doctor.{check}",
                                name=names.get(rev, rev) if rev else "history",
                                time=f"{case.get('seconds', 0):.3f}")
        if case["status"] == "failed":
            finding = by_case.get((check, rev))
            covered.add((check, rev))
            _failure(element, "failure", finding, case.get("message", ""))
        elif case["status"] == "skipped":
            ET.SubElement(element, "skipped", message=case.get("message") or "skipped")
    loose = [f for f in report.findings if (f.id, f.evidence.get("revision")) not in covered
             and f.severity.value != "info"]
    if loose:
        suite = ET.SubElement(root, "testsuite", name="migrate-doctor")
        for f in loose:
            rev = f.evidence.get("revision")
            element = ET.SubElement(suite, "testcase", classname=f"migrate-doctor.{f.id}",
                                    name=names.get(rev, rev) if rev else f.id, time="0.000")
            _failure(element, "error" if cases else "failure", f, f.message)
    if not cases and not loose:  # nothing wrong, nothing listed: one passing case
        suite = ET.SubElement(root, "testsuite", name="migrate-doctor")
        ET.SubElement(suite, "testcase", classname=f"migrate-doctor.{report.command}",
                      name=report.command, time="0.000")
    _count(root)
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")


def _names(report: Report) -> dict[str, str]:
    """revision -> "abc123 add users" (the revision's message, when the report has it)."""
    messages = (report.extra.get("test") or {}).get("messages") or {}
    return {rev: f"{rev} {msg}".strip() for rev, msg in messages.items()}


def _failure(element: ET.Element, tag: str, finding: Finding | None, message: str) -> None:
    if finding is None:
        ET.SubElement(element, tag, message=message[:500], type="failed").text = message
        return
    body = [finding.message]
    if finding.location is not None:
        body.append(f"at {finding.location}")
    if finding.fix:
        body.append(f"fix: {finding.fix}")
    node = ET.SubElement(element, tag, message=finding.title, type=finding.id)
    node.text = "\n".join(body)


def _count(root: ET.Element) -> None:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        counts = {"tests": len(cases),
                  "failures": sum(1 for c in cases if c.find("failure") is not None),
                  "errors": sum(1 for c in cases if c.find("error") is not None),
                  "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        time = sum(float(c.get("time") or 0) for c in cases)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{time:.3f}")
        seconds += time
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
