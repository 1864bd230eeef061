"""Run the lint rules over revision files in upgrade order, keeping a running History."""

from __future__ import annotations

from ..model import Finding
from ..registry import Entry
from ..scripts.revision_file import RevisionFile
from . import RULES
from ._context import RuleContext
from ._history import History
from ._sql import SQL_CACHE

_ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}


def normalize_dialect(dialect: str | None) -> str | None:
    if not dialect:
        return None
    name = dialect.lower().split("+", 1)[0]
    return _ALIASES.get(name, name)


def active_rules(dialect: str | None, select: set[str] | None = None,
                 ignore: set[str] | None = None) -> list[Entry[RuleContext]]:
    """The rules that run for this target and selection."""
    dialect = normalize_dialect(dialect)
    return [
        e for e in RULES.all()
        if (select is None or e.id in select) and not (ignore and e.id in ignore)
        and (e.options.get("dialects") is None or dialect in e.options["dialects"])
    ]


def run_rules(files: list[RevisionFile], *, report_on: set[str] | None, dialect: str | None,
              server_version: tuple[int, ...] | None, env_source: str = "",
              select: set[str] | None = None, ignore: set[str] | None = None) -> list[Finding]:
    """Lint ``files`` (all readable revisions, base first); report on ``report_on`` only
    (None = all), while every file adds to the history the rules see."""
    entries = active_rules(dialect, select, ignore)
    dialect = normalize_dialect(dialect)
    history = History()
    findings: list[Finding] = []
    if files:
        SQL_CACHE.open(sorted({str(f.path.parent) for f in files}))
    try:
        _walk(files, report_on, entries, history, findings, dialect, server_version, env_source)
    finally:
        SQL_CACHE.close()
    return findings


def _walk(files: list[RevisionFile], report_on: set[str] | None,
          entries: list[Entry[RuleContext]], history: History, findings: list[Finding],
          dialect: str | None, server_version: tuple[int, ...] | None, env_source: str) -> None:
    for rf in files:
        if rf.problem is not None:  # unreadable: reported by script-syntax-error
            continue
        revision = rf.revision or rf.path.stem
        ctx = RuleContext(rf, revision, dialect, server_version, env_source, history)
        if report_on is None or revision in report_on:
            for entry in entries:
                findings.extend(entry.run(ctx))
        for op in ctx.upgrade:  # the rules are done with this revision: replay it in place
            history.apply(op, ctx.table_of(op), revision, ctx.sql(op), ctx.resolve)
