"""`plan`: the pending revisions (or a range) in deploy order: what runs before the new
code is deployed (expand), what after the old code is retired (contract), and what must
be split first (a revision that does both)."""

from __future__ import annotations

from typing import Any

from .errors import UsageError
from .model import Finding, Phase, Report, Severity
from .project.loaded import Project
from .scripts.order import resolve_revision
from .states import Context, Target, base_report, load_project, read_states, redacted, run_checks


def plan(target: Target | None = None, *, revision_range: str | None = None,
         project: Project | None = None) -> Report:
    """Split revisions into before-deploy, after-deploy and split-first, in run order."""
    from .scripts.phases import revision_phase

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

    phases = {rev: revision_phase(ctx.graph.files[rev].operations) for rev in ctx.selected}
    before: list[str] = []
    after: list[str] = []
    split: list[str] = []
    blocker: str | None = None  # the first contract (or mixed) revision
    for rev in ctx.selected:
        phase = phases[rev]
        if phase is Phase.MIXED:
            split.append(rev)
        elif blocker is None and phase is not Phase.CONTRACT:
            before.append(rev)
        else:
            after.append(rev)
            if phase is Phase.EXPAND and blocker is not None:
                report.add(_expand_after_contract(ctx, rev, blocker))
        if blocker is None and phase in (Phase.CONTRACT, Phase.MIXED):
            blocker = rev
    report.extra["plan"] = {"before_deploy": before, "after_deploy": after, "split_first": split,
                            "phases": {rev: phases[rev].value for rev in ctx.selected}}
    run_checks(ctx, report, ("contract-still-mapped", "multiple-heads"))
    return redacted(report, project.secrets)


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
