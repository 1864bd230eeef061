"""Run the lint rules over revision files in upgrade order, keeping a running History."""

from __future__ import annotations

from ..model import Finding
from ..registry import Entry
from ..scripts.revision_file import RevisionFile
from . import RULES
from ._context import RuleContext
from ._history import History
from ._project import ProjectFacts
from ._sql import SQL_CACHE

_ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}


def normalize_dialect(dialect: str | None) -> str | None:
    if not dialect:
        return None
    name = dialect.lower().split("+", 1)[0]
    return _ALIASES.get(name, name)


DEPLOYS = ("online", "stopped")


def active_rules(dialect: str | None, select: set[str] | None = None,
                 ignore: set[str] | None = None,
                 deploy: str = "online") -> list[Entry[RuleContext]]:
    """The rules that run for this target and selection. An opt-in rule (registered with
    ``default=False``: its precision on real histories is below the target of its
    severity) runs only when selected by id. With ``deploy="stopped"`` (the project
    migrates with its services stopped) a rule registered ``online=True``, whose claims
    are all about a running release or concurrent queries, does not run."""
    dialect = normalize_dialect(dialect)
    return [
        e for e in RULES.all()
        if (e.id in select if select is not None else e.options.get("default", True))
        and not (deploy == "stopped" and e.options.get("online"))
        and not (ignore and e.id in ignore)
        and (e.options.get("dialects") is None or dialect in e.options["dialects"])
    ]


def run_rules(files: list[RevisionFile], *, report_on: set[str] | None, dialect: str | None,
              server_version: tuple[int, ...] | None, env_source: str = "",
              select: set[str] | None = None, ignore: set[str] | None = None,
              facts: ProjectFacts | None = None, deploy: str = "online") -> list[Finding]:
    """Lint ``files`` (all readable revisions, base first); report on ``report_on`` only
    (None = all), while every file adds to the history the rules see. ``facts`` is what
    env.py and the project say for every revision (read from ``env_source`` when absent).
    ``deploy``: "online" (the application runs while it migrates) or "stopped"."""
    if deploy not in DEPLOYS:
        raise ValueError(f"deploy must be one of {DEPLOYS}, not {deploy!r}")
    entries = active_rules(dialect, select, ignore, deploy)
    facts = facts or ProjectFacts.read(env_source)
    dialect = normalize_dialect(dialect)
    history = History(dates={f.revision: f.create_date for f in files
                             if f.revision and f.create_date})
    findings: list[Finding] = []
    if files:
        SQL_CACHE.open(sorted({str(f.path.parent) for f in files}))
    try:
        _walk(files, report_on, entries, history, findings, dialect, server_version, facts,
              deploy)
    finally:
        SQL_CACHE.close()
    return findings


def _walk(files: list[RevisionFile], report_on: set[str] | None,
          entries: list[Entry[RuleContext]], history: History, findings: list[Finding],
          dialect: str | None, server_version: tuple[int, ...] | None,
          facts: ProjectFacts, deploy: str = "online") -> None:
    readable = tuple(rf for rf in files if rf.problem is None)
    for rf in files:
        if rf.problem is not None:  # unreadable: reported by script-syntax-error
            continue
        revision = rf.revision or rf.path.stem
        ctx = RuleContext(rf, revision, dialect, server_version, facts.env_source, history, facts,
                          readable, deploy)
        if report_on is None or revision in report_on:
            for entry in entries:
                findings.extend(entry.run(ctx))
        for op in ctx.upgrade:  # the rules are done with this revision: replay it in place
            history.apply(op, ctx.table_of(op), revision, ctx.sql(op), ctx.resolve)
        history.note_revision(rf)
