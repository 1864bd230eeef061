"""The run itself: each revision in turn, retried with backoff when its lock is not
granted, stopped and explained at the first failure."""

from __future__ import annotations

import random
import time
from typing import Any

from ..model import Report, Severity
from ..states import Context, read_states, run_checks
from .explain import Failure, grant_for, read_failure, table_blockers
from .findings import finding
from .lock import Holder
from .run import Attempt, upgrade_one
from .session import Bounds

BACKOFF_CAP = 30.0


def run_all(ctx: Context, report: Report, todo: list[str], bounds: Bounds, ours: set[int],
            emit: Any, lock: Any) -> None:
    assert ctx.graph is not None and ctx.db is not None
    project = ctx.project
    url = project.url or ""
    state = report.extra["apply"]
    started = time.monotonic()
    for n, rev in enumerate(todo, 1):
        rf = ctx.graph.files[rev]
        emit("revision-start", n=n, of=len(todo), revision=rev, message=rf.message)

        def on_statement(sql: str, rev: str = rev) -> None:
            emit("statement", revision=rev, sql=sql[:500])

        tries = 0
        while True:
            attempt = upgrade_one(project, url, rev, bounds, ours, on_statement)
            if attempt.ok:
                break
            failure = read_failure(attempt.error or Exception("?"), attempt.watch.current)
            blockers = _blockers(ctx, lock, failure, attempt) \
                if failure.kind == "lock-timeout" else []
            if failure.kind == "lock-timeout" and tries < bounds.retries and \
                    _retry_safe(ctx, rev, attempt):
                delay = min(BACKOFF_CAP, max(1.0, bounds.lock_timeout or 1.0) * 2 ** tries)
                delay += random.uniform(0, delay / 4)
                tries += 1
                emit("retry", revision=rev, attempt=tries, of=bounds.retries,
                     delay=round(delay, 2), statement=failure.statement,
                     blockers=[b.to_dict() for b in blockers])
                time.sleep(delay)
                continue
            emit("revision-failed", n=n, of=len(todo), revision=rev, kind=failure.kind,
                 message=failure.message, elapsed=round(attempt.elapsed, 3))
            _failed(ctx, report, rev, attempt, failure, blockers, tries)
            return
        state["applied"].append(rev)
        emit("revision-done", n=n, of=len(todo), revision=rev, seconds=round(attempt.elapsed, 3),
             retries=tries)
    elapsed = time.monotonic() - started
    state["seconds"] = round(elapsed, 3)
    report.add(finding("applied", f"applied {len(todo)} revision(s) in {elapsed:.1f}s: "
                       f"{', '.join(todo)}", None, applied=list(todo)))


def _retry_safe(ctx: Context, rev: str, attempt: Attempt) -> bool:
    """Nothing of the revision stayed: on a transactional dialect everything was rolled
    back (unless the revision commits on its own, in an autocommit block); otherwise only
    when the statement that waited was the revision's first change."""
    assert ctx.graph is not None and ctx.db is not None
    rf = ctx.graph.files[rev]
    autocommit = any(op.in_autocommit for op in rf.ops("upgrade"))
    if ctx.db.dialect in ("postgresql", "sqlite") and not autocommit:
        return True
    changes = [s for s in attempt.watch.statements
               if not s.upper().startswith(("SELECT", "SHOW", "SET", "PRAGMA", "BEGIN",
                                            "DESCRIBE", "EXPLAIN"))]
    return len(changes) <= 1


def _blockers(ctx: Context, lock: Any, failure: Failure, attempt: Attempt) -> list[Holder]:
    """The sessions in the way, asked right away (while they still hold the lock)."""
    assert ctx.db is not None
    if ctx.db.dialect == "sqlite":
        return _sqlite_holders(ctx)
    engine = lock.engine or ctx.db.engine
    if engine is None:
        return []
    try:
        with engine.connect() as conn:
            return table_blockers(conn, failure.statement, attempt.watch.session_ids)
    except Exception:  # noqa: BLE001 - naming the blocker is best effort, never a crash
        return []


def _sqlite_holders(ctx: Context) -> list[Holder]:
    """Processes that have the SQLite file open (Linux /proc), other than this one."""
    import os
    from pathlib import Path

    from ..database.connect import parse_url, sqlite_path

    path = sqlite_path(parse_url(ctx.project.url or ""))
    if path is None or not Path("/proc").is_dir():
        return []
    target = str(path.resolve())
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (proc / "fd").iterdir()):
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace").strip()
                found.append(Holder(int(proc.name), None, cmd[:120], None, None, None,
                                    f"{path.name} open"))
        except OSError:
            continue
    return found


def _failed(ctx: Context, report: Report, rev: str, attempt: Attempt, failure: Failure,
            blockers: list[Holder], tries: int) -> None:
    from ..project.exceptions import user_frame

    assert ctx.graph is not None and ctx.db is not None
    project = ctx.project
    rf = ctx.graph.files[rev]
    where = user_frame(attempt.error) if attempt.error is not None else None
    location = where if where is not None and where.path.endswith(rf.path.name) else \
        ctx.location(rf)
    at = f" at `{_short(failure.statement)}`" if failure.statement else ""
    head = f"revision {ctx.describe(rev)} failed{at}"
    evidence: dict[str, Any] = {"revision": rev, "kind": failure.kind, "error": failure.message,
                                "statement": failure.statement, "code": failure.code,
                                "retries": tries}
    kind = failure.kind
    if kind == "lock-timeout":
        lock = report.extra["apply"]["bounds"]["lock_timeout"]
        held = "; ".join(b.said() for b in blockers) or \
            "a session the database did not name (it let go before it could be asked)"
        message = (f"{head}: the lock was not granted within lock_timeout "
                   f"{lock if lock is not None else 'unbounded'}s, {tries + 1} attempt(s); "
                   f"blocked by {held}")
        pid = blockers[0].pid if blockers and blockers[0].pid is not None else None
        end = {"postgresql": f"SELECT pg_terminate_backend({pid or '<pid>'})",
               "mysql": f"KILL {pid or '<id>'}", "mariadb": f"KILL {pid or '<id>'}"}.get(
                   ctx.db.dialect, f"stop process {pid or '<pid>'}")
        fix = (f"let that session finish (or end it if it is stuck: {end}), then apply again; "
               "or raise lock-timeout / lock-retries in [tool.migrate-doctor]")
        evidence["blockers"] = [b.to_dict() for b in blockers]
    elif kind == "statement-timeout":
        limit = report.extra["apply"]["bounds"]["statement_timeout"]
        message = f"{head}: it ran longer than statement_timeout {limit}s ({failure.message})"
        fix = ("raise statement-timeout in [tool.migrate-doctor] (or --statement-timeout) for "
               "this deploy, or make the step cheaper (batches, CONCURRENTLY)")
    elif kind == "privilege":
        grant = grant_for(failure.message, _role(ctx))
        message = f"{head}: the role cannot do it: {failure.message}"
        fix = (f"give the role the right, as the owner or a superuser:\n{grant}" if grant else
               "run apply as the role that owns the tables, or grant what the message names")
        evidence["grant"] = grant
    elif kind == "duplicate-object":
        message = (f"{head}: {failure.message}: what it creates exists already, although the "
                   f"version table said {', '.join(ctx.db.current) or 'base'}")
        fix = ("the schema is not what the migrations make at that revision (a change by "
               "hand, or a revision that half ran): see below and `migrate-doctor drift`; "
               f"if the object is exactly the revision's, {ctx.cmd(f'stamp {rev}')} instead "
               "of upgrading it")
    elif kind == "concurrent":
        message = (f"{head}: {failure.message}: another upgrade wrote the version table at the "
                   "same time (one not run through apply's lock)")
        fix = "run every upgrade through apply (one lock); then apply again"
    elif kind == "data":
        message = f"{head}: the rows do not allow it: {failure.message}"
        fix = "the rows are named below; fix them (or the revision) and apply again"
    else:
        message = f"{head}: {failure.message}"
        fix = f"fix the revision at {location}" if location else "fix the revision"
        if attempt.output.strip():
            evidence["output"] = "\n".join(attempt.output.strip().splitlines()[-12:])
    report.add(finding("apply-failed", message, fix, location, **evidence))
    _state_after(ctx, report, rev, failure)


def _state_after(ctx: Context, report: Report, rev: str, failure: Failure) -> None:
    """What is in the database now: the version table, and on MySQL/MariaDB (no
    transactional DDL) exactly which steps of the failed revision stayed."""
    from .rollback import guidance

    project = ctx.project
    state = report.extra["apply"]
    after = read_states(project)
    if after.db is None or after.graph is None:
        return
    current = tuple(after.db.current)
    if report.database is not None:
        from dataclasses import replace

        report.database = replace(report.database, current=current)
    state["current_after_failure"] = list(current)
    applied = state["applied"]
    from ..plan import deploy_order

    phases = deploy_order(after.graph, [r for r in applied + [rev] if r in after.graph.files]).phases
    state["rollback"] = {r: guidance(project, after.graph.files[r], phases[r])
                         for r in applied + [rev] if r in after.graph.files}
    done = f"{len(applied)} revision(s) before it stayed applied ({', '.join(applied)})" \
        if applied else "no revision was applied"
    if after.db.dialect not in ("mysql", "mariadb"):
        report.add(finding("apply-state", f"{rev} was rolled back whole ({after.db.dialect} runs it "
                           f"in one transaction); {done}; the version table says "
                           f"{', '.join(current) or 'base'}", None, severity=Severity.INFO,
                           current=list(current), applied=list(applied)))
    else:
        after.replay_allowed = True
        before = len(report.findings)
        run_checks(after, report, ("half-applied-revision",), failed=Severity.WARNING)
        half = [f for f in report.findings[before:] if f.id == "half-applied-revision"]
        if not half:
            said = _schema_said(after)
            report.add(finding("apply-state", f"{after.db.dialect} has no transactional DDL; after "
                               f"the failure: {done}; the version table says "
                               f"{', '.join(current) or 'base'}; {said}", None,
                               severity=Severity.INFO, current=list(current),
                               applied=list(applied)))
    if failure.kind == "data":
        from ..predict import predict

        try:
            found = predict(after, [rev]).findings
        except Exception:  # noqa: BLE001 - the rows are a bonus to the failure, not needed
            found = []
        report.findings.extend(found)


def _schema_said(ctx: Context) -> str:
    """Whether the live schema equals the migrations' at the version table's revision."""
    from ..drift import scratch_factory
    from ..database.schema import differences, snapshot
    from ..errors import DoctorError
    from ..replay.expected import Expected

    assert ctx.db is not None and ctx.graph is not None and ctx.db.engine is not None
    project = ctx.project
    try:
        factory = scratch_factory(project, project.url or "", None, ctx.db.server_version)
        with Expected(project, ctx.graph, ctx.db.dialect, ctx.db.server_version, factory) as exp:
            expected = exp.at(tuple(ctx.db.current))
        with ctx.db.engine.connect() as conn:
            live = snapshot(conn, {project.version_table}, project.version_table_schema)
            conn.rollback()
    except DoctorError as exc:
        return f"the schema could not be compared ({exc.message})"
    diffs = differences(expected, live)
    if not diffs:
        return "the schema is exactly that revision's: nothing of the failed one stayed"
    return f"the schema differs from that revision's in {len(diffs)} way(s): " + \
        "; ".join(str(d) for d in diffs[:8])


def _role(ctx: Context) -> str | None:
    from ..database.connect import parse_url

    try:
        return parse_url(ctx.project.url or "").username
    except Exception:  # noqa: BLE001
        return None


def _short(text: str | None, limit: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
