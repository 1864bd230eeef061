"""The public Python API. Functions return Reports and raise typed errors; they never
print, never exit and never touch logging configuration."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .apply import apply
from .drift import drift
from .stamp import adopt, stamp
from .lint import lint
from .model import Finding, Report, Severity
from .plan import plan
from .project.loaded import Project
from .states import Context, Target, base_report, load_project, read_states, redacted, run_checks

__all__ = ["Target", "adopt", "diagnose", "drift", "stamp", "lint", "load_project", "plan", "rules",
           "trace_findings", "verify"]
__all__ += ["apply"]  # issue 9


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


def verify(target: Target | None = None, *, drift: bool = False, head: bool = False,
           project: Project | None = None) -> Report:
    """The gate: passes (no error finding) when the new code may run: the database is at
    the single head, or only contract revisions are pending (plan runs them after the old
    code is retired); ``head`` demands the head. It fails closed: a check that could not
    run, or (with ``drift``) a drift comparison that could not be made, is an error."""
    project = project or load_project(target)
    ctx = read_states(project)
    report = base_report("verify", ctx)
    run_checks(ctx, report, VERIFY_CHECKS, failed=Severity.ERROR)
    report.findings = [replace(f, severity=Severity.ERROR) if f.id == "database-empty" else f
                       for f in report.findings]
    if not head:
        report.findings = [_contract_only(ctx, f) if f.id == "database-behind" else f
                           for f in report.findings]
    if not project.url and not report.has_errors:
        report.add(Finding("database-url-missing", Severity.ERROR, "The database URL is not set",
                           "no database URL: nothing to verify",
                           "set the URL (DATABASE_URL / sqlalchemy.url) or pass --url"))
    if drift and not report.has_errors:
        _verify_drift(ctx, report)
    return redacted(report, project.secrets)


def _contract_only(ctx: Context, f: Finding) -> Finding:
    """database-behind when everything pending belongs after the deploy (plan's
    after_deploy: the first pending revision is a contract one, none is mixed): the new
    code may start, so verify says which are pending, as information."""
    pending = list(f.evidence.get("pending", []))
    phases = f.evidence.get("phases", {})
    if not pending or phases.get(pending[0]) != "contract" or "mixed" in phases.values() \
            or set(phases) != set(pending):
        return f
    from .plan import apply_command

    return replace(f, severity=Severity.INFO, message=(
        f"only contract revisions are pending ({', '.join(pending)}): the new code may run; "
        "they run once the old code is retired everywhere"),
        fix=f"{apply_command(ctx.project, 'contract')} after the old code is retired "
            "(verify --head demands the head)",
        evidence={**f.evidence, "contract_only": True})


DRIFT_CHECKS = ("manual-schema-change", "model-without-migration", "migration-without-model")


def _verify_drift(ctx: Context, report: Report) -> None:
    """The drift engine of `drift`, at head: any difference, or a comparison that could not
    be made, fails the gate."""
    from .drift import compute
    from .errors import DoctorError
    from .project.user_code import run_user_code

    def failed(message: str, fix: str, **evidence: Any) -> None:
        report.add(Finding("check-failed", Severity.ERROR, "A check could not run", message,
                           fix, evidence={"check": "drift", **evidence}))

    if not ctx.has("models"):
        failed("--drift was asked for, but the models are not known (target_metadata)",
               "set target_metadata in env.py (or run verify without --drift)")
        return
    if ctx.db is None or ctx.db.engine is None:
        failed("--drift was asked for, but the database cannot be read", "check the URL")
        return
    outcome = run_user_code(lambda: compute(ctx), "the drift comparison")
    if isinstance(outcome.error, DoctorError):
        report.add(replace(outcome.error.to_finding(), severity=Severity.ERROR))
        return
    if outcome.error is not None:
        exc = outcome.error
        failed(f"the drift comparison failed: {type(exc).__name__}: {exc}",
               "run migrate-doctor drift to see it; fix what it names",
               exception=type(exc).__name__)
        return
    ctx.drift = outcome.value
    before = len(report.findings)
    run_checks(ctx, report, DRIFT_CHECKS, failed=Severity.ERROR)
    report.findings[before:] = [replace(f, severity=Severity.ERROR)
                                for f in report.findings[before:]]


# -- lint -------------------------------------------------------------------------------



def trace_findings() -> list[Any]:
    """The findings only ``lint(trace=True)`` reports (``trace-table-rewrite``, ...): typed,
    each documented by its docstring."""
    from .trace.findings import TRACE_FINDINGS

    return list(TRACE_FINDINGS)


def rules() -> list[Any]:
    """Every lint rule's registry entry (id, severity, title, doc)."""
    from .rules import RULES

    return sorted(RULES.all(), key=lambda e: e.id)


# -- test (issue 10): defined in its package, exported here -----------------------------------

from .testing.engine import test  # noqa: E402

__all__ += ["test"]

# -- graph (issue 10) ---------------------------------------------------------------------------

from .graph.build import graph  # noqa: E402

__all__ += ["graph"]
