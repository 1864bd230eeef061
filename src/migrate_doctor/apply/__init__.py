"""`apply`: the upgrade to run on production, guarded.

1. Preflight, read-only: the diagnose checks an upgrade depends on, the predictions from
   the live rows (will-fail-on-rows), the lint rules over the revisions about to run
   (their severity weighed by the size of the tables; an error blocks unless accepted).
2. Once across servers: a lock kept by the database (apply/lock.py). A waiter waits (up to
   ``wait`` seconds), then reads the version table again: when another apply already
   reached the target, there is nothing to do.
3. It says what it will do (``announce``), then runs each revision through the project's
   own env.py (apply/run.py), one transaction per revision where the dialect allows,
   bounded by lock_timeout / statement_timeout; a lock not granted is retried with
   backoff, and on giving up the blocker is named.
4. A failure is explained (apply/explain.py), with the state the database is now in and
   rollback guidance; afterwards the version table is checked (and, asked, the drift).

Progress goes to ``progress`` as events (dicts: ``{"event": "revision-start", ...}``);
the API itself never prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..errors import UsageError
from ..model import Finding, Report, Severity
from ..project.loaded import Project
from ..states import Context, Target, base_report, load_project, read_states, redacted, run_checks
from .findings import finding
from .session import Bounds

Emit = Callable[[dict[str, Any]], None]
Announce = Callable[[list[str]], None]

# the diagnose checks whose errors mean the upgrade cannot run as it should
PREFLIGHT_CHECKS = (
    "versions-dir-unreadable", "branch-label-conflict", "script-syntax-error",
    "script-missing-revision", "duplicate-revision-id", "dangling-down-revision",
    "revision-cycle", "multiple-heads", "revision-id-too-long", "database-unknown-revision",
    "database-not-versioned", "version-table-inconsistent", "half-applied-revision",
    "role-cannot-migrate",
)
PHASES = ("expand", "contract")

__all__ = ["Bounds", "PREFLIGHT_CHECKS", "apply", "bounds_for"]


class _Events:
    def __init__(self, sink: Emit | None) -> None:
        self.sink = sink
        self.start = time.monotonic()

    def __call__(self, event: str, **data: Any) -> None:
        if self.sink is not None:
            self.sink({"event": event, "elapsed": round(time.monotonic() - self.start, 3),
                       **data})


def bounds_for(project: Project, settings: dict[str, Any] | None = None) -> Bounds:
    """lock_timeout / statement_timeout / retries: [tool.migrate-doctor], then the
    options given (``settings``)."""
    from ..config import load_config

    from pathlib import Path

    start = project.migrations_dir or project.config_file
    cfg = load_config(start if start is not None else Path.cwd())
    bounds = Bounds(cfg.lock_timeout, cfg.statement_timeout, cfg.lock_retries)
    for key, value in (settings or {}).items():
        setattr(bounds, key, value)
    return bounds


def apply(target: Target | None = None, *, to: str | None = None, phase: str | None = None,
          accept: tuple[str, ...] = (), wait: float = 600.0, dry_run: bool = False,
          verify_drift: bool = False, settings: dict[str, Any] | None = None,
          announce: Announce | None = None, progress: Emit | None = None,
          project: Project | None = None) -> Report:
    """Upgrade the database to head (or ``to``, or one ``phase`` of plan), guarded."""
    if to is not None and phase is not None:
        raise UsageError("--to and --phase cannot be given together",
                         "pass one: --to REV, or --phase expand|contract")
    if phase is not None and phase not in PHASES:
        raise UsageError(f"--phase must be expand or contract, not {phase!r}",
                         "--phase expand (before the deploy) or --phase contract (after)")
    emit = _Events(progress)
    project = project or load_project(target)
    ctx = read_states(project)
    report = base_report("apply", ctx)
    state: dict[str, Any] = {"target": to or (f"phase {phase}" if phase else "heads"),
                             "phase": phase, "applied": [], "pending": [], "dry_run": dry_run}
    report.extra["apply"] = state
    fresh = ctx.db is not None and ctx.db.dialect == "sqlite" and not ctx.db.exists
    if ctx.db is not None and ctx.db.missing_directory:
        report.add(finding("apply-refused", f"the directory of the SQLite database "
                           f"{project.masked_url} does not exist",
                           "create it, or fix the path in the URL (relative paths are taken "
                           "from the directory the command runs in)"))
    if report.has_errors or ctx.graph is None or not ctx.graph.ok or ctx.db is None \
            or (ctx.db.engine is None and not fresh):
        run_checks(ctx, report, ("script-syntax-error", "duplicate-revision-id",
                                 "dangling-down-revision", "revision-cycle"), failed=Severity.ERROR)
        if not report.has_errors:
            report.add(finding("apply-refused", "the project or its database could not be read",
                               "migrate-doctor diagnose says why"))
        return _done(report, project)
    bounds = bounds_for(project, settings)
    state["bounds"] = bounds.to_dict()
    _check_accepted(accept)
    if any(r not in ctx.graph.files for r in ctx.db.current):
        run_checks(ctx, report, ("database-unknown-revision",), failed=Severity.ERROR)
        return _done(report, project)
    todo = _todo(ctx, to, phase)
    state["pending"] = todo
    emit("start", database=project.masked_url, current=list(ctx.db.current), pending=todo,
         target=state["target"])
    if not todo:
        return _nothing(report, project, ctx, emit, "the database is already at the target")
    if dry_run:
        if _preflight(ctx, report, todo, accept, bounds, to, emit):
            _announce(ctx, report, todo, bounds, announce, emit, dry_run=True)
        return _done(report, project)

    from .lock import LockTimeout, MigrationLock
    from .session import writing_engine

    lock = MigrationLock(project.url or "", project.version_table,
                         project.version_table_schema, writing_engine)
    if fresh:  # the lock is taken on the file: it is created first, and said so
        created = [f"create the SQLite database file of {project.masked_url} (it does not "
                   "exist yet; the upgrade would create it)"]
        emit("create", actions=created)
        if announce is not None:
            announce(created)

    def waiting(holders: list[Any], waited: float) -> None:
        emit("lock-wait", waited=round(waited, 1), lock=lock.description,
             holders=[h.to_dict() for h in holders])

    try:
        lock.acquire(wait, waiting)
    except LockTimeout as exc:
        held = "; ".join(h.said() for h in exc.holders) or "a session the database does not name"
        report.add(finding("apply-lock-timeout",
                           f"waited {exc.waited:.0f}s for {lock.description} (another apply on "
                           f"this database); it is held by {held}; nothing was applied",
                           "wait for that apply to finish (pass a longer --wait), or end its "
                           "session if it is stuck", holders=[h.to_dict() for h in exc.holders]))
        return _done(report, project)
    except Exception as exc:  # noqa: BLE001 - cannot connect: one line, as diagnose says it
        from ..database.connect import explain_connect_error

        report.add(explain_connect_error(exc, project.url or "").to_finding())
        return _done(report, project)
    try:
        state["lock"] = {"lock": lock.description, "waited": round(lock.waited, 3)}
        emit("lock-acquired", lock=lock.description, waited=round(lock.waited, 3))
        # under the lock: what is there now (another apply may have done it meanwhile)
        ctx = read_states(project)
        if ctx.db is None or ctx.graph is None:
            if ctx.db_error is not None:
                report.add(ctx.db_error.to_finding())
            return _done(report, project)
        todo = _todo(ctx, to, phase)
        state["pending"] = todo
        if not todo:
            return _nothing(report, project, ctx, emit,
                            "another apply reached the target while this one waited")
        if not _preflight(ctx, report, todo, accept, bounds, to, emit):
            return _done(report, project)
        _announce(ctx, report, todo, bounds, announce, emit, dry_run=False)
        from .execute import run_all

        run_all(ctx, report, todo, bounds, {id(lock.engine)} if lock.engine else set(),
                emit, lock)
        if not report.has_errors:
            _after(ctx, report, todo, verify_drift, emit)
    finally:
        lock.release()
    return _done(report, project)


def _check_accepted(accept: tuple[str, ...]) -> None:
    from ..rules import RULES

    known = {e.id for e in RULES.all()}
    unknown = sorted(set(accept) - known)
    if unknown:
        raise UsageError(f"--accept names no lint rule: {', '.join(unknown)}",
                         "`migrate-doctor rules` lists the rule ids")


def _todo(ctx: Context, to: str | None, phase: str | None) -> list[str]:
    """The revisions this run applies, in upgrade order."""
    from ..plan import deploy_order
    from ..scripts.order import resolve_revision

    assert ctx.graph is not None and ctx.db is not None
    graph, current = ctx.graph, tuple(ctx.db.current)
    if phase == "expand":
        return deploy_order(graph, graph.upgrade_order("heads", current)).before
    if to is None or to in ("heads", "head") or phase == "contract":
        if to == "head" and len(graph.heads) > 1:
            raise UsageError(f"the history has {len(graph.heads)} heads: `head` is ambiguous",
                             f"merge them ({ctx.cmd('merge heads')}), or --to heads / --to REV")
        return graph.upgrade_order("heads", current)
    rev = resolve_revision(list(graph.files), to, ctx.cmd("history"))
    return graph.upgrade_order(rev, current)


def _preflight(ctx: Context, report: Report, todo: list[str], accept: tuple[str, ...],
               bounds: Bounds, to: str | None, emit: _Events) -> bool:
    """Read-only checks before anything runs; False (with the reasons as findings) when
    something blocks."""
    from ..predict import predict
    from ..predict.scale import scale
    from ..project.user_code import run_user_code

    ctx.replay_allowed = True  # a half-applied revision on MySQL is found by a replay
    ctx.selected = todo
    ids = tuple(i for i in PREFLIGHT_CHECKS if not (i == "multiple-heads" and to is not None))
    before = len(report.findings)
    run_checks(ctx, report, ids, failed=Severity.ERROR)
    outcome = run_user_code(lambda: predict(ctx, todo), "the predictions")
    prediction = outcome.value
    if outcome.error is not None or prediction is None:
        exc = outcome.error
        report.add(Finding("check-failed", Severity.ERROR, "A check could not run",
                           f"the predictions from the live rows failed: {type(exc).__name__}: "
                           f"{exc}", "run it again; if it fails again, report it",
                           evidence={"check": "will-fail-on-rows"}))
    else:
        report.findings.extend(prediction.findings)
        report.extra["apply"]["sizes"] = {
            rev: [prediction.sizes[t.lower()].said() for t in tables
                  if t.lower() in prediction.sizes] for rev, tables in prediction.touched.items()}
        report.findings.extend(_lint(ctx, todo, bounds, accept, prediction, scale))
    blocking = [f for f in report.findings[before:] if f.severity is Severity.ERROR]
    emit("preflight", blocked=bool(blocking), errors=len(blocking),
         findings=[{"id": f.id, "severity": f.severity.value, "message": f.message}
                   for f in report.findings[before:] if f.severity is not Severity.INFO])
    if blocking:
        ids_shown = sorted({f.id for f in blocking})
        lint_ids = sorted({f.id for f in blocking if f.evidence.get("lint")})
        report.add(finding(
            "apply-refused",
            f"nothing was applied: {len(blocking)} finding(s) would make the upgrade fail or "
            f"lose data ({', '.join(ids_shown)})",
            "fix what they say and apply again" + (
                f"; a lint rule you judged safe here: --accept {' --accept '.join(lint_ids)}"
                if lint_ids else ""), blocking=ids_shown))
        return False
    return True


def _lint(ctx: Context, todo: list[str], bounds: Bounds, accept: tuple[str, ...],
          prediction: Any, scale: Callable[..., list[Finding]]) -> list[Finding]:
    """Lint findings about the revisions to run, weighed by table size; errors block unless
    accepted; missing-lock-timeout is moot when apply bounds the locks itself."""
    from ..lint import lint
    from ..rules import RULES

    assert ctx.graph is not None and ctx.db is not None
    files = tuple(str(ctx.graph.files[r].path) for r in todo if r in ctx.graph.files)
    if not files:
        return []
    linted = lint(project=ctx.project, paths=files, dialect=ctx.db.dialect,
                  server_version=ctx.db.server_version)
    rule_ids = {e.id for e in RULES.all()}
    found = [f for f in linted.findings if f.id in rule_ids]
    if bounds.lock_timeout is not None:
        found = [f for f in found if f.id != "missing-lock-timeout"]
    out = []
    for f in scale(found, prediction):
        f = replace(f, evidence={**f.evidence, "lint": True})
        if f.id in accept and f.severity is not Severity.INFO:
            f = replace(f, severity=Severity.WARNING, message=f"{f.message} (accepted: --accept)")
        out.append(f)
    return out


def _announce(ctx: Context, report: Report, todo: list[str], bounds: Bounds,
              announce: Announce | None, emit: _Events, dry_run: bool) -> None:
    """Say what will be written, before anything is."""
    from ..plan import deploy_order
    from .rollback import guidance

    assert ctx.graph is not None and ctx.db is not None
    project = ctx.project
    order = deploy_order(ctx.graph, todo)
    lock = f"{bounds.lock_timeout:g}s" if bounds.lock_timeout else "none"
    stmt = f"{bounds.statement_timeout:g}s" if bounds.statement_timeout else "none"
    actions = [f"upgrade {project.masked_url} from {', '.join(ctx.db.current) or 'base'}: "
               f"{len(todo)} revision(s), each in its own transaction where "
               f"{ctx.db.dialect} allows it (lock_timeout {lock}, statement_timeout {stmt}, "
               f"{bounds.retries} retr{'y' if bounds.retries == 1 else 'ies'} when a lock is "
               "not granted)"]
    rollback: dict[str, Any] = {}
    for n, rev in enumerate(todo, 1):
        rf = ctx.graph.files[rev]
        g = guidance(project, rf, order.phases[rev])
        rollback[rev] = g
        msg = f' "{rf.message}"' if rf.message else ""
        actions.append(f"run {n}/{len(todo)} {rev}{msg} [{order.phases[rev].value}]; "
                       f"to roll back: {g['advice']}")
    report.extra["apply"]["rollback"] = rollback
    report.extra["actions"] = actions
    report.extra["dry_run"] = dry_run
    emit("plan", actions=actions, dry_run=dry_run)
    if announce is not None:
        announce(actions)


def _nothing(report: Report, project: Project, ctx: Context, emit: _Events,
             why: str) -> Report:
    assert ctx.db is not None
    current = ", ".join(ctx.db.current) or "base"
    report.add(finding("applied", f"nothing to do: {why} (the database is at {current})",
                       None, nothing_to_do=True, current=list(ctx.db.current)))
    report.extra["apply"]["nothing_to_do"] = True
    emit("nothing-to-do", reason=why, current=list(ctx.db.current))
    _set_current(report, ctx.db.current)
    return _done(report, project)


def _set_current(report: Report, current: Any) -> None:
    if report.database is not None:
        report.database = replace(report.database, current=tuple(current))


def _after(ctx: Context, report: Report, todo: list[str], verify_drift: bool,
           emit: _Events) -> None:
    """The version table at the target; with ``verify_drift``, the schema what the
    migrations make."""
    project = ctx.project
    after = read_states(project)
    if after.db is None or after.graph is None:
        if after.db_error is not None:
            report.add(after.db_error.to_finding())
        return
    current = tuple(after.db.current)
    _set_current(report, current)
    reached = set()
    for c in current:
        reached |= after.graph.ancestors(c) if c in after.graph.files else set()
    missing = [r for r in todo if r not in reached]
    emit("verify", current=list(current), ok=not missing)
    if missing:
        report.add(finding("apply-not-at-target",
                           f"after the upgrade the version table says {', '.join(current) or 'base'}"
                           f", which does not include {', '.join(missing)}",
                           "migrate-doctor diagnose says what the database is now",
                           current=list(current), missing=missing))
        return
    if verify_drift:
        from ..api import _verify_drift

        _verify_drift(after, report)


def _done(report: Report, project: Project) -> Report:
    return redacted(report, project.secrets)

