"""What every command starts from: the project (a Flask app or an alembic.ini), its states
read into a check Context, checks run into a Report, secrets scrubbed from it."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .checks import CHECKS, Context
from .database.url import redact
from .errors import DoctorError, MigrationsDirMissing
from .model import DatabaseInfo, Finding, ProjectInfo, Report, Severity
from .project.loaded import Project


@dataclass
class Target:
    """How to find the project: a Flask app, an alembic.ini, or Flask's ScriptInfo."""

    app: str | None = None
    config: str | None = None
    directory: str | None = None
    url: str | None = None
    script_info: Any = None  # flask.cli.ScriptInfo, when run as `flask db ...`

    @property
    def kind(self) -> str:
        if self.script_info is not None or self.app:
            return "flask"
        if self.config:
            return "alembic"
        if os.environ.get("FLASK_APP"):
            return "flask"
        if Path("alembic.ini").is_file():
            return "alembic"
        if Path("app.py").is_file() or Path("wsgi.py").is_file():
            return "flask"
        return "alembic"


def load_project(target: Target | None = None, *, run_env: bool = True) -> Project:
    """Load the project. Problems met while loading are kept in ``project.problems``."""
    target = target or Target()
    if target.kind == "flask":
        from .project.flask_app import load_flask_project

        info = target.script_info
        if info is None:
            from flask.cli import ScriptInfo

            info = ScriptInfo(app_import_path=target.app or os.environ.get("FLASK_APP"))
        project = load_flask_project(info, target.directory)
        if target.url:
            project.url, project.url_source = target.url, "the --url option"
            project.url_override = target.url
    else:
        from .project.alembic_config import load_alembic_project

        project = load_alembic_project(target.config, target.directory, run_env=run_env,
                                       url=target.url)
    if target.url:
        project.problems = [p for p in project.problems
                            if p.id not in ("database-url-missing", "database-url-invalid")]
    return project


def read_states(project: Project, *, database: bool = True) -> Context:
    """Read scripts, graph and (optionally) the database into a check Context."""
    from .scripts.directory import read_scripts
    from .scripts.graph import Graph

    project.ensure_env()
    ctx = Context(project)
    mdir = project.migrations_dir
    if mdir is not None and mdir.is_dir():
        ctx.scripts = read_scripts(mdir, project.version_dirs, project.recursive)
        ctx.graph = Graph(ctx.scripts)
    elif not any(project.has_problem(i) for i in ("migrations-dir-missing", "app-not-found",
                                                   "config-invalid")):
        where = mdir or Path("migrations").resolve()
        project.problems.append(MigrationsDirMissing(
            f"the migrations directory {os.path.relpath(where)} does not exist",
            f"run from the project root, pass --directory, or create it with {project.cmd('init')}"))
    blocked = {"database-url-missing", "database-url-invalid", "app-import-error", "app-not-found"}
    if database and project.url and not any(p.id in blocked for p in project.problems):
        from .database.state import read_database

        try:
            ctx.db = read_database(project.url, project.version_table,
                                   project.version_table_schema, project.engine_options)
        except DoctorError as exc:
            ctx.db_error = exc
    return ctx


def base_report(command: str, ctx: Context) -> Report:
    project = ctx.project
    info = ProjectInfo(
        kind=project.kind,
        migrations=str(project.migrations_dir) if project.migrations_dir else None,
        revisions=len(ctx.scripts.readable) if ctx.scripts else 0,
        heads=ctx.heads, app=project.app_name,
        config_file=str(project.config_file) if project.config_file else None)
    database = None
    if project.url:
        database = DatabaseInfo(project.masked_url, ctx.db.dialect if ctx.db else (project.dialect or ""),
                                ctx.db.current if ctx.db else (), ctx.db.server_version if ctx.db else None)
    report = Report(command, info, database)
    for problem in project.problems + ([ctx.db_error] if ctx.db_error else []):
        report.add(problem.to_finding())
    return report


def run_checks(ctx: Context, report: Report, ids: tuple[str, ...] | None = None, *,
               failed: Severity = Severity.WARNING) -> list[str]:
    """Run the checks (all of the command's, or ``ids``) into the report. A check that
    crashes becomes a ``check-failed`` finding of severity ``failed`` (a gate passes
    ERROR: what could not be checked is not ok). Returns the ids of the checks skipped
    because a state they need is missing."""
    from .project.user_code import run_user_code

    skipped: list[str] = []
    for entry in CHECKS.all():
        if ids is not None and entry.id not in ids:
            continue
        if ids is None and entry.options.get("command", report.command) != report.command:
            continue
        if not all(ctx.has(need) for need in entry.options.get("needs", ())):
            skipped.append(entry.id)
            continue
        # checks may call user code (env.py's include_object, ...): nothing it does escapes
        outcome = run_user_code(lambda: list(entry.run(ctx)), f"the check {entry.id}")
        if outcome.error is None:
            report.findings.extend(outcome.value or ())
            continue
        exc = outcome.error
        report.add(Finding("check-failed", failed, "A check could not run",
                           f"the check {entry.id} failed: {type(exc).__name__}: {exc}",
                           "run it again; if it fails again, report it with the output of "
                           "--format json",
                           evidence={"check": entry.id, "exception": type(exc).__name__}))
    return skipped


def redacted(report: Report, secrets: set[str]) -> Report:
    if not secrets:
        return report
    report.findings = [
        replace(f, message=redact(f.message, secrets),
                fix=redact(f.fix, secrets) if f.fix else f.fix,
                evidence={k: redact(v, secrets) if isinstance(v, str) else v
                          for k, v in f.evidence.items()})
        for f in report.findings]
    return report
