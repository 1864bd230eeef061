"""`test`: the project's migrations tested on a scratch database of its dialect, never the
live one: the stairway per revision on tables holding generated rows, then the whole-history
checks (single head, models vs head, model modules nobody imports, downgrade policy).

One scratch database and one connection: env.py runs once (``session.in_env``) and the
stairway steps the revisions inside it.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import DoctorError, UsageError
from ..model import Finding, Report
from ..project.loaded import Project
from ..states import Context, Target, base_report, load_project, read_states, redacted, run_checks
from . import checks as C
from .stairway import Case, Progress, Result, Revisions, Stairway

STRUCTURE = ("script-syntax-error", "duplicate-revision-id", "dangling-down-revision",
             "revision-cycle", "versions-dir-unreadable")


def test(target: Target | None = None, *, since: str | None = None, pending: bool = False,
         rows: int | None = None, scratch_url: str | None = None, keep: bool = False,
         progress: Progress | None = None, project: Project | None = None) -> Report:
    """Upgrade, downgrade and upgrade again each revision (all, ``since`` a revision, or the
    ``pending`` ones) on tables that hold ``rows`` generated rows each, in a scratch
    database; then the whole-history checks. ``keep`` leaves the scratch database behind
    (its masked URL in ``report.extra["test"]["kept"]``)."""
    started = time.perf_counter()
    if rows is None:
        from ..database.rows import ROWS as rows  # a few per table
    project = project or load_project(target)
    ctx = read_states(project, database=bool(project.url))
    report = base_report("test", ctx)
    if ctx.graph is None or not ctx.graph.ok or ctx.unreadable:
        run_checks(ctx, report, STRUCTURE)
        return redacted(report, project.secrets)
    live = project.url or scratch_url
    if not live:
        if not report.findings:
            raise UsageError("test needs to know the database: its URL, or a --scratch-url of "
                             "the same engine", "set the URL (DATABASE_URL / sqlalchemy.url) "
                             "or pass --scratch-url")
        return redacted(report, project.secrets)
    report.findings = [f for f in report.findings if f.id not in (
        "database-unreachable", "database-not-versioned", "database-empty")]
    order = ctx.graph.upgrade_order("heads")
    selected = _select(ctx, order, since, pending)
    cases: list[Case] = []
    _single_head(ctx, report, cases)
    info: dict[str, Any] = {"rows": rows, "selected": len(selected), "revisions": [],
                            "not_reached": [], "scratch": None, "kept": None, "steps": 0}
    result = Result()
    try:
        result, models = _run(ctx, live, scratch_url, order, selected, rows, keep, progress, info)
    except DoctorError as exc:  # replay-failed (env.py), scratch-unavailable
        report.add(exc.to_finding())
        models = None
    report.findings.extend(result.findings)
    cases.extend(result.cases)
    _policy(ctx, result, report, cases, selected)
    _models(ctx, models, report, cases, result)
    _imports(ctx, report, cases)
    messages = {r: (ctx.graph.file(r).message if ctx.graph.file(r) else "") for r in order}
    info.update(revisions=result.tested, not_reached=result.not_reached, messages=messages,
                cases=[c.to_dict() for c in cases], generated_rows=result.rows,
                seconds=round(time.perf_counter() - started, 3))
    report.extra["test"] = info
    return redacted(report, project.secrets)


test.__test__ = False  # type: ignore[attr-defined]  # pytest: a function, not a test


def _select(ctx: Context, order: list[str], since: str | None, pending: bool) -> set[str]:
    from ..scripts.order import resolve_revision

    assert ctx.graph is not None
    if since and pending:
        raise UsageError("--since and --pending select the revisions two ways",
                         "give one of them")
    if since:
        rev = resolve_revision(order, since, ctx.cmd("history"))
        return set(order) - ctx.graph.ancestors(rev)
    if pending:
        if ctx.db is None:
            raise UsageError("--pending needs the database (its version table)",
                             "set the URL or pass --url; or use --since REV")
        applied = set().union(*(ctx.graph.ancestors(r) for r in ctx.db.current
                                if r in ctx.graph.files)) if ctx.db.current else set()
        return set(order) - applied
    return set(order)


def _run(ctx: Context, live: str, scratch_url: str | None, order: list[str],
         selected: set[str], rows: int, keep: bool, progress: Progress | None,
         info: dict[str, Any]) -> tuple[Result, list[Any] | None]:
    from ..database.scratch import scratch_database
    from .session import Session, StepFailed, in_env, quiet_alembic_log

    def expected_at(session: Session) -> Any:
        from ..replay.expected import cached

        return lambda heads: cached(project, _expected_key(ctx, session, tuple(sorted(heads))))

    project = ctx.project
    revisions = _revisions(ctx)
    server_version = ctx.db.server_version if ctx.db is not None else None

    def work(session: Session) -> tuple[Result, bool]:
        revisions.expected = expected_at(session)
        stairway = Stairway(session, order, selected, revisions, rows, progress)
        result = stairway.run()
        info["steps"] = session.steps_run
        at_head = False
        if not result.not_reached:
            try:
                session.upgrade("heads")
                at_head = True
            except StepFailed:
                pass
            else:
                _remember_head(ctx, session)
        return result, at_head

    with scratch_database(live, scratch_url=scratch_url, server_version=server_version) as scratch:
        info["scratch"] = scratch.how
        with quiet_alembic_log():
            result, at_head = in_env(project, scratch.url, work)
        models = _models_at_head(ctx, scratch.url) if at_head else None
        if keep:
            from .keep import CannotKeep, keep as keep_scratch

            try:
                info["kept"] = keep_scratch(scratch)
            except CannotKeep as exc:
                info["kept_note"] = str(exc)
    return result, models


def _expected_key(ctx: Context, session: Any, heads: tuple[str, ...]) -> str:
    """The key drift and diagnose use for the schema at ``heads`` (the live database's
    dialect and server version)."""
    from ..replay.expected import path_key

    assert ctx.graph is not None
    if ctx.db is not None:
        return path_key(ctx.project, ctx.graph, heads, ctx.db.dialect, ctx.db.server_version)
    version = ".".join(str(v) for v in (session.context.dialect.server_version_info or ()))
    return path_key(ctx.project, ctx.graph, heads, session.dialect, version or None)


def _remember_head(ctx: Context, session: Any) -> None:
    """The schema at head goes to the expected-schema cache: `drift` and `diagnose` then
    replay nothing to know it (nor does the next `test` on SQLite or MySQL)."""
    from ..database.schema import snapshot
    from ..replay.expected import cached, store

    heads = tuple(sorted(session.heads))
    key = _expected_key(ctx, session, heads)
    if cached(ctx.project, key) is None:
        project = ctx.project
        store(project, key, snapshot(session.conn, {project.version_table},
                                     project.version_table_schema))


def _revisions(ctx: Context) -> Revisions:
    import re

    assert ctx.graph is not None
    graph = ctx.graph
    emptying = re.compile(r"^\s*(?:DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?"
                          r"([\w\".]+)", re.IGNORECASE)

    def location(rev: str) -> Any:
        rf = graph.file(rev)
        return ctx.location(rf, rf.function_lines.get("upgrade")) if rf is not None else None

    def intended(rev: str) -> set[str]:
        rf = graph.file(rev)
        found: set[str] = set()
        for op in rf.ops("upgrade") if rf is not None else []:
            if op.name == "drop_table" and op.table:
                found.add(op.table)
            elif op.name == "execute":
                text = op.get("sqltext")
                text = text.arg(0) if hasattr(text, "arg") else text
                if isinstance(text, str):
                    for statement in text.split(";"):
                        match = emptying.match(statement)
                        if match:
                            found.add(match.group(1).split(".")[-1].strip('"'))
        return found

    def empty_downgrade(rev: str) -> bool:
        rf = graph.file(rev)
        return bool(rf is not None and rf.downgrade_is_empty and not rf.upgrade_is_empty)

    words: dict[str, set[str]] = {}

    def mentions(rev: str, table: str) -> bool:
        if rev not in words:
            rf = graph.file(rev)
            words[rev] = set(re.findall(r"\w+", rf.text)) if rf is not None and rf.text \
                else {"*"}
        return "*" in words[rev] or table in words[rev]

    return Revisions(ctx.describe, location, intended, empty_downgrade, mentions)


# -- whole-history checks ---------------------------------------------------------------------

def _single_head(ctx: Context, report: Report, cases: list[Case]) -> None:
    heads = ctx.heads
    if len(heads) <= 1:
        cases.append(Case(C.SINGLE_HEAD.id, None, "passed"))
        return
    described = ", ".join(ctx.describe(h) for h in heads)
    report.add(Finding(C.SINGLE_HEAD.id, C.SINGLE_HEAD.severity, C.SINGLE_HEAD.title,
                       f"the history has {len(heads)} heads: {described}",
                       f'{ctx.cmd("merge heads")} -m "merge"', None, {"heads": list(heads)}))
    cases.append(Case(C.SINGLE_HEAD.id, None, "failed", 0, f"{len(heads)} heads"))


def _policy(ctx: Context, result: Result, report: Report, cases: list[Case],
            selected: set[str]) -> None:
    """Downgrades absent on purpose: once for the history, not once per revision."""
    deliberate = result.deliberate
    tested = [r for r in result.tested if r in selected]
    raising = [r for r, how in deliberate.items() if "NotImplementedError" in how]
    everywhere = bool(tested) and all(r in deliberate for r in tested)
    listed = [r for r in tested if r in deliberate] if everywhere else raising
    if not listed:
        cases.append(Case(C.NO_DOWNGRADES.id, None, "passed"))
        return
    if everywhere:  # the project does not downgrade: traces of empty downgrades are policy
        report.findings = [f for f in report.findings if not (
            f.id == C.DOWNGRADE_LEAVES_TRACE.id and f.evidence.get("revision") in deliberate)]
        for case in cases:
            if case.check == C.DOWNGRADE_LEAVES_TRACE.id and case.revision in deliberate \
                    and case.status == "failed":
                case.status, case.message = "skipped", "not downgradable by policy"
    shown = ", ".join(f"{ctx.describe(r)} ({deliberate[r].removeprefix('its ')})"
                      for r in listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
    said = ("no revision of the history can be downgraded, on purpose" if everywhere else
            f"{len(listed)} revision(s) cannot be downgraded, on purpose")
    report.add(Finding(
        C.NO_DOWNGRADES.id, C.NO_DOWNGRADES.severity, C.NO_DOWNGRADES.title,
        f"{said}: {shown}; a failed deploy can only be rolled forward past "
        f"{'them' if len(listed) > 1 else 'it'}",
        "nothing, if rolling forward is the policy (say so in the deploy runbook); else write "
        "the downgrade() functions and run migrate-doctor test again", None,
        {"revisions": listed, "how": {r: deliberate[r] for r in listed}}))
    cases.append(Case(C.NO_DOWNGRADES.id, None, "failed", 0, f"{len(listed)} revision(s)"))


def _models_at_head(ctx: Context, url: str) -> Any:
    """What autogenerate would write at head: a list of diffs, an exception, or None when
    there is nothing to compare (no models, several heads)."""
    from .autogen import would_generate

    if not ctx.has("models") or len(ctx.heads) != 1:
        return None
    diffs, error, output = would_generate(ctx.project, url)
    return error if error is not None else diffs


def _models(ctx: Context, diffs: Any, report: Report, cases: list[Case],
            result: Result) -> None:
    from ..checks.schema_drift import describe
    from ..project.exceptions import user_frame

    if diffs is None:
        if not ctx.has("models"):
            run_checks(ctx, report, ("target-metadata-missing",))
            why = "the models are not known (env.py gives no target_metadata)"
        elif len(ctx.heads) != 1:
            why = "the history has several heads"
        else:
            why = "head was not reached"
        cases.append(Case(C.MODELS_DIFFER.id, None, "skipped", 0, why))
        return
    if isinstance(diffs, BaseException):
        where = user_frame(diffs)
        text = " ".join(str(diffs).split())[:300] or type(diffs).__name__
        report.add(Finding(C.MODELS_DIFFER.id, C.MODELS_DIFFER.severity, C.MODELS_DIFFER.title,
                           f"autogenerate (what {ctx.cmd('migrate')} runs) fails at head: "
                           f"{type(diffs).__name__}: {text}", "fix what the error names, then "
                           f"run {ctx.cmd('migrate')} to see what it would write", where,
                           {"exception": type(diffs).__name__}))
        cases.append(Case(C.MODELS_DIFFER.id, None, "failed", 0, text))
        return
    if not diffs:
        cases.append(Case(C.MODELS_DIFFER.id, None, "passed"))
        return
    texts = [describe(d) for d in diffs]
    report.add(Finding(C.MODELS_DIFFER.id, C.MODELS_DIFFER.severity, C.MODELS_DIFFER.title,
                       f"at head, the schema the migrations make differs from the models in "
                       f"{len(texts)} way(s): " + "; ".join(texts[:8])
                       + (f"; and {len(texts) - 8} more" if len(texts) > 8 else ""),
                       ctx.cmd('migrate -m "describe the change"') + ", review the revision "
                       "and commit it with the models", None, {"differences": texts[:50]}))
    cases.append(Case(C.MODELS_DIFFER.id, None, "failed", 0, f"{len(texts)} difference(s)"))


def _imports(ctx: Context, report: Report, cases: list[Case]) -> None:
    from .models_import import unregistered

    if not ctx.has("models"):
        cases.append(Case(C.MODULE_NOT_IMPORTED.id, None, "skipped", 0, "no target_metadata"))
        return
    found, failures = unregistered(ctx.project)
    where = ("create_app() (e.g. `from . import models`)" if ctx.project.kind == "flask"
             else "env.py, before target_metadata is set")
    for item in found:
        what = ", ".join(item.classes) if item.classes else ", ".join(item.tables)
        report.add(Finding(
            C.MODULE_NOT_IMPORTED.id, C.MODULE_NOT_IMPORTED.severity, C.MODULE_NOT_IMPORTED.title,
            f"{item.path} maps {what}, but nothing the app loads imports it: autogenerate "
            f"cannot see {'it' if len(item.tables) == 1 else 'them'}",
            f"import {item.module} in {where}", None,
            {"module": item.module, "tables": item.tables, "classes": item.classes,
             "import_errors": failures[:10]}))
    cases.append(Case(C.MODULE_NOT_IMPORTED.id, None, "failed" if found else "passed", 0,
                      f"{len(found)} module(s)" if found else ""))
