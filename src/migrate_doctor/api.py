"""The public Python API. Functions return Reports and raise typed errors; they never
print, never exit and never touch logging configuration."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .drift import drift
from .stamp import adopt, stamp
from .lint import lint
from .model import Finding, Report, Severity
from .plan import plan
from .project.loaded import Project
from .states import Target, base_report, load_project, read_states, redacted, run_checks

__all__ = ["Target", "adopt", "diagnose", "drift", "stamp", "lint", "load_project", "plan", "rules", "verify"]


def diagnose(target: Target | None = None, *, project: Project | None = None) -> Report:
    """The full checkup over scripts, version table, live schema and models."""
    project = project or load_project(target)
    ctx = read_states(project)
    ctx.replay_allowed = True  # an unknown or missing version may be answered by a replay
    report = base_report("diagnose", ctx)
    run_checks(ctx, report)
    return redacted(report, project.secrets)


VERIFY_CHECKS = (
    "versions-dir-unreadable", "branch-label-conflict", "script-syntax-error", "script-missing-revision", "duplicate-revision-id",
    "dangling-down-revision", "revision-cycle", "multiple-heads", "revision-id-too-long",
    "database-behind", "database-unknown-revision", "database-not-versioned",
    "database-empty", "version-table-inconsistent",
)


def verify(target: Target | None = None, *, drift: bool = False,
           project: Project | None = None) -> Report:
    """The gate: passes (no error finding) only when the database is at the single head.
    It fails closed: a check that could not run, or (with ``drift``) a drift comparison
    that could not be made, is an error."""
    project = project or load_project(target)
    ctx = read_states(project)
    report = base_report("verify", ctx)
    wanted = VERIFY_CHECKS + (("schema-drift",) if drift else ())
    skipped = run_checks(ctx, report, wanted, failed=Severity.ERROR)
    promote = {"database-empty"} | ({"schema-drift"} if drift else set())
    # what autogenerate would not write (schema-drift at info) does not fail the gate
    report.findings = [replace(f, severity=Severity.ERROR)
                       if f.id in promote and (f.id == "database-empty" or f.severity is not Severity.INFO)
                       else f for f in report.findings]
    if not project.url and not report.has_errors:
        report.add(Finding("database-url-missing", Severity.ERROR, "The database URL is not set",
                           "no database URL: nothing to verify",
                           "set the URL (DATABASE_URL / sqlalchemy.url) or pass --url"))
    if drift and "schema-drift" in skipped and not report.has_errors:
        missing = "the models (target_metadata)" if not ctx.has("models") else "the database"
        report.add(Finding("check-failed", Severity.ERROR, "A check could not run",
                           f"--drift was asked for, but the drift check cannot run without "
                           f"{missing}", "set target_metadata in env.py (or run verify without "
                           "--drift)", evidence={"check": "schema-drift"}))
    return redacted(report, project.secrets)


# -- lint -------------------------------------------------------------------------------



def rules() -> list[Any]:
    """Every lint rule's registry entry (id, severity, title, doc)."""
    from .rules import RULES

    return sorted(RULES.all(), key=lambda e: e.id)
