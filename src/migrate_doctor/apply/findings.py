"""The finding ids of `apply` (public API: documented here, never renamed).

- ``apply-refused`` (error): the preflight found what would make the upgrade fail or lose
  data (a diagnose error, a prediction from the rows, a lint error not accepted); nothing
  was applied. Fix: the findings listed; ``--accept RULE-ID`` for a lint rule you judged.
- ``apply-lock-timeout`` (error): another apply held the lock for longer than ``--wait``;
  its session is named. Fix: wait for it (a longer ``--wait``), or end that session.
- ``apply-failed`` (error): a revision failed; the kind (lock timeout, duplicate object,
  privilege, data, statement timeout, other) and what is behind it, the state the
  database is in now, and how to roll back. Fix: as the finding says.
- ``apply-not-at-target`` (error): after the run, the version table is not at the target.
- ``applied`` (info): what was applied, in how long; or that nothing was left to do.
- ``apply-state`` (info): after a failure, what the database holds now: the version table,
  and whether anything of the failed revision stayed (on MySQL/MariaDB, compared with the
  schema the migrations make; a partial revision is ``half-applied-revision``).
"""

from __future__ import annotations

from typing import Any

from ..model import Finding, Location, Severity

TITLES = {
    "apply-refused": "Nothing was applied: the preflight found problems",
    "apply-lock-timeout": "Another apply held the lock too long",
    "apply-failed": "A revision failed; the upgrade stopped",
    "apply-not-at-target": "The database is not at the target after the upgrade",
    "applied": "The upgrade ran",
    "apply-state": "What the database holds after the failure",
}


def finding(fid: str, message: str, fix: str | None = None, location: Location | None = None,
            severity: Severity | None = None, **evidence: Any) -> Finding:
    default = Severity.INFO if fid in ("applied", "apply-state") else Severity.ERROR
    return Finding(fid, severity or default, TITLES[fid], message, fix, location, evidence)
