"""Expand / contract / data: where each operation, and so each revision, belongs in a
zero-downtime deploy."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Phase
from .expressions import Call
from .operations import Operation

EXPAND_OPS = {
    "create_table", "add_column", "create_index", "create_foreign_key",
    "create_unique_constraint", "create_check_constraint", "create_primary_key",
    "create_table_comment", "create_exclude_constraint", "create_column_comment",
}
CONTRACT_OPS = {"drop_table", "drop_column", "rename_table", "drop_constraint", "drop_index"}
DATA_OPS = {"execute", "bulk_insert"}
_DATA_VERBS = ("update", "delete", "insert", "merge", "copy")


def operation_phase(op: Operation) -> Phase:
    if op.name in EXPAND_OPS:
        return Phase.EXPAND
    if op.name in CONTRACT_OPS:
        return Phase.CONTRACT
    if op.name == "alter_column":
        if op.get("new_column_name") is not None:
            return Phase.CONTRACT  # a rename breaks the running code
        if op.kwargs.get("nullable") is False:
            return Phase.CONTRACT  # old code may still write NULLs
        if op.kwargs.get("type_") is not None:
            return Phase.CONTRACT  # narrowing or rewriting the column
        if op.kwargs.get("nullable") is True or "server_default" in op.kwargs:
            return Phase.EXPAND
        return Phase.NONE
    if op.name in DATA_OPS:
        text = op.get("sqltext")
        if isinstance(text, Call):
            text = text.arg(0)
        if isinstance(text, str):
            head = text.lstrip().split(None, 1)[0].lower() if text.strip() else ""
            if head in _DATA_VERBS:
                return Phase.DATA
            if head in ("create",):
                return Phase.EXPAND
            if head in ("drop",):
                return Phase.CONTRACT
            if head == "alter":
                low = text.lower()
                return Phase.CONTRACT if (" drop " in low or " rename " in low) else Phase.EXPAND
        return Phase.DATA
    return Phase.NONE


def revision_phase(ops: Iterable[Operation]) -> Phase:
    """One phase for a revision's upgrade(): expand and contract together are mixed."""
    phases = {operation_phase(op) for op in ops if op.function == "upgrade"}
    phases.discard(Phase.NONE)
    if Phase.EXPAND in phases and Phase.CONTRACT in phases:
        return Phase.MIXED
    for phase in (Phase.CONTRACT, Phase.EXPAND, Phase.DATA):
        if phase in phases:
            return phase
    return Phase.NONE
