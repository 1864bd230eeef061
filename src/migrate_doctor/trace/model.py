"""What a trace saw: per statement of a revision's upgrade(), and per revision. Plain,
JSON-able data (it goes into findings' evidence)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Lock modes as pg_locks names them, weakest first
MODES = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
         "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
# Modes that block INSERT/UPDATE/DELETE on the table (conflict with RowExclusiveLock)
WRITE_BLOCKING = frozenset(MODES[4:])


@dataclass
class Step:
    """One SQL statement upgrade() sent, and what the database showed right after it."""

    sql: str
    lines: tuple[int, ...] = ()  # lines of the revision file on the call stack, innermost first
    seconds: float = 0.0
    traced: bool = True  # False: not run (an autocommit block, a COMMIT)
    reason: str | None = None  # why it was not run
    error: str | None = None  # the database's error, when the statement failed
    sqlstate: str | None = None
    locks: dict[str, list[str]] = field(default_factory=dict)  # relation -> modes taken
    rewritten: list[str] = field(default_factory=list)  # relations given a new relfilenode
    created: list[str] = field(default_factory=list)  # "index ix_a on users", ...
    dropped: list[str] = field(default_factory=list)
    lock_timeout: str | None = None  # the setting right after the statement

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def ran(self) -> bool:
        """Run to its end without an error."""
        return self.traced and self.error is None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["lines"] = list(self.lines)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(**{**data, "lines": tuple(data.get("lines", ()))})


@dataclass
class RevisionTrace:
    """One revision's upgrade(), run in a transaction on generated rows, rolled back."""

    revision: str
    path: str | None = None
    ran: bool = False  # upgrade() was run (to its end or to an error)
    reason: str | None = None  # why it was not run at all
    steps: list[Step] = field(default_factory=list)
    error: str | None = None  # what upgrade() raised (a failed statement, or Python)
    error_lines: tuple[int, ...] = ()
    seconds: float = 0.0  # upgrade() alone, without the reads between statements
    filled: dict[str, int] = field(default_factory=dict)  # rows generated per table
    tables: dict[str, str] = field(default_factory=dict)  # relations before: name -> kind
    values: dict[str, list[str | None]] = field(default_factory=dict)  # "t.c" -> [before, after]
    notes: list[str] = field(default_factory=list)  # what went wrong around the revision

    @property
    def completed(self) -> bool:
        return self.ran and self.error is None

    def existed(self, relation: str) -> bool:
        return relation in self.tables

    def had_rows(self, table: str) -> bool:
        return self.filled.get(table, 0) > 0

    def held_after(self, index: int) -> dict[str, set[str]]:
        """Strong locks the transaction holds after step ``index`` (locks are kept to the
        end of the transaction)."""
        held: dict[str, set[str]] = {}
        for step in self.steps[:index + 1]:
            for relation, modes in step.locks.items():
                held.setdefault(relation, set()).update(modes)
        return held

    def to_dict(self) -> dict[str, Any]:
        return {"revision": self.revision, "path": self.path, "ran": self.ran,
                "reason": self.reason, "steps": [s.to_dict() for s in self.steps],
                "error": self.error, "error_lines": list(self.error_lines),
                "seconds": self.seconds, "filled": self.filled, "tables": self.tables,
                "values": self.values, "notes": self.notes}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RevisionTrace:
        return cls(**{**data, "steps": [Step.from_dict(s) for s in data.get("steps", [])],
                      "error_lines": tuple(data.get("error_lines", ()))})
