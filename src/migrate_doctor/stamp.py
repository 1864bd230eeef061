"""Writing commands that put a database under the right revision, each proving itself first:

- ``stamp REV`` (guarded): stamps only when the live schema equals the schema the
  migrations make at REV; ``force`` overrides, and the report says what was overridden.
  Rows of unknown revisions are replaced (Flask-Migrate's ``--purge``).
- ``adopt``: a database with tables and no version table. With a history, the revision
  whose schema equals the live one is stamped; with none, a baseline revision is generated
  by autogenerate against an EMPTY scratch database, replayed, proven equal to the live
  schema, and stamped. When they differ, the differences are shown and the database is
  not touched.

Both say what they will do (``announce``) before doing it; ``dry_run`` stops there. The
only write to the live database is the version table's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .database.schema import differences, snapshot
from .errors import DoctorError, UsageError
from .model import Finding, Report, Severity
from .project.loaded import Project
from .states import Context, Target, base_report, load_project, read_states, redacted

Announce = Callable[[list[str]], None]


def _refuse(report: Report, fid: str, title: str, message: str, fix: str,
            evidence: dict[str, Any]) -> Report:
    report.add(Finding(fid, Severity.ERROR, title, message, fix, None, evidence))
    return report


def _resolve(ctx: Context, revision: str) -> tuple[str, ...]:
    assert ctx.graph is not None
    if revision in ("head", "heads"):
        if revision == "head" and len(ctx.graph.heads) > 1:
            raise UsageError(f"the history has {len(ctx.graph.heads)} heads",
                             "stamp one of them, or `heads`")
        return tuple(ctx.graph.heads)
    from .scripts.order import resolve_revision

    return (resolve_revision(list(ctx.graph.files), revision, ctx.cmd("history")),)


def _live(ctx: Context) -> dict[str, Any]:
    assert ctx.db is not None and ctx.db.engine is not None
    with ctx.db.engine.connect() as conn:
        schema = snapshot(conn, {ctx.project.version_table}, ctx.project.version_table_schema)
        conn.rollback()
    return schema


def write_version(project: Project, revisions: tuple[str, ...]) -> list[str]:
    """Replace the version table's rows by ``revisions`` (creating the table as Alembic
    does); returns the rows it held."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import column, create_engine, delete, insert, select, table
    from sqlalchemy.pool import NullPool

    engine = create_engine(project.url or "", poolclass=NullPool)
    try:
        with engine.begin() as conn:
            context = MigrationContext.configure(conn, opts={
                "version_table": project.version_table,
                "version_table_schema": project.version_table_schema})
            context._ensure_version_table()  # noqa: SLF001 - Alembic's own table definition
            vt = table(project.version_table, column("version_num"),
                       schema=project.version_table_schema)
            before = [r[0] for r in conn.execute(select(vt.c.version_num))]
            conn.execute(delete(vt))
            for rev in revisions:
                conn.execute(insert(vt).values(version_num=rev))
        return before
    finally:
        engine.dispose()


def stamp(target: Target | None = None, revision: str = "heads", *, force: bool = False,
          scratch_url: str | None = None, dry_run: bool = False,
          announce: Announce | None = None, project: Project | None = None) -> Report:
    """The guarded stamp."""
    from .drift import scratch_factory
    from .replay.expected import Expected

    project = project or load_project(target)
    ctx = read_states(project)
    report = base_report("stamp", ctx)
    if ctx.db is None or ctx.graph is None or not ctx.graph.ok or ctx.db.engine is None:
        return redacted(report, project.secrets)
    wanted = _resolve(ctx, revision)
    factory = scratch_factory(project, project.url or "", scratch_url, ctx.db.server_version)
    try:
        with Expected(project, ctx.graph, ctx.db.dialect, ctx.db.server_version, factory) as exp:
            expected = exp.at(wanted)
    except DoctorError as exc:
        report.add(exc.to_finding())
        return redacted(report, project.secrets)
    diffs = differences(expected, _live(ctx))
    shown = [str(d) for d in diffs]
    report.extra["stamp"] = {"revisions": list(wanted), "before": list(ctx.db.current),
                             "differences": shown, "forced": bool(diffs and force),
                             "written": False}
    if diffs and not force:
        return redacted(_refuse(
            report, "stamp-refused", "The live schema is not that revision's",
            f"the live schema differs from what the migrations make at {', '.join(wanted)} in "
            f"{len(diffs)} way(s): {'; '.join(shown[:8])}; stamping would make every later "
            "revision run against a schema it does not expect",
            "find the revision the schema is (`migrate-doctor diagnose` names it), fix the "
            "differences, or pass --force if you know better (it will be reported)",
            {"differences": shown}), project.secrets)
    actions = [f"set {project.version_table} of {project.masked_url} to {', '.join(wanted)} "
               f"(was: {', '.join(ctx.db.current) or 'empty'})"]
    if diffs:
        actions.insert(0, f"--force: stamping although the live schema differs in "
                          f"{len(diffs)} way(s)")
    _do(report, actions, dry_run, announce, lambda: write_version(project, wanted))
    if diffs and force:
        report.add(Finding("stamp-forced", Severity.WARNING, "Stamped over differences",
                           f"stamped {', '.join(wanted)} although the live schema differs: "
                           + "; ".join(shown[:8]), "migrate-doctor drift shows them again",
                           None, {"differences": shown}))
    return redacted(report, project.secrets)


def _do(report: Report, actions: list[str], dry_run: bool, announce: Announce | None,
        write: Callable[[], Any]) -> None:
    report.extra.setdefault("actions", []).extend(actions)
    report.extra["dry_run"] = dry_run
    if announce is not None:
        announce(actions)
    if dry_run:
        return
    write()
    if "stamp" in report.extra:
        report.extra["stamp"]["written"] = True


def adopt(target: Target | None = None, *, message: str = "baseline",
          scratch_url: str | None = None, dry_run: bool = False,
          announce: Announce | None = None, project: Project | None = None) -> Report:
    """Put an existing database under migrations, proven before anything is written."""
    from .replay.match import match_schema

    project = project or load_project(target)
    ctx = read_states(project)
    ctx.replay_allowed = True
    report = base_report("adopt", ctx)
    # a missing migrations directory is what adopt creates, not a reason to stop
    report.findings = [f for f in report.findings if f.id != "migrations-dir-missing"]
    if ctx.db is None or ctx.db.engine is None:
        return redacted(report, project.secrets)
    if ctx.db.version_table_exists and ctx.db.current:
        return redacted(_refuse(
            report, "adopt-refused", "The database is already under migrations",
            f"{project.version_table} holds {', '.join(ctx.db.current)}: nothing to adopt",
            f"{ctx.cmd('upgrade')} to bring it to head", {}), project.secrets)
    if not ctx.db.tables:
        return redacted(_refuse(
            report, "adopt-refused", "The database has no tables",
            "an empty database needs no adopting", f"{ctx.cmd('upgrade')}", {}), project.secrets)
    try:
        if ctx.graph is not None and ctx.graph.ok and ctx.graph.files:
            match = match_schema(ctx)
            if match is None or not match.exact:
                shown = [str(d) for d in (match.differences if match else [])]
                return redacted(_refuse(
                    report, "adopt-refused", "No revision's schema equals the live one",
                    "the live schema is none of the history's revisions"
                    + (f"; closest: {match.revision}, {len(shown)} difference(s): "
                       f"{'; '.join(shown[:8])}" if match else ""),
                    "make the database match a revision (or write one that matches it); "
                    "nothing was written", {"differences": shown}), project.secrets)
            rev = (match.revision,)
            report.extra["adopt"] = {"revision": match.revision, "generated": None}
            _do(report, [f"stamp {project.masked_url} at {match.revision} (its schema equals "
                         f"the live one {match.said()})"], dry_run, announce,
                lambda: write_version(project, rev))
            return redacted(report, project.secrets)
        return redacted(_adopt_new(ctx, report, message, scratch_url, dry_run, announce),
                        project.secrets)
    except DoctorError as exc:
        report.add(exc.to_finding())
        return redacted(report, project.secrets)


def _adopt_new(ctx: Context, report: Report, message: str, scratch_url: str | None,
               dry_run: bool, announce: Announce | None) -> Report:
    """No history yet: a baseline revision from the models, generated against an empty
    scratch database, replayed and proven equal to the live schema, then stamped."""
    from .drift import scratch_factory
    from .replay.expected import Expected
    from .replay.runner import autogenerate
    from .scripts.directory import read_scripts
    from .scripts.graph import Graph

    project = ctx.project
    assert ctx.db is not None
    mdir = project.migrations_dir
    steps = []
    if mdir is None or not (mdir / "env.py").is_file():
        steps.append(f"create the migrations directory {mdir or 'migrations'} "
                     f"(as {project.cmd('init')} would)")
    steps += ["generate a baseline revision from the models against an empty scratch database",
              "replay it in another scratch database and compare with the live schema",
              f"stamp {project.masked_url} at the baseline if they are equal"]
    report.extra["dry_run"] = dry_run
    if dry_run:
        report.extra["actions"] = steps
        if announce is not None:
            announce(steps)
        return report
    if announce is not None:
        announce(steps)
    if mdir is None or not (mdir / "env.py").is_file():
        _init(project)
        mdir = project.migrations_dir
    live_url = project.url or ""
    created = autogenerate(project, scratch_factory(project, live_url, scratch_url,
                                                    ctx.db.server_version), message)
    scripts = read_scripts(mdir, project.version_dirs or [mdir / "versions"], project.recursive)
    graph = Graph(scripts)
    with Expected(project, graph, ctx.db.dialect, ctx.db.server_version,
                  scratch_factory(project, live_url, scratch_url, ctx.db.server_version)) as exp:
        expected = exp.at(tuple(graph.heads))
    diffs = differences(expected, _live(ctx))
    report.extra["adopt"] = {"generated": str(created), "revision": graph.heads[0]
                             if graph.heads else None, "differences": [str(d) for d in diffs]}
    if diffs:
        created.unlink(missing_ok=True)
        return _refuse(report, "adopt-refused", "The models do not describe the live database",
                       f"the baseline generated from the models differs from the live schema "
                       f"in {len(diffs)} way(s): {'; '.join(str(d) for d in diffs[:8])}; the "
                       "generated revision was removed and the database was not touched",
                       "make the models match the database (or the database the models), "
                       "then adopt again", {"differences": [str(d) for d in diffs]})
    write_version(project, tuple(graph.heads))
    report.extra["actions"] = steps
    return report


def _init(project: Project) -> None:
    """Create the migrations directory the way the project's tool would."""
    if project.kind == "flask" and project.app is not None:
        import flask_migrate

        from .project.user_code import run_user_code

        def init() -> None:
            with project.app.app_context():
                flask_migrate.init(str(project.migrations_dir or "migrations"))

        outcome = run_user_code(init, "flask db init")  # its progress lines stay off stdout
        if outcome.error is not None:
            raise UsageError(f"creating the migrations directory failed: {outcome.error}",
                             f"run {project.cmd('init')} yourself, then adopt again")
        project.version_dirs = [project.migrations_dir / "versions"] \
            if project.migrations_dir else []
        return
    raise UsageError("there is no migrations directory to put the baseline in",
                     "create it first: alembic init migrations (then point env.py's "
                     "target_metadata at the models)")


__all__ = ["adopt", "stamp", "write_version"]
