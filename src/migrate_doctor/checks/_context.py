"""What a check may look at: the project and the states read from it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Location

if TYPE_CHECKING:
    from ..database.state import DatabaseState
    from ..project.loaded import Project
    from ..scripts.directory import ScriptSet
    from ..scripts.graph import Graph
    from ..scripts.revision_file import RevisionFile


@dataclass
class Context:
    project: Project
    scripts: ScriptSet | None = None
    graph: Graph | None = None
    db: DatabaseState | None = None
    db_error: Any = None  # the DoctorError met while connecting, if any
    selected: list[str] | None = None  # the revisions a command is about (plan)
    drift: Any = None  # drift.DriftState: live, expected and models compared (drift)
    replay_allowed: bool = False  # diagnose may replay to answer a question (never verify)
    replay_error: Any = None  # the DoctorError met while replaying, if any

    # which states a check can ask for, and whether they are there
    def has(self, need: str) -> bool:
        if need == "scripts":
            return self.scripts is not None
        if need == "graph":  # whole: a file that cannot be read leaves holes in it
            return self.graph is not None and self.graph.ok and not self.unreadable
        if need == "database":
            return self.db is not None
        if need == "models":
            return self.project.metadata() is not None
        if need == "drift":
            return self.drift is not None
        raise ValueError(need)

    @cached_property
    def schema_match(self) -> Any:
        """Which known revision the live schema is (replay.match.SchemaMatch), or None
        when replaying is not allowed here or cannot be done."""
        if not self.replay_allowed:
            return None
        from ..errors import DoctorError
        from ..replay.match import match_schema

        try:
            return match_schema(self)
        except DoctorError as exc:
            self.replay_error = exc
            return None

    def matched(self, stamp: Any) -> tuple[str, str | None, dict[str, Any]]:
        """What a replay says the live schema is: a sentence for the message, the stamp
        command it proves right (``stamp(rev)`` builds it; None when nothing matches
        exactly) and the evidence."""
        match = self.schema_match
        if match is None and self.replay_error is not None:
            error = self.replay_error
            where = f" at {error.location}" if error.location else ""
            return (f"; which revision this schema is could not be worked out: the history "
                    f"does not replay here ({error.message.split(': ', 1)[-1]}{where})", None,
                    {"replay_error": error.message})
        if match is None:
            return "", None, {}
        evidence = {"schema_match": match.revision, "exact": match.exact,
                    "replayed": match.replayed,
                    "differences": [str(d) for d in match.differences[:20]]}
        if match.exact:
            return (f"; the live schema is exactly revision {self.describe(match.revision)} "
                    f"{match.said()}", stamp(match.revision), evidence)
        shown = "; ".join(str(d) for d in match.differences[:5])
        return (f"; no revision's schema equals the live one: the closest is "
                f"{self.describe(match.revision)}, {len(match.differences)} difference(s) "
                f"away ({shown}) {match.said()}", None, evidence)

    def location(self, rf: RevisionFile, line: int | None = None) -> Location:
        return Location(display_path(rf.path), line)

    def cmd(self, command: str) -> str:
        return self.project.cmd(command)

    def stamp_purge(self, rev: str) -> str:
        """The command that replaces every row of the version table with ``rev`` (a plain
        stamp refuses while a row names a revision no file has). `flask db stamp --purge`
        exists since Flask-Migrate added the option (4.0.6/4.1): asked of the installed
        command itself; without it, the rows are deleted by hand first."""
        if self.project.kind != "flask" or _flask_migrate_has_purge():
            return self.cmd(f"stamp --purge {rev}")
        vt = self.project.version_table
        if self.project.version_table_schema:
            vt = f"{self.project.version_table_schema}.{vt}"
        return (f"DELETE FROM {vt}; then {self.cmd(f'stamp {rev}')} (this Flask-Migrate has no "
                f"`stamp --purge`; Flask-Migrate >= 4.1 has it: pip install -U 'Flask-Migrate>=4.1')")

    @cached_property
    def unreadable(self) -> list[RevisionFile]:
        """Revision files whose place in the graph is unknown: they do not parse, or their
        revision id could not be read. Graph answers are not derived while they exist."""
        if self.scripts is None:
            return []
        return [f for f in self.scripts.files if f.problem is not None or "revision" in f.unresolved]

    def in_unreadable(self, rev: str) -> bool:
        """Whether a file that cannot be read mentions this revision id (so it may define it)."""
        return any(rev in f.text for f in self.unreadable)

    @cached_property
    def heads(self) -> tuple[str, ...]:
        return self.graph.heads if self.graph is not None and self.graph.ok else ()

    def describe(self, rev: str) -> str:
        """``abc123 ("add users", versions/abc123_add_users.py)``."""
        rf = self.graph.file(rev) if self.graph else None
        if rf is None:
            return rev
        msg = f'"{rf.message}", ' if rf.message else ""
        return f"{rev} ({msg}{display_path(rf.path)})"


def _flask_migrate_has_purge() -> bool:
    try:
        from flask_migrate.cli import stamp
    except ImportError:
        return False
    return any(p.name == "purge" for p in stamp.params)


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("../..") else str(path)
