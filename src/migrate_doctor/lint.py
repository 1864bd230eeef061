"""`lint`: unsafe operations in revision files. Needs no database unless asked for the
pending revisions, and imports neither SQLAlchemy nor a SQL parser unless it must."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .checks._context import display_path
from .errors import MigrationsDirMissing, UsageError
from .model import Finding, Location, ProjectInfo, Report
from .project.loaded import Project
from .scripts import order
from .rules._project import ProjectFacts
from .scripts.revision_file import RevisionFile
from .states import Context, Target, load_project, read_states, redacted, run_checks

# checks over the files themselves, which lint reports too
SCRIPT_CHECKS = ("versions-dir-unreadable", "script-syntax-error", "script-missing-revision",
                 "duplicate-revision-id")


def lint(target: Target | None = None, *, paths: tuple[str, ...] = (), since: str | None = None,
         pending: bool = False, dialect: str | None = None, server_version: str | None = None,
         select: set[str] | None = None, ignore: set[str] | None = None,
         project: Project | None = None, trace: bool = False,
         scratch_url: str | None = None, deploy: str | None = None) -> Report:
    """Lint revision files for unsafe operations. ``trace``: check the findings by running
    each linted revision on a scratch PostgreSQL (``scratch_url``, see trace/). ``deploy``
    ("online" or "stopped") replaces the project's ``deploy`` setting."""
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
    if trace:
        dialect = _trace_dialect(dialect, scratch_url)
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
    _known_rules(chosen_select, "--select" if select else f"select in {cfg.path}")
    _known_rules(ignore or set(), "--ignore")
    _known_rules(cfg.ignore, f"ignore in {cfg.path}")
    _known_rules(set(cfg.severity), f"[tool.migrate-doctor.severity] in {cfg.path}")
    facts = ProjectFacts.read(env_source, project_sources(project, mdir), _metadata(project))
    chosen_deploy = deploy or cfg.deploy
    if chosen_deploy not in ("online", "stopped"):
        raise UsageError(f"deploy must be \"online\" or \"stopped\", not {chosen_deploy!r}",
                         'deploy = "stopped"')
    findings = run_rules(ordered, report_on=report_on, dialect=dialect, server_version=version,
                         select=chosen_select, ignore=chosen_ignore, facts=facts,
                         deploy=chosen_deploy)
    findings = [replace(f, severity=cfg.severity[f.id]) if f.id in cfg.severity else f
                for f in findings]
    if trace:
        from .trace import TRACE_IDS, trace_findings

        findings, report.extra["trace"] = trace_findings(
            findings, project=project, files=ordered, in_scope=in_scope,
            scratch_url=scratch_url, env_source=env_source,
            lock_timeout_in_env=facts.lock_timeout)
        findings = [f for f in findings if f.id not in TRACE_IDS or (
            f.id not in chosen_ignore and (not chosen_select or f.id in chosen_select))]
    ignores = [ig for f in ordered if in_scope(f)
               for ig in parse_ignores(display_path(f.path), f.text)]
    ran = {e.id for e in active_rules(dialect, chosen_select, chosen_ignore, chosen_deploy)}
    from .trace.findings import TRACE_IDS as trace_ids

    ran |= trace_ids if trace else set()
    findings = apply_ignores(findings, ignores, ran, {e.id for e in RULES.all()} | trace_ids)
    # a cause in env.py is one finding there; a lint of given files (pre-commit) keeps
    # each file's own findings
    report.findings.extend(findings if paths else _causes_in_env(findings, env_py))
    if trace:
        from .trace.judged import annotate_grouped

        annotate_grouped(report.findings, findings)
    report.extra["lint"] = {
        "dialect": dialect, "server_version": ".".join(map(str, version)) if version else None,
        "deploy": chosen_deploy,
        "revisions_checked": len(report_on) if report_on is not None else len(ordered)}
    if not (cfg.start_after or since or pending or paths):
        hint = _baseline_hint(report.findings, ordered, cfg.path or mdir.parent)
        if hint is not None:
            report.extra["lint"]["baseline"] = hint
    return redacted(report, project.secrets)


def _known_rules(ids: set[str] | None, where: str) -> None:
    from .rules import RULES
    from .trace.findings import TRACE_IDS

    known = {e.id for e in RULES.all()} | TRACE_IDS
    unknown = sorted(set(ids or ()) - known)
    if unknown:
        raise UsageError(f"{where} names no rule: {', '.join(unknown)}",
                         "`migrate-doctor rules` lists the rule ids")


def _trace_dialect(dialect: str | None, scratch_url: str | None) -> str:
    """--trace runs the revisions on PostgreSQL: the target must be PostgreSQL (or unknown,
    with a PostgreSQL --scratch-url)."""
    from .database.url import dialect_of

    if dialect is None and scratch_url and dialect_of(scratch_url) == "postgresql":
        return "postgresql"
    if dialect != "postgresql":
        raise UsageError(f"--trace needs PostgreSQL; the target is {dialect or 'unknown'}",
                         "lint without --trace, or pass --dialect postgresql for a project "
                         "deployed on PostgreSQL")
    return dialect


def _metadata(project: Project) -> object:
    """The models' MetaData when the project already loaded them (a Flask app): never
    runs env.py or imports anything for lint."""
    return project.metadata() if project.kind == "flask" and not project.problems else None


def project_sources(project: Project, mdir: Path, limit: int = 200) -> str:
    """The text of the project's own modules env.py imports (where the models, the
    MetaData and the engine set-up live), and of a Flask app's package: what the rules read
    for settings that apply to every revision (SQLite foreign keys, naming conventions)."""
    import ast

    roots = [mdir.parent, Path.cwd(), *([project.config_file.parent] if project.config_file else [])]
    files: list[Path] = []
    env_py = mdir / "env.py"
    try:
        tree = ast.parse(env_py.read_bytes()) if env_py.is_file() else None
    except (SyntaxError, ValueError, OSError):
        tree = None
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
               and not n.level] if tree is not None else []
    modules += [a.name for n in (ast.walk(tree) if tree is not None else ())
                if isinstance(n, ast.Import) for a in n.names]
    if project.kind == "flask" and project.app_name:
        modules.append(project.app_name.split(":", 1)[0].removesuffix(".py").replace("/", "."))
    for module in modules:
        parts = module.split(".")
        for root in roots:
            for candidate in (root.joinpath(*parts).with_suffix(".py"),
                              root.joinpath(*parts, "__init__.py")):
                if candidate.is_file() and candidate not in files:
                    files.append(candidate)
                    if candidate.name == "__init__.py":  # the package's own modules
                        files.extend(p for p in sorted(candidate.parent.glob("*.py"))
                                     if p not in files)
    texts = []
    for path in files[:limit]:
        try:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return "\n".join(texts)


def _causes_in_env(findings: list[Finding], env_py: Path) -> list[Finding]:
    """A rule whose cause is env.py (registered with ``cause="env.py"``) is reported once,
    at env.py, naming the revisions it affects; its per-revision findings become evidence."""
    from .rules import RULES

    if not env_py.is_file():
        return findings
    out: list[Finding] = []
    grouped: dict[str, list[Finding]] = {}
    for f in findings:
        entry = RULES.get(f.id)
        if entry is not None and entry.options.get("cause") == "env.py":
            grouped.setdefault(f.id, []).append(f)
        else:
            out.append(f)
    for rule_id, found in grouped.items():
        entry = RULES.get(rule_id)
        assert entry is not None
        revisions = [f.evidence.get("revision") for f in found]
        shown = ", ".join(str(r) for r in revisions[:5]) + (
            f" and {len(revisions) - 5} more" if len(revisions) > 5 else "")
        out.append(Finding(
            rule_id, found[0].severity, entry.title,
            entry.options["env_message"].format(count=len(found), revisions=shown)
            + f"; e.g. {found[0].message}",
            entry.options["env_fix"], Location(display_path(env_py), _connection_line(env_py)),
            {"revisions": revisions, "count": len(found),
             "findings": [{"path": f.location.path if f.location else None,
                           "line": f.location.line if f.location else None,
                           "message": f.message} for f in found]}))
    return out


def _connection_line(env_py: Path) -> int:
    """The line of env.py where the connection for the migrations is opened (where a
    setting for every revision goes), else run_migrations_online(), else 1."""
    lines = env_py.read_text(encoding="utf-8", errors="replace").splitlines()
    for pattern in (".connect()", "def run_migrations_online", "def do_run_migrations"):
        for number, line in enumerate(lines, 1):
            if pattern in line:
                return number
    return 1


def _baseline_hint(findings: list[Finding], ordered: list[RevisionFile],
                   where: Path) -> dict[str, object] | None:
    """Findings in revisions before the newest: if those are already deployed, nothing can
    be changed in them; the exact pyproject.toml lines that make lint judge only what
    comes after the current head."""
    if not ordered:
        return None
    newest = {ordered[-1].revision} | set(order.heads(ordered))
    old = {f.evidence.get("revision") for f in findings
           if f.location is not None and f.evidence.get("revision")} - newest - {None}
    if len(old) < 2:
        return None
    heads = order.heads(ordered)
    head = heads[0] if len(heads) == 1 else ordered[-1].revision
    target = where if where.name == "pyproject.toml" else where / "pyproject.toml"
    return {"revisions": len(old), "pyproject": display_path(target),
            "lines": f'[tool.migrate-doctor]\nstart-after = "{head}"'}


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
