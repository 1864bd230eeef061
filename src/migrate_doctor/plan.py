"""`plan`: the pending revisions (or a range) in deploy order: what runs before the new
code is deployed (expand), what after the old code is retired (contract), and what must
be split first (a revision that does both)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .model import Finding, Phase, Report, Severity
from .project.loaded import Project
from .scripts.order import resolve_revision
from .states import Context, Target, base_report, load_project, read_states, redacted, run_checks


def plan(target: Target | None = None, *, revision_range: str | None = None,
         project: Project | None = None) -> Report:
    """Split revisions into before-deploy, after-deploy and split-first, in run order."""
    project = project or load_project(target)
    ctx = read_states(project, database=revision_range is None)
    report = base_report("plan", ctx)
    # Only the pending revisions need the database: with a range, a project that has no URL
    # still plans, and without one the UsageError below says what is missing. A URL missing
    # because the app or env.py failed to load (evidence["exception"]) stays a finding.
    report.findings = [f for f in report.findings if not (
        f.id == "database-url-missing" and "exception" not in f.evidence)]
    if ctx.graph is None or not ctx.graph.ok:
        run_checks(ctx, report, ("script-syntax-error", "duplicate-revision-id",
                                 "dangling-down-revision", "revision-cycle"))
        return redacted(report, project.secrets)
    if revision_range:
        ctx.selected = _range(ctx, revision_range)
    elif ctx.db is not None:
        if any(r not in ctx.graph.files for r in ctx.db.current):
            run_checks(ctx, report, ("database-unknown-revision",))
            return redacted(report, project.secrets)
        ctx.selected = ctx.graph.upgrade_order("heads", ctx.db.current)
    elif report.has_errors:
        return redacted(report, project.secrets)
    else:
        raise UsageError("plan needs the pending revisions (a database) or a range",
                         "pass --url, or a range such as `plan base:head`")

    order = deploy_order(ctx.graph, ctx.selected)
    phases = order.phases
    for rev, blocker in order.late:
        report.add(_expand_after_contract(ctx, rev, blocker))
    before, after, split = order.before, order.after, order.split
    report.extra["plan"] = {"before_deploy": before, "after_deploy": after, "split_first": split,
                            "phases": {rev: phases[rev].value for rev in ctx.selected}}
    _deploy_extras(ctx, report, order)
    run_checks(ctx, report, ("contract-still-mapped", "multiple-heads"))
    return redacted(report, project.secrets)


@dataclass
class DeployOrder:
    """Pending revisions split for an expand/contract deploy, in run order."""

    phases: dict[str, Phase]
    before: list[str] = field(default_factory=list)  # before the new code is deployed
    after: list[str] = field(default_factory=list)  # after the old code is retired
    split: list[str] = field(default_factory=list)  # expand and contract in one revision
    late: list[tuple[str, str]] = field(default_factory=list)  # (expand rev, contract before it)


def deploy_order(graph: Any, revisions: list[str]) -> DeployOrder:
    """The phase of each revision and the deploy step it belongs to: expand revisions up to
    the first contract (or mixed) one run before the deploy, everything from it after."""
    from .scripts.phases import revision_phase

    order = DeployOrder({rev: revision_phase(graph.files[rev].operations) for rev in revisions})
    blocker: str | None = None  # the first contract (or mixed) revision
    for rev in revisions:
        phase = order.phases[rev]
        if phase is Phase.MIXED:
            order.split.append(rev)
        elif blocker is None and phase is not Phase.CONTRACT:
            order.before.append(rev)
        else:
            order.after.append(rev)
            if phase is Phase.EXPAND and blocker is not None:
                order.late.append((rev, blocker))
        if blocker is None and phase in (Phase.CONTRACT, Phase.MIXED):
            blocker = rev
    return order


def doctor_command(project: Project, command: str) -> str:
    """How this project runs one of migrate-doctor's commands (``flask db apply`` for a
    Flask app, ``migrate-doctor apply`` for a plain Alembic project)."""
    if project.kind == "flask":
        return f"flask db {command}"
    cfg = f" -c {project.config_file}" if project.config_file and \
        project.config_file.name != "alembic.ini" else ""
    return f"migrate-doctor{cfg} {command}"


def apply_command(project: Project, phase: str | None = None) -> str:
    return doctor_command(project, "apply" + (f" --phase {phase}" if phase else ""))


def _deploy_extras(ctx: Context, report: Report, order: DeployOrder) -> None:
    """The commands of each deploy step and rollback guidance per revision; with a
    reachable database, the predictions from the live rows (findings) and table sizes."""
    from .apply.rollback import guidance
    from .errors import DoctorError
    from .predict import predict
    from .project.user_code import run_user_code

    assert ctx.graph is not None and ctx.selected is not None
    project = ctx.project
    steps = []
    if order.split:
        steps.append({"when": "first", "command": None, "revisions": order.split,
                      "say": "split each of these into an expand and a contract revision"})
    if order.before:
        steps.append({"when": "before deploying the new code", "revisions": order.before,
                      "command": apply_command(project, "expand")})
    if ctx.selected:
        steps.append({"when": "deploy the new code; it may start once this passes",
                      "revisions": [], "command": doctor_command(project, "verify")})
    if order.after or order.split:
        steps.append({"when": "after the old code is retired everywhere",
                      "revisions": [r for r in ctx.selected if r not in order.before],
                      "command": apply_command(project, "contract")})
    report.extra["steps"] = steps
    rollback = {}
    for rev in ctx.selected:
        rf = ctx.graph.file(rev)
        if rf is not None:
            rollback[rev] = guidance(project, rf, order.phases[rev])
    report.extra["rollback"] = rollback
    if ctx.db is None or ctx.db.engine is None or not ctx.selected:
        return
    outcome = run_user_code(lambda: predict(ctx, list(ctx.selected or [])), "the predictions")
    if isinstance(outcome.error, DoctorError):
        report.add(outcome.error.to_finding())
        return
    if outcome.error is not None:
        exc = outcome.error
        report.add(Finding("check-failed", Severity.WARNING, "A check could not run",
                           f"the predictions from the live rows failed: {type(exc).__name__}: "
                           f"{exc}", "run it again; if it fails again, report it",
                           evidence={"check": "will-fail-on-rows"}))
        return
    prediction = outcome.value
    assert prediction is not None
    report.findings.extend(prediction.findings)
    report.extra["sizes"] = {rev: [prediction.sizes[t.lower()].said() for t in tables
                                   if t.lower() in prediction.sizes]
                             for rev, tables in prediction.touched.items()}


def _range(ctx: Context, text: str) -> list[str]:
    """``LOWER:UPPER`` (``base:head``, ``REV:``, partial ids) -> revisions in run order."""
    assert ctx.graph is not None
    lower, _, upper = text.partition(":")
    upper = upper or "heads"
    lower_arg: Any = "base"
    if lower not in ("", "base"):
        lower_arg = (resolve_revision(list(ctx.graph.files), lower, ctx.cmd("history")),)
    try:
        selected = ctx.graph.upgrade_order(upper, lower_arg)
        below_upper = lower_arg == "base" or lower_arg[0] in ctx.graph.ancestors(upper)
    except Exception as exc:  # noqa: BLE001 - alembic's ResolutionError and friends
        raise UsageError(f"cannot read the range {text!r}: {exc}",
                         "give it as REV:REV, base:head or REV: (up to the heads)") from None
    if not below_upper:
        raise UsageError(f"the range {text!r} is backwards or crosses branches: "
                         f"{lower_arg[0]} is not below {upper}",
                         "give the older revision first: plan OLD:NEW")
    return selected


def _expand_after_contract(ctx: Context, rev: str, blocker: str) -> Finding:
    rf = ctx.graph.file(rev) if ctx.graph else None
    return Finding(
        "expand-after-contract", Severity.WARNING, "An expand step waits behind a contract step",
        f"revision {ctx.describe(rev)} adds to the schema but runs after the contract revision "
        f"{ctx.describe(blocker)}: it cannot run before the new code is deployed",
        f"make {rev} run before {blocker}: set down_revision in "
        f"{ctx.location(rf).path if rf else rev} to the revision below {blocker}, and "
        f"{blocker}'s down_revision to {rev!r}; or deploy in two steps",
        ctx.location(rf, rf.lines.get("down_revision")) if rf else None,
        {"revision": rev, "after": blocker})
