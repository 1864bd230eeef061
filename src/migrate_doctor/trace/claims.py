"""What a lint finding claims will happen when its revision runs, in terms a trace can
check: read from the finding itself (its title and message say what PostgreSQL will do;
its evidence names the table and column), never from a list of rule ids.

Four mechanisms:

- ``rewrite``: the table is rewritten ("rewrites the table", "is rewritten", "copies the
  table"; not "without rewriting"). Checked against ``relfilenode``.
- ``failure``: the upgrade fails as written, on the rows already there ("the upgrade
  fails", "it fails", "PostgreSQL refuses"; not "fails if ...", "fails when ...", "can
  fail"). Checked by running it on generated rows.
- ``values-lost``: existing values are replaced ("replaced by NULL", "wiped"). Checked by
  the column's values before and after (or the statement failing on the rows).
- ``lock``: a lock mode named in the message ("an ACCESS EXCLUSIVE lock", "a SHARE ROW
  EXCLUSIVE lock", "a SHARE lock"), or, without a mode, a lock that blocks writes
  ("every write to users waits", "blocking writes", "upgrade() locks users"). A mode is
  confirmed by itself or a stronger one. Checked against ``pg_locks``.

A claim about downgrade() (the finding points into it) is not checked: the trace runs
upgrade().
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..model import Finding
from .model import MODES, WRITE_BLOCKING

_F = re.IGNORECASE

_REWRITE = re.compile(r"\b(rewrites?|rewritten|rewriting|copies the table|copy of the table)\b", _F)
_NEGATION = re.compile(r"\b(no|not|without|never|nor|avoids?)\s+(?:\w+\s+){0,2}$", _F)
_FAILURE = re.compile(r"\b(?:the upgrade|it|upgrade\(\)|the statement|the migration)\s+fails\b"
                      r"(?!\s+(?:if|when|once|unless|after|as soon)\b)|\bPostgreSQL refuses\b", _F)
_VALUES_LOST = re.compile(r"\b(replaced by NULL|wiped|values? (?:is|are) lost)\b", _F)
_MODE_WORDS = {  # as PostgreSQL's documentation writes them -> pg_locks' name
    "ACCESS EXCLUSIVE": "AccessExclusiveLock", "SHARE ROW EXCLUSIVE": "ShareRowExclusiveLock",
    "SHARE UPDATE EXCLUSIVE": "ShareUpdateExclusiveLock", "ROW EXCLUSIVE": "RowExclusiveLock",
    "ROW SHARE": "RowShareLock", "ACCESS SHARE": "AccessShareLock", "EXCLUSIVE": "ExclusiveLock",
    "SHARE": "ShareLock",
}
_MODE = re.compile(r"\b(" + "|".join(sorted(_MODE_WORDS, key=len, reverse=True)) + r")\s+lock",
                   re.IGNORECASE)
_BLOCKS_WRITES = re.compile(r"\bevery write\b|\bblock(?:s|ing) (?:every )?writes?\b|"
                            r"\bupgrade\(\) locks\b|\bwrites? (?:are|is) blocked\b", _F)
_NO_READS_OR_WRITES = re.compile(r"\bno reads or writes\b", _F)
_ONLY_STRONGER = {  # modes that include what a mode blocks: itself and the stronger ones
    "AccessExclusiveLock": {"AccessExclusiveLock"},
    "ExclusiveLock": {"ExclusiveLock", "AccessExclusiveLock"},
    "ShareRowExclusiveLock": {"ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"},
    "ShareLock": {"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"},
    "ShareUpdateExclusiveLock": {"ShareUpdateExclusiveLock", "ShareRowExclusiveLock",
                                 "ExclusiveLock", "AccessExclusiveLock"},
}

PRIORITY = ("failure", "values-lost", "rewrite", "lock")


@dataclass(frozen=True)
class Claim:
    mechanism: str  # one of PRIORITY
    tables: tuple[str, ...] = ()  # none: any table of the revision
    modes: frozenset[str] = field(default_factory=frozenset)  # lock: any of them confirms
    column: str | None = None
    said: str = ""  # the words of the finding the claim was read from

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mechanism": self.mechanism, "tables": list(self.tables)}
        if self.modes:
            out["modes"] = sorted(self.modes, key=MODES.index)
        if self.column:
            out["column"] = self.column
        return out


def tables_of(finding: Finding) -> tuple[str, ...]:
    ev = finding.evidence
    found: list[str] = []
    for value in (ev.get("table"), *(ev.get("tables") or ())):
        if isinstance(value, str) and value and value != "?" and value not in found:
            found.append(value)
    return tuple(found)


def claims_of(finding: Finding) -> list[Claim]:
    """The checkable claims of ``finding``, most decisive first."""
    text = f"{finding.title}. {finding.message}"
    tables = tables_of(finding)
    column = finding.evidence.get("column")
    column = column if isinstance(column, str) else None
    found: list[Claim] = []
    if m := _FAILURE.search(text):
        found.append(Claim("failure", tables, said=m.group(0)))
    if (m := _VALUES_LOST.search(text)) and column:
        found.append(Claim("values-lost", tables, column=column, said=m.group(0)))
    for m in _REWRITE.finditer(text):
        if not _NEGATION.search(text[max(0, m.start() - 40):m.start()]):
            found.append(Claim("rewrite", tables, said=m.group(0)))
            break
    modes = _lock_modes(text)
    if modes:
        found.append(Claim("lock", tables, frozenset(modes), said=_lock_words(text)))
    return found


def _lock_modes(text: str) -> set[str]:
    named = [_MODE_WORDS[m.group(1).upper()] for m in _MODE.finditer(text)]
    named = [mode for mode in named if mode in _ONLY_STRONGER]  # weak modes claim nothing
    if named:  # the weakest mode named: what the claim needs at least
        return set(_ONLY_STRONGER[min(named, key=MODES.index)])
    if _NO_READS_OR_WRITES.search(text):
        return {"AccessExclusiveLock"}
    if _BLOCKS_WRITES.search(text):
        return set(WRITE_BLOCKING)
    return set()


def _lock_words(text: str) -> str:
    for pattern in (_MODE, _NO_READS_OR_WRITES, _BLOCKS_WRITES):
        m = pattern.search(text)
        if m:
            return m.group(0)
    return ""
