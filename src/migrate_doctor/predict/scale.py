"""Lint findings weighed by the live tables: an operation that locks or rewrites a table
says how big that table is ("orders: ~41 M rows, 12 GB"); on a table of a few rows it is
information, on a big one an error (apply then refuses it unless accepted)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..model import Finding, Severity

# rules about operations whose cost grows with the table (a lock held while it scans, a
# copy, a rewrite)
SIZED_RULES = {
    "add-check-constraint-validating", "add-foreign-key-validating", "add-primary-key",
    "add-unique-constraint", "alter-column-type", "create-index-not-concurrently",
    "set-not-null", "volatile-server-default", "batch-rebuild-with-foreign-keys",
    "unbatched-data-migration", "update-or-delete-without-where", "drop-and-re-add-column",
}


def scale(findings: list[Finding], prediction: Any) -> list[Finding]:
    """``findings`` of lint over the pending revisions, with the table sizes of
    ``prediction`` (predict.Prediction) in their messages and severities."""
    out = []
    empty = {(c["revision"], c["table"].lower()) for c in prediction.checked
             if c["kind"] == "add-not-null" and c["rows"] == 0}
    for f in findings:
        rev = f.evidence.get("revision")
        table = f.evidence.get("table")
        if not isinstance(table, str):
            touched = prediction.touched.get(rev, []) if rev else []
            table = touched[0] if len(touched) == 1 else None
        if f.id == "add-not-null-column-without-default" and table and \
                (rev, table.lower()) in empty:
            out.append(replace(f, severity=Severity.INFO,
                               message=f"{f.message} (checked: {table} has no rows, so it "
                                       "passes here)",
                               evidence={**f.evidence, "table_rows": 0}))
            continue
        size = prediction.size_of(table)
        if size is None or f.id not in SIZED_RULES:
            out.append(f)
            continue
        evidence = {**f.evidence, "table_size": size.to_dict()}
        if size.small and f.severity is Severity.WARNING:
            out.append(replace(f, severity=Severity.INFO, evidence=evidence,
                               message=f"{f.message} ({size.said()}: over in moments here)"))
        elif size.big and f.severity is Severity.WARNING:
            out.append(replace(f, severity=Severity.ERROR, evidence=evidence,
                               message=f"{f.message} ({size.said()})"))
        else:
            out.append(replace(f, evidence=evidence, message=f"{f.message} ({size.said()})"))
    return out
