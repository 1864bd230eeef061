"""The public Python API. Functions return Reports and raise typed errors; they never
print, never exit and never touch logging configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .checks import CHECKS, Context
from .database.url import redact
from .errors import DoctorError, MigrationsDirMissing, UsageError
from .model import DatabaseInfo, Finding, Location, ProjectInfo, Report, Severity
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
    else:
        from .project.alembic_config import load_alembic_project

        project = load_alembic_project(target.config, target.directory, run_env=run_env)
    if target.url:
        project.url, project.url_source = target.url, "the --url option"
        project.problems = [p for p in project.problems
                            if p.id not in ("database-url-missing", "database-url-invalid")]
    return project


def read_states(project: Project, *, database: bool = True) -> Context:
    """Read scripts, graph and (optionally) the database into a check Context."""
    from .scripts.directory import read_scripts
    from .scripts.graph import Graph

    ctx = Context(project)
    mdir = project.migrations_dir
    if mdir is not None and mdir.is_dir():
        ctx.scripts = read_scripts(mdir, project.version_dirs, project.recursive)
        ctx.graph = Graph(ctx.scripts)
    elif not project.has_problem("migrations-dir-missing") and not project.has_problem("app-not-found"):
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


def _report(command: str, ctx: Context) -> Report:
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


def _run_checks(ctx: Context, report: Report, ids: tuple[str, ...] | None = None) -> None:
    for entry in CHECKS.all():
        if ids is not None and entry.id not in ids:
            continue
        if ids is None and entry.options.get("command", report.command) != report.command:
            continue
        if not all(ctx.has(need) for need in entry.options.get("needs", ())):
            continue
        try:
            report.findings.extend(entry.run(ctx))
        except Exception as exc:  # noqa: BLE001 - one failing check must not hide the others
            report.add(Finding("check-failed", Severity.WARNING, "A check could not run",
                               f"the check {entry.id} failed: {type(exc).__name__}: {exc}",
                               "please report this with the output of --format json"))


def _redacted(report: Report, secrets: set[str]) -> Report:
    if not secrets:
        return report
    report.findings = [
        replace(f, message=redact(f.message, secrets),
                fix=redact(f.fix, secrets) if f.fix else f.fix,
                evidence={k: redact(v, secrets) if isinstance(v, str) else v
                          for k, v in f.evidence.items()})
        for f in report.findings]
    return report


def diagnose(target: Target | None = None, *, project: Project | None = None) -> Report:
    """The full checkup over scripts, version table, live schema and models."""
    project = project or load_project(target)
    ctx = read_states(project)
    report = _report("diagnose", ctx)
    _run_checks(ctx, report)
    return _redacted(report, project.secrets)


VERIFY_CHECKS = (
    "script-syntax-error", "script-missing-revision", "duplicate-revision-id",
    "dangling-down-revision", "revision-cycle", "multiple-heads", "revision-id-too-long",
    "database-behind", "database-unknown-revision", "database-not-versioned",
    "database-empty", "version-table-inconsistent",
)


def verify(target: Target | None = None, *, drift: bool = False,
           project: Project | None = None) -> Report:
    """The gate: passes (no error finding) only when the database is at the single head."""
    project = project or load_project(target)
    ctx = read_states(project)
    report = _report("verify", ctx)
    _run_checks(ctx, report, VERIFY_CHECKS + (("schema-drift",) if drift else ()))
    promote = {"database-empty"} | ({"schema-drift"} if drift else set())
    report.findings = [replace(f, severity=Severity.ERROR) if f.id in promote else f
                       for f in report.findings]
    if not project.url and not report.has_errors:
        report.add(Finding("database-url-missing", Severity.ERROR, "The database URL is not set",
                           "no database URL: nothing to verify",
                           "set the URL (DATABASE_URL / sqlalchemy.url) or pass --url"))
    return _redacted(report, project.secrets)


# -- lint -------------------------------------------------------------------------------

def _server_version(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        return tuple(int(p) for p in str(text).split(".") if p.isdigit())
    except ValueError:
        raise UsageError(f"--server-version {text!r} is not a version", "e.g. --server-version 16") from None


def _resolve_revision(files: list[Any], text: str) -> str:
    """A full revision id from a full or unique partial id."""
    ids = [f.revision for f in files if f.revision]
    if text in ids:
        return text
    matches = [r for r in ids if r.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    why = "matches several revisions" if matches else "matches no revision"
    raise UsageError(f"revision {text!r} {why}", "give a revision id from `flask db history`")


def lint(target: Target | None = None, *, paths: tuple[str, ...] = (), since: str | None = None,
         pending: bool = False, dialect: str | None = None, server_version: str | None = None,
         select: set[str] | None = None, ignore: set[str] | None = None,
         project: Project | None = None) -> Report:
    """Lint revision files for unsafe operations. Needs no database unless ``pending``."""
    from .checks._context import display_path
    from .config import load_config
    from .rules import RULES, active_rules, run_rules
    from .scripts import order
    from .scripts.directory import read_scripts
    from .suppress import apply_ignores, parse_ignores

    project = project or load_project(target, run_env=False)
    ctx = Context(project)
    if project.migrations_dir is not None and project.migrations_dir.is_dir():
        ctx.scripts = read_scripts(project.migrations_dir, project.version_dirs, project.recursive)
    report = Report("lint")
    blocking = [p for p in project.problems if p.id in
                ("app-not-found", "app-import-error", "migrations-dir-missing")]
    if ctx.scripts is None or blocking:
        report.findings.extend(p.to_finding() for p in blocking)
        if not blocking:
            report.add(MigrationsDirMissing("no migrations directory to lint",
                                            "run from the project root or pass --directory").to_finding())
        return _redacted(report, project.secrets)
    ordered = order.upgrade_order(ctx.scripts.readable)
    report.project = ProjectInfo(project.kind, str(project.migrations_dir), len(ordered),
                                 tuple(order.heads(ordered)), project.app_name,
                                 str(project.config_file) if project.config_file else None)
    cfg = load_config(project.migrations_dir)

    report_on: set[str] | None = None
    if paths:
        wanted = {Path(p).resolve() for p in paths}
        report_on = {f.revision for f in ordered if f.path.resolve() in wanted}
    if since:
        rev = _resolve_revision(ordered, since)
        below = order.ancestors(ordered, rev)
        after = {f.revision for f in ordered} - below
        report_on = after if report_on is None else report_on & after
    db_version: tuple[int, ...] | None = None
    if pending:
        states = read_states(project)
        if states.db is None:
            error = states.db_error or UsageError(
                "--pending needs the database, and the project has no database URL",
                "pass --url, or lint --since REV instead")
            raise error
        db_version = _server_version(states.db.server_version)
        dialect = dialect or states.db.dialect
        assert states.graph is not None
        todo = set(states.graph.upgrade_order("heads", states.db.current)) if states.graph.ok else set()
        report_on = todo if report_on is None else report_on & todo
    if cfg.start_after:
        old = order.ancestors(ordered, _resolve_revision(ordered, cfg.start_after))
        report_on = ({f.revision for f in ordered} - old) if report_on is None else report_on - old
    if dialect is None:
        dialect = project.dialect
        if dialect is None and project.kind == "alembic":
            from .project.alembic_config import _run_env_offline

            _run_env_offline(project)
            dialect = project.dialect
    version = _server_version(server_version) or db_version
    if version is None and dialect == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version_info
    env_py = project.migrations_dir / "env.py"
    env_source = env_py.read_text(encoding="utf-8", errors="replace") if env_py.is_file() else ""

    # files that do not parse are findings too
    broken = [f for f in ctx.scripts.files if f.problem is not None and
              (not paths or f.path.resolve() in {Path(p).resolve() for p in paths})]
    if broken:
        _run_checks(Context(project, scripts=type(ctx.scripts)(ctx.scripts.migrations_dir,
                                                             ctx.scripts.version_dirs, broken)),
                    report, ("script-syntax-error",))
    chosen_select = select if select else cfg.select  # the command line replaces the config
    chosen_ignore = (ignore or set()) | cfg.ignore
    findings = run_rules(ordered, report_on=report_on, dialect=dialect, server_version=version,
                         env_source=env_source, select=chosen_select, ignore=chosen_ignore)
    findings = [replace(f, severity=cfg.severity[f.id]) if f.id in cfg.severity else f
                for f in findings]
    findings.extend(_duplicate_ids(ctx.scripts.readable, report_on))
    ignores = []
    for f in ordered:
        if report_on is None or f.revision in report_on:
            ignores.extend(parse_ignores(display_path(f.path), f.text))
    ran = {e.id for e in active_rules(dialect, chosen_select, chosen_ignore)}
    known = {e.id for e in RULES.all()}
    report.findings.extend(apply_ignores(findings, ignores, ran, known))
    report.extra["lint"] = {"dialect": dialect, "server_version":
                            ".".join(map(str, version)) if version else None,
                            "revisions_checked": len(report_on) if report_on is not None else len(ordered)}
    return _redacted(report, project.secrets)


def _duplicate_ids(files: list[Any], report_on: set[str] | None) -> list[Finding]:
    """Lint reads one file per revision id; say so when another file declares it too."""
    from .checks._context import display_path

    first: dict[str, Any] = {}
    out = []
    for f in files:
        rev = f.revision
        if rev in first and (report_on is None or rev in report_on):
            entry = CHECKS.get("duplicate-revision-id")
            assert entry is not None
            out.append(Finding(entry.id, entry.severity, entry.title,
                               f"revision {rev} is declared by {display_path(first[rev].path)} "
                               f"and {display_path(f.path)}: only the first was linted",
                               f"give {display_path(f.path)} a new revision id, or delete the copy",
                               Location(display_path(f.path), f.lines.get("revision")),
                               {"revision": rev}))
        first.setdefault(rev, f)
    return out


# -- plan -------------------------------------------------------------------------------

def plan(target: Target | None = None, *, revision_range: str | None = None,
         project: Project | None = None) -> Report:
    """Split revisions into what runs before the new code and what runs after the old
    code is retired; mixed revisions must be split first."""
    from .scripts.phases import revision_phase

    project = project or load_project(target)
    ctx = read_states(project, database=revision_range is None)
    report = _report("plan", ctx)
    # Only the pending revisions need the database: with a range, a project that has no URL
    # still plans, and without one the UsageError below says what is missing. A URL missing
    # because the app or env.py failed to load (evidence["exception"]) stays a finding.
    report.findings = [f for f in report.findings if not (
        f.id == "database-url-missing" and "exception" not in f.evidence)]
    if ctx.graph is None or not ctx.graph.ok:
        _run_checks(ctx, report, ("script-syntax-error", "duplicate-revision-id",
                                  "dangling-down-revision", "revision-cycle"))
        return _redacted(report, project.secrets)
    if revision_range:
        lower, _, upper = revision_range.partition(":")
        upper = upper or "heads"
        try:
            lower_arg: Any = "base" if lower in ("", "base") else (_resolve_revision(
                list(ctx.graph.files.values()), lower),)
            ctx.selected = ctx.graph.upgrade_order(upper, lower_arg)
            if lower_arg != "base" and lower_arg[0] not in ctx.graph.ancestors(upper):
                raise UsageError(f"the range {revision_range!r} is backwards or crosses "
                                 f"branches: {lower_arg[0]} is not below {upper}",
                                 "give the older revision first: plan OLD:NEW")
        except DoctorError:
            raise
        except Exception as exc:  # alembic's ResolutionError and friends
            raise UsageError(f"cannot read the range {revision_range!r}: {exc}",
                             "give it as REV:REV, base:head or REV: (up to the heads)") from None
    elif ctx.db is not None:
        current = ctx.db.current
        if any(r not in ctx.graph.files for r in current):
            _run_checks(ctx, report, ("database-unknown-revision",))
            return _redacted(report, project.secrets)
        ctx.selected = ctx.graph.upgrade_order("heads", current)
    else:
        if not report.has_errors:
            raise UsageError("plan needs the pending revisions (a database) or a range",
                             "pass --url, or a range such as `plan base:head`")
        return _redacted(report, project.secrets)
    phases = {rev: revision_phase(ctx.graph.files[rev].operations) for rev in ctx.selected}
    before, after, split = [], [], []
    contract_seen = False
    for rev in ctx.selected:
        phase = phases[rev]
        if phase.value == "mixed":
            split.append(rev)
            contract_seen = True
        elif phase.value == "contract" or contract_seen:
            after.append(rev)
            contract_seen = contract_seen or phase.value == "contract"
            if phase.value == "expand":
                report.add(Finding(
                    "expand-after-contract", Severity.WARNING, "An expand step waits behind a contract step",
                    f"revision {rev} adds to the schema but comes after a contract revision, so it "
                    "cannot run before the new code is deployed",
                    "move it before the contract revision (change down_revision), or deploy in two "
                    "steps", None, {"revision": rev}))
        else:
            before.append(rev)
    report.extra["plan"] = {"before_deploy": before, "after_deploy": after, "split_first": split,
                            "phases": {rev: phases[rev].value for rev in ctx.selected}}
    _run_checks(ctx, report, ("contract-still-mapped", "multiple-heads"))
    return _redacted(report, project.secrets)


def rules() -> list[Any]:
    """Every lint rule's registry entry (id, severity, title, doc)."""
    from .rules import RULES

    return sorted(RULES.all(), key=lambda e: e.id)
