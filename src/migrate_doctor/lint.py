"""`lint`: unsafe operations in revision files. Needs no database unless asked for the
pending revisions, and imports neither SQLAlchemy nor a SQL parser unless it must."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .checks._context import display_path
from .errors import MigrationsDirMissing, UsageError
from .model import ProjectInfo, Report
from .project.loaded import Project
from .scripts import order
from .scripts.revision_file import RevisionFile
from .states import Context, Target, load_project, read_states, redacted, run_checks

# checks over the files themselves, which lint reports too
SCRIPT_CHECKS = ("versions-dir-unreadable", "script-syntax-error", "script-missing-revision",
                 "duplicate-revision-id")


def lint(target: Target | None = None, *, paths: tuple[str, ...] = (), since: str | None = None,
         pending: bool = False, dialect: str | None = None, server_version: str | None = None,
         select: set[str] | None = None, ignore: set[str] | None = None,
         project: Project | None = None) -> Report:
    """Lint revision files for unsafe operations."""
    from .config import load_config
    from .rules import RULES, active_rules, run_rules
    from .scripts.directory import read_scripts
    from .suppress import apply_ignores, parse_ignores

    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"{missing[0]} does not exist" + (
            f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
            "pass revision files that exist (relative to the current directory), or no "
            "path to lint them all")
    project = project or load_project(target, run_env=False)
    report = Report("lint")
    blocking = [p for p in project.problems
                if p.id in ("app-not-found", "app-import-error", "migrations-dir-missing")]
    mdir = project.migrations_dir
    if blocking or mdir is None or not mdir.is_dir():
        report.findings.extend(p.to_finding() for p in blocking)
        if not blocking:
            report.add(MigrationsDirMissing("no migrations directory to lint",
                                            "run from the project root or pass --directory").to_finding())
        return redacted(report, project.secrets)
    ctx = Context(project, scripts=read_scripts(mdir, project.version_dirs, project.recursive))
    assert ctx.scripts is not None
    ordered = order.upgrade_order(ctx.scripts.readable)
    report.project = ProjectInfo(project.kind, str(mdir), len(ordered),
                                 tuple(order.heads(ordered)), project.app_name,
                                 str(project.config_file) if project.config_file else None)
    cfg = load_config(mdir)
    ids = [f.revision for f in ordered if f.revision]

    report_on: set[str] | None = None
    wanted = {Path(p).resolve() for p in paths}
    if paths:
        report_on = {f.revision for f in ordered if f.path.resolve() in wanted}
    if since:
        first = order.resolve_revision(ids, since, project.cmd("history"))
        after = set(ids) - order.ancestors(ordered, first)
        report_on = after if report_on is None else report_on & after
    db_version: tuple[int, ...] | None = None
    if pending:
        states = read_states(project)  # the URL every command uses (env.py's included)
        if states.db is None:
            loading = [p for p in project.problems
                       if p.severity.value == "error" and p.id != "database-url-missing"]
            raise states.db_error or (loading[0] if loading else UsageError(
                "--pending needs the database, and the project has no database URL",
                "pass --url, or lint --since REV instead"))
        db_version = parse_version(states.db.server_version)
        dialect = dialect or states.db.dialect
        assert states.graph is not None
        todo = set(states.graph.upgrade_order("heads", states.db.current)) if states.graph.ok else set()
        report_on = todo if report_on is None else report_on & todo
    if cfg.start_after:
        baseline = order.resolve_revision(ids, cfg.start_after, project.cmd("history"))
        old = order.ancestors(ordered, baseline)
        report_on = (set(ids) - old) if report_on is None else report_on - old
    if dialect is None and project.dialect is None:
        project.ensure_env()  # the URL may be set by env.py only
    dialect = dialect or project.dialect
    version = parse_version(server_version, "--server-version") or db_version
    if version is None and dialect == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version_info
    env_py = mdir / "env.py"
    env_source = env_py.read_text(encoding="utf-8", errors="replace") if env_py.is_file() else ""

    def in_scope(f: RevisionFile) -> bool:
        if paths:
            return f.path.resolve() in wanted
        return report_on is None or not f.revision or f.revision in report_on

    scope = {display_path(f.path) for f in ctx.scripts.files if in_scope(f)}
    script_report = Report("lint")
    run_checks(ctx, script_report, SCRIPT_CHECKS)
    report.findings.extend(f for f in script_report.findings
                           if f.location is None or f.location.path in scope)

    chosen_select = select if select else cfg.select  # the command line replaces the config
    chosen_ignore = (ignore or set()) | cfg.ignore
    findings = run_rules(ordered, report_on=report_on, dialect=dialect, server_version=version,
                         env_source=env_source, select=chosen_select, ignore=chosen_ignore)
    findings = [replace(f, severity=cfg.severity[f.id]) if f.id in cfg.severity else f
                for f in findings]
    ignores = [ig for f in ordered if in_scope(f)
               for ig in parse_ignores(display_path(f.path), f.text)]
    ran = {e.id for e in active_rules(dialect, chosen_select, chosen_ignore)}
    report.findings.extend(apply_ignores(findings, ignores, ran, {e.id for e in RULES.all()}))
    report.extra["lint"] = {
        "dialect": dialect, "server_version": ".".join(map(str, version)) if version else None,
        "revisions_checked": len(report_on) if report_on is not None else len(ordered)}
    return redacted(report, project.secrets)


def parse_version(text: str | None, option: str | None = None) -> tuple[int, ...] | None:
    """``"16"``, ``"3.45.1"`` or a server's ``"16.2"`` -> a version tuple."""
    if not text:
        return None
    m = re.match(r"\s*(\d+(?:\.\d+)*)", str(text))
    if m is None:
        if option is None:
            return None
        raise UsageError(f"{option} {text!r} is not a version", f"e.g. {option} 16")
    return tuple(int(p) for p in m.group(1).split("."))
