"""The stairway: each revision upgraded, downgraded and upgraded again, on tables that hold
rows, in one session (see ``session``).

For each revision R, from base to head:

0. every table holds a few generated rows (``database.rows.fill``): the empty ones are
   filled before the first revision whose file names one of them (a revision that names
   no table meets its tables as they are);
1. upgrade R. If it fails, the rows are taken away and R is upgraded again: failing only
   with rows is ``fails-with-rows``, failing on empty tables too is ``upgrade-fails`` (and
   nothing above R can be tested);
2. downgrade R. If it raises, ``downgrade-fails`` (``NotImplementedError`` is the
   project's policy, reported once for the history);
3. compare the schema with the one before step 1 (``downgrade-leaves-trace``) and the rows
   by primary key (``data-lost-on-round-trip``, for tables R does not drop or empty);
4. upgrade R again. Where the schema after the downgrade equals the one before the
   upgrade, the upgrade would run on the same schema as in step 1: on PostgreSQL the
   session goes back to the savepoint taken after step 1 instead of running it twice
   (elsewhere it runs); where the schema differs, it runs, and its error (a table that
   "already exists") is part of the finding.

On PostgreSQL all of it runs in one transaction (committed every few revisions), with
savepoints; elsewhere a failure is followed by a rebuild of the scratch database.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model import Finding, Location
from . import checks as C
from .session import Checkpoint, Session, StepFailed, describe
from .state import State, lost, read

Progress = Callable[[int, int, str], None]  # (done, total, revision)
COMMIT_EVERY = 24  # savepoints: PostgreSQL slows down past 64 in one transaction


@dataclass
class Case:
    """One check on one revision (or on the history): what JUnit calls a test case."""

    check: str
    revision: str | None
    status: str  # passed, failed, skipped
    seconds: float = 0.0
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "revision": self.revision, "status": self.status,
                "seconds": round(self.seconds, 4), "message": self.message}


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    tested: list[str] = field(default_factory=list)
    not_reached: list[str] = field(default_factory=list)
    deliberate: dict[str, str] = field(default_factory=dict)  # revision -> how
    rows: dict[str, int] = field(default_factory=dict)  # table -> generated rows


@dataclass
class Revisions:
    """What the stairway knows of each revision, from the revision files."""

    describe: Callable[[str], str]
    location: Callable[[str], Location | None]
    intended_losses: Callable[[str], set[str]]
    downgrade_is_empty: Callable[[str], bool]
    mentions: Callable[[str, str], bool]  # (revision, table): the file names the table
    expected: Callable[[tuple[str, ...]], Any] = lambda heads: None  # cached schema there


class Stairway:
    def __init__(self, session: Session, order: list[str], selected: set[str],
                 revisions: Revisions, rows: int, progress: Progress | None = None) -> None:
        self.s = session
        self.order = order
        self.selected = selected
        self.revs = revisions
        self.rows = rows
        self.progress = progress
        self.result = Result()
        self.version_table = session.project.version_table
        self.version_schema = session.project.version_table_schema
        self._tried: set[str] = set()  # tables fill() was asked for since they were empty
        self._failed: set[str] = set()

    # -- the walk ------------------------------------------------------------------------

    def run(self) -> Result:
        total = len([r for r in self.order if r in self.selected])
        done = 0
        for rev in self.order:
            if self._failed and self.s.ancestors(rev) & self._failed:
                self.result.not_reached.append(rev)
                if rev in self.selected:
                    self._skip(rev, "a revision below it fails to upgrade")
                    done += 1
                continue
            if rev not in self.selected:
                self._apply(rev)
            else:
                self._test(rev)
                self.result.tested.append(rev)
                done += 1
                if self.progress is not None:
                    self.progress(done, total, rev)
            if self.s.savepoints >= COMMIT_EVERY or not self.s.transactional:
                self.s.commit()
        return self.result

    def _apply(self, rev: str) -> None:
        """A revision outside the selection: upgraded, not tested (it must work)."""
        self._clean()
        below = self.s.checkpoint()
        try:
            self.s.upgrade(rev, guard=False)
        except StepFailed as failed:
            self._fail_upgrade(rev, failed, time.perf_counter())
            self._back(below)

    def _clean(self) -> None:
        if self.s.dirty or self.s.aborted:
            self._rebuild(self.s.heads)

    def _rebuild(self, heads: tuple[str, ...]) -> None:
        self.s.rebuild(heads)
        self._tried.clear()

    def _back(self, point: Checkpoint) -> None:
        """The database at ``point`` again: by savepoint, else by rebuilding."""
        if not self.s.restore(point):
            self._rebuild(point.heads)

    def _state(self, expected: Any = None) -> State:
        return read(self.s.conn, self.version_table, self.version_schema, expected=expected)

    def _below(self) -> State:
        """The state below a revision: where a snapshot is how the schema is read, the
        expected schema from the cache (when an earlier run or drift replayed it) saves
        reflecting it; the rows are read either way."""
        expected = None if self.s.dialect in ("postgresql", "sqlite") else \
            self.revs.expected(self.s.heads)
        return self._state(expected)

    # -- one revision -----------------------------------------------------------------------

    def _test(self, rev: str) -> None:
        start = time.perf_counter()
        self._clean()
        before = self._fill(rev, self._below())
        below = self.s.checkpoint()
        try:
            self.s.upgrade(rev, guard=False)
        except StepFailed as failed:
            emptied = self._retry_empty(rev, failed, below, before, start)
            if emptied is None:
                return
            before = emptied
        else:
            self._case(C.UPGRADE_FAILS, rev, "passed", start)
            self._case(C.FAILS_WITH_ROWS, rev, "passed", start, seconds=0.0)  # the same step
        up = time.perf_counter()
        at_rev = self.s.checkpoint()
        try:
            self.s.downgrade_one(rev, guard=False)
        except StepFailed as failed:
            self._downgrade_failed(rev, failed, up)
            self._back(at_rev)
            return
        if self.revs.downgrade_is_empty(rev):
            self.result.deliberate.setdefault(rev, "its downgrade() is empty")
        self._case(C.DOWNGRADE_FAILS, rev, "passed", up)
        check = time.perf_counter()
        after = self._state()
        self._compare_rows(rev, before, after, check)
        check = time.perf_counter()
        if not before.same_schema(after):
            self._trace(rev, before, after, below, at_rev, check)
        elif self.s.restore(at_rev):  # the upgrade again would meet the same schema
            self._case(C.DOWNGRADE_LEAVES_TRACE, rev, "passed", check)
        else:
            self._upgrade_again(rev, before, after, at_rev, check)

    def _fill(self, rev: str, state: State) -> State:
        """Rows in the empty tables, once the revision names one of them."""
        empty = [t for t in state.empty_tables if t not in self._tried]
        if self.rows <= 0 or not empty or not any(self.revs.mentions(rev, t) for t in empty):
            return state
        from ..database.rows import fill

        self._tried.update(empty)
        added = fill(self.s.conn, empty, self.rows)
        for table, count in added.items():
            if count:
                self.result.rows[table] = self.result.rows.get(table, 0) + count
        return self._state() if any(added.values()) else state

    # -- upgrade ----------------------------------------------------------------------------

    def _retry_empty(self, rev: str, failed: StepFailed, below: Checkpoint, before: State,
                     start: float) -> State | None:
        """The upgrade failed with rows: again on empty tables. The state it started from
        then; None when it fails there too."""
        if not before.has_rows:
            self._fail_upgrade(rev, failed, start)
            self._back(below)
            return None
        if self.s.restore(below):
            sample = self._sample(failed, before)
            self._empty_tables(before)
        else:
            sample = {}
            self._rebuild(below.heads)
        self._tried.clear()
        emptied = self._state()
        try:
            self.s.upgrade(rev, guard=False)
        except StepFailed as again:
            self._fail_upgrade(rev, again, start)
            self._back(below)
            return None
        self._case(C.UPGRADE_FAILS, rev, "passed", start)
        said = f"; a row it met: {_rows_text(sample)}" if sample else ""
        self._add(C.FAILS_WITH_ROWS, rev, start, failed.location or self.revs.location(rev),
                  f"revision {self.revs.describe(rev)} upgrades on empty tables but fails when "
                  f"they hold rows: {describe(failed.error)}"
                  + (f"; the statement: {_short(failed.statement)}" if failed.statement else "")
                  + said,
                  _rows_fix(failed),
                  {"statement": failed.statement, "error": describe(failed.error),
                   "rows": sample, "dialect": self.s.dialect})
        return emptied

    def _sample(self, failed: StepFailed, before: State) -> dict[str, Any]:
        """The first generated row of each table the failing statement names."""
        from sqlalchemy import text

        found: dict[str, Any] = {}
        quote = self.s.conn.dialect.identifier_preparer.quote
        for table in _tables_in(failed.statement or ""):
            if not before.keys.get(table) or len(found) >= 3:
                continue
            row = self.s.conn.execute(text(f"SELECT * FROM {quote(table)}")).mappings().first()
            if row is not None:
                found[table] = {k: _plain(v) for k, v in row.items()}
        return found

    def _empty_tables(self, state: State) -> None:
        from sqlalchemy import text

        tables = [t for t, keys in state.keys.items() if keys]
        if not tables:
            return
        quote = self.s.conn.dialect.identifier_preparer.quote
        if self.s.dialect == "postgresql":
            self.s.conn.execute(text(f"TRUNCATE {', '.join(quote(t) for t in tables)} CASCADE"))
            return
        self.s.conn.execute(text("PRAGMA defer_foreign_keys = ON"))  # any order, all go
        for table in tables:
            self.s.conn.execute(text(f"DELETE FROM {quote(table)}"))

    def _fail_upgrade(self, rev: str, failed: StepFailed, start: float) -> None:
        self._failed.add(rev)
        self._add(C.UPGRADE_FAILS, rev, start, failed.location or self.revs.location(rev),
                  f"revision {self.revs.describe(rev)} fails to upgrade on an empty "
                  f"{self.s.dialect} database: {describe(failed.error)}"
                  + (f"; the statement: {_short(failed.statement)}" if failed.statement else ""),
                  f"fix the revision, then run `migrate-doctor test --since {rev}` again",
                  {"statement": failed.statement, "error": describe(failed.error),
                   "exception": type(failed.error).__name__, "dialect": self.s.dialect})
        if rev in self.selected:
            self._case(C.FAILS_WITH_ROWS, rev, "skipped", start,
                       "its upgrade fails on empty tables", seconds=0.0)
            for check in (C.DOWNGRADE_FAILS, C.DOWNGRADE_LEAVES_TRACE, C.DATA_LOST):
                self._case(check, rev, "skipped", start, "its upgrade fails", seconds=0.0)

    def _upgrade_again(self, rev: str, before: State, after: State, at_rev: Checkpoint,
                       start: float) -> None:
        """No savepoint to go back to: the upgrade again, for real."""
        try:
            self.s.upgrade(rev, guard=False)
        except StepFailed as again:
            self._rebuild(at_rev.heads)
            self._add(C.DOWNGRADE_LEAVES_TRACE, rev, start, self.revs.location(rev),
                      f"after upgrading and downgrading revision {self.revs.describe(rev)}, "
                      f"upgrading it again fails: {describe(again.error)}",
                      "make downgrade() undo everything upgrade() does",
                      {"differences": [], "upgrade_again": describe(again.error)})
            return
        self._case(C.DOWNGRADE_LEAVES_TRACE, rev, "passed", start)

    # -- downgrade --------------------------------------------------------------------------

    def _downgrade_failed(self, rev: str, failed: StepFailed, start: float) -> None:
        if failed.deliberate:
            self.result.deliberate[rev] = "its downgrade() raises NotImplementedError"
            for check in (C.DOWNGRADE_FAILS, C.DOWNGRADE_LEAVES_TRACE, C.DATA_LOST):
                self._case(check, rev, "skipped", start,
                           "not downgradable by policy (NotImplementedError)", seconds=0.0)
            return
        self._add(C.DOWNGRADE_FAILS, rev, start, failed.location or self.revs.location(rev),
                  f"revision {self.revs.describe(rev)} upgrades, but its downgrade fails: "
                  f"{describe(failed.error)}"
                  + (f"; the statement: {_short(failed.statement)}" if failed.statement else ""),
                  "make downgrade() undo what upgrade() does, in reverse order; if the revision "
                  "cannot be undone, say so: raise NotImplementedError(\"...\")",
                  {"statement": failed.statement, "error": describe(failed.error),
                   "exception": type(failed.error).__name__, "dialect": self.s.dialect})
        for check in (C.DOWNGRADE_LEAVES_TRACE, C.DATA_LOST):
            self._case(check, rev, "skipped", start, "its downgrade fails", seconds=0.0)

    def _compare_rows(self, rev: str, before: State, after: State, start: float) -> None:
        if not before.has_rows:
            self._case(C.DATA_LOST, rev, "skipped", start, "no rows to lose")
            return
        intended = self.revs.intended_losses(rev)
        gone = {t: keys for t, keys in lost(before, after).items() if t not in intended}
        if not gone:
            self._case(C.DATA_LOST, rev, "passed", start)
            return
        said = "; ".join(
            f"{t}: {len(k)} of {sum(before.keys[t].values())} rows"
            + (f" (keys {', '.join(k[:3])})" if t in before.keyed else "")
            for t, k in sorted(gone.items()))
        self._add(C.DATA_LOST, rev, start, self.revs.location(rev),
                  f"rows present before revision {self.revs.describe(rev)} was upgraded are "
                  f"gone after its downgrade: {said}",
                  "keep the rows through the round trip: copy them aside in upgrade() and back "
                  "in downgrade(), or rebuild the table with its rows instead of dropping it",
                  {"lost": {t: k[:20] for t, k in gone.items()}})

    def _trace(self, rev: str, before: State, after: State, below: Checkpoint,
               at_rev: Checkpoint, start: float) -> None:
        """The schema after the round trip differs: say how, and whether upgrading again
        fails; then go on from the schema the upgrade made."""
        diffs = self._differences(before, after, below)
        again: StepFailed | None = None
        try:
            self.s.upgrade(rev, guard=False)
        except StepFailed as failed:
            again = failed
        self._back(at_rev)
        if not diffs and again is None:
            self._case(C.DOWNGRADE_LEAVES_TRACE, rev, "passed", start)
            return
        shown = "; ".join(str(d) for d in diffs[:6]) + (
            f"; and {len(diffs) - 6} more" if len(diffs) > 6 else "")
        message = (f"after upgrading and downgrading revision {self.revs.describe(rev)}, the "
                   f"schema differs from the one before the upgrade: {shown}" if diffs else
                   f"after upgrading and downgrading revision {self.revs.describe(rev)}")
        if again is not None:
            message += f"; upgrading it again then fails: {describe(again.error)}"
        self._add(C.DOWNGRADE_LEAVES_TRACE, rev, start, self.revs.location(rev), message,
                  _trace_fix(diffs),
                  {"differences": [d.to_dict() for d in diffs[:50]],
                   "upgrade_again": describe(again.error) if again is not None else None})

    def _differences(self, before: State, after: State, below: Checkpoint) -> list[Any]:
        """SQLite's digest is its CREATE statements: what they mean is compared with
        snapshot(), the database below the revision read from its copy."""
        if below.copy is None:
            return before.differences(after)
        from ..database.schema import differences, snapshot

        engine = self.s.copy_engine(below)
        try:
            with engine.connect() as conn:
                then = snapshot(conn, {self.version_table}, self.version_schema)
        finally:
            engine.dispose()
        return differences(then, snapshot(self.s.conn, {self.version_table},
                                          self.version_schema))

    # -- recording --------------------------------------------------------------------------

    def _case(self, check: C.TestCheck, rev: str, status: str, start: float,
              message: str = "", seconds: float | None = None) -> None:
        took = time.perf_counter() - start if seconds is None else seconds
        self.result.cases.append(Case(check.id, rev, status, took, message))

    def _skip(self, rev: str, why: str) -> None:
        for check in C.PER_REVISION:
            self._case(check, rev, "skipped", 0.0, why, seconds=0.0)

    def _add(self, check: C.TestCheck, rev: str, start: float, location: Location | None,
             message: str, fix: str, evidence: dict[str, Any]) -> None:
        self.result.findings.append(Finding(check.id, check.severity, check.title, message,
                                            fix, location, {"revision": rev, **evidence}))
        self._case(check, rev, "failed", start, message)


# -- helpers ------------------------------------------------------------------------------------

_TABLE_IN = re.compile(r"\b(?:ALTER\s+TABLE|UPDATE|INTO|FROM|ON|TABLE)\s+(?:ONLY\s+)?"
                       r"(?:IF\s+(?:NOT\s+)?EXISTS\s+)?([\w\".]+)", re.IGNORECASE)


def _tables_in(statement: str) -> list[str]:
    found: list[str] = []
    for name in _TABLE_IN.findall(statement):
        table = name.split(".")[-1].strip('"')
        if table and table not in found:
            found.append(table)
    return found


def _short(statement: str | None, limit: int = 300) -> str:
    text = " ".join((statement or "").split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _rows_text(sample: dict[str, Any]) -> str:
    return "; ".join(f"{t} {r}" for t, r in sample.items())


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _rows_fix(failed: StepFailed) -> str:
    text = describe(failed.error).lower()
    if "null" in text:
        return ("add the column nullable (or with a server_default), backfill it in batches, "
                "then alter it to nullable=False in a later step")
    if "check constraint" in text or "violates check" in text:
        return ("make the rows satisfy the CHECK first (an UPDATE in the same revision), then "
                "add it; on PostgreSQL add it NOT VALID and VALIDATE it after a commit")
    if "unique" in text or "duplicate" in text:
        return "deduplicate the rows before creating the unique constraint or index"
    if "cast" in text or "invalid input" in text or "type" in text:
        return ("convert the values explicitly: op.alter_column(..., type_=..., "
                "postgresql_using='<column>::<type>') after cleaning the ones that do not convert")
    return "make the revision work on tables that hold rows (backfill first, then constrain)"


def _trace_fix(diffs: list[Any]) -> str:
    steps = []
    for d in diffs[:6]:
        if d.what == "extra":
            steps.append(f"drop the {d.kind} {d.where}")
        elif d.what == "missing":
            steps.append(f"re-create the {d.kind} {d.where}")
        else:
            steps.append(f"restore the {d.what} of {d.kind} {d.where} to {d.expected}")
    if not steps:
        return "make downgrade() undo everything upgrade() does"
    return "in downgrade(): " + "; ".join(steps)
