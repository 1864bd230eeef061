"""Expand / contract / data: where each operation, and so each revision, belongs in a
zero-downtime deploy."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model import Phase
from .expressions import Call, Name
from .operations import Operation

EXPAND_OPS = {
    "create_table", "add_column", "create_index", "create_foreign_key",
    "create_unique_constraint", "create_check_constraint", "create_primary_key",
    "create_table_comment", "create_exclude_constraint", "create_column_comment",
}
CONTRACT_OPS = {"drop_table", "drop_column", "rename_table"}
# Dropping a constraint or an index relaxes the schema: the running release keeps working
# (an index only changes speed), so it is neither expand nor contract.
NEUTRAL_OPS = {"drop_constraint", "drop_index"}
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
            if head in ("create",):  # a function/view/trigger redefined in place: glue
                return Phase.NONE if re.match(r"\s*create\s+or\s+replace\b", text,
                                              re.IGNORECASE) else Phase.EXPAND
            if head in ("drop",):  # a table holds data; a trigger, view or function does not
                words = text.lower().split()
                kind = next((w for w in words[1:] if w not in ("if", "exists")), "")
                return Phase.CONTRACT if kind == "table" else Phase.NONE
            if head == "alter":
                low = " ".join(text.lower().split())
                if " rename " in low or re.search(r" drop (?:column )?(?!constraint|default|"
                                                  r"not null|index|key|primary|foreign|check|"
                                                  r"partition)", low):
                    return Phase.CONTRACT
                actions = [a.strip() for a in re.split(r",(?![^(]*\))", re.sub(
                    r"^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?\S+\s*", "", low))]
                if actions and all(re.match(r"drop\s+(?:constraint|index|key|primary\s+key|"
                                            r"foreign\s+key|check)\b", a) for a in actions):
                    return Phase.NONE  # drops keys only: as op.drop_constraint, neither phase
                return Phase.EXPAND
        return Phase.DATA
    return Phase.NONE


_DROPS = {"drop_constraint": "constraint_name", "drop_index": "index_name"}
_CREATES = {"create_foreign_key": "constraint_name", "create_unique_constraint": "constraint_name",
            "create_check_constraint": "constraint_name", "create_primary_key": "constraint_name",
            "create_exclude_constraint": "constraint_name", "create_index": "index_name"}
_TEXT_TYPES = {"String", "VARCHAR", "Unicode", "NVARCHAR", "Text", "TEXT", "UnicodeText", "CITEXT"}
_UNBOUNDED = {"Text", "TEXT", "UnicodeText", "CITEXT"}


def _name(value: object) -> str | None:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, Call) and value.name == "f" and value.args \
            and isinstance(value.args[0], str):
        return value.args[0].lower()
    return None


def _table(op: Operation) -> str:
    value = op.table or op.get("table_name") or op.get("source_table")
    return value.lower() if isinstance(value, str) else "?"


def _column_added(op: Operation) -> str | None:
    column = op.get("column")
    if isinstance(column, Call) and column.args and isinstance(column.args[0], str):
        return column.args[0].lower()
    return None


def _widens(op: Operation) -> bool:
    return widens(op.kwargs.get("existing_type"), op.kwargs.get("type_"))


def widens(old: object, new: object) -> bool:
    """A type change that holds every old value as it is: text to a longer or unbounded
    text, an enum to unbounded text, numeric to more precision (same scale), integer to a
    bigger integer or to a floating or numeric type."""
    if isinstance(old, Name):
        old = Call(old.dotted)
    if isinstance(new, Name):
        new = Call(new.dotted)
    if not (isinstance(old, Call) and isinstance(new, Call)):
        return False
    if old.name in ("Enum", "ENUM") and new.name in _TEXT_TYPES and (
            new.name in _UNBOUNDED or new.arg(0, "length") is None):
        return True  # every value of the enum is a string an unbounded text column holds
    if old.name in ("Integer", "INTEGER", "SmallInteger", "SMALLINT") and new.name in (
            "Float", "FLOAT", "Numeric", "NUMERIC", "DECIMAL", "REAL", "Double",
            "DOUBLE_PRECISION") and not (new.name in ("Numeric", "NUMERIC", "DECIMAL")
                                         and isinstance(new.arg(1, "scale"), int)
                                         and isinstance(new.arg(0, "precision"), int)
                                         and new.arg(0) - new.arg(1) < 10):
        return True
    if old.name in _TEXT_TYPES and new.name in _TEXT_TYPES:
        if new.name in _UNBOUNDED:
            return True
        before, after = old.arg(0, "length"), new.arg(0, "length")
        return isinstance(before, int) and (after is None or (isinstance(after, int)
                                                               and after >= before))
    order = ["SmallInteger", "SMALLINT", "Integer", "INTEGER", "BigInteger", "BIGINT"]
    if old.name in order and new.name in order:
        return order.index(new.name) // 2 >= order.index(old.name) // 2
    if old.name in ("Numeric", "NUMERIC", "DECIMAL") and new.name == old.name:
        p0, s0 = old.arg(0, "precision"), old.arg(1, "scale")
        p1, s1 = new.arg(0, "precision"), new.arg(1, "scale")
        return isinstance(p0, int) and isinstance(p1, int) and p1 >= p0 and s0 == s1
    return False


_TYPE_RENAME = re.compile(r"^\s*ALTER\s+TYPE\s+([\w$.\"]+)\s+RENAME\s+TO\s+([\w$.\"]+)\s*;?\s*$",
                          re.IGNORECASE)


def _sql_text(op: Operation) -> str:
    text = op.get("sqltext")
    if isinstance(text, Call):
        text = text.arg(0)
    return text if isinstance(text, str) else ""


def _type_name(text: str) -> str:
    return text.strip().strip('"').rsplit(".", 1)[-1].strip('"').lower()


def type_swaps(ups: list[Operation]) -> dict[int, tuple[str, str]]:
    """PostgreSQL's recipe for changing an enum's values: ``ALTER TYPE x RENAME TO x_old``,
    then ``CREATE TYPE x ...`` (or the old copy dropped: ``DROP TYPE x_old``), the columns
    altered to the new x, the old copy dropped. Index of each such rename -> (x, x_old):
    the type keeps its name, the rename is a step of the swap, not a contract."""
    found: dict[int, tuple[str, str]] = {}
    for i, op in enumerate(ups):
        m = _TYPE_RENAME.match(_sql_text(op)) if op.name == "execute" else None
        if not m:
            continue
        old, new = _type_name(m.group(1)), _type_name(m.group(2))
        for later in ups[i + 1:]:
            text = " ".join(_sql_text(later).lower().split())
            if re.search(rf"\bcreate\s+type\s+(?:\w+\.)?\"?{re.escape(old)}\"?\s+as\b", text) \
                    or re.search(rf"\bdrop\s+type\s+(?:if\s+exists\s+)?(?:\w+\.)?\"?"
                                 rf"{re.escape(new)}\"?(?:\s|;|,|$)", text):
                found[i] = (old, new)
                break
    return found


def operation_phases(ops: Iterable[Operation]) -> list[tuple[Operation, Phase]]:
    """Each upgrade() op with its phase, judged with the rest of the revision: a
    constraint or index dropped and created again (same name, or same table and kind:
    a replacement, e.g. to change ON DELETE) breaks neither release; a table renamed
    away and created again under its name, or a temporary table or column created and
    dropped here, is a rebuild; an enum type renamed aside while a new one takes its name
    (the recipe for new enum values) is neither; NOT NULL on a column added here, or a
    widening type change, is expand."""
    ups = [op for op in ops if op.function == "upgrade"]
    phases = [operation_phase(op) for op in ups]
    for i in type_swaps(ups):
        phases[i] = Phase.NONE
    created: dict[tuple[str, str], int] = {}
    for i, op in enumerate(ups):
        if op.name in _CREATES:
            name = _name(op.get(_CREATES[op.name]))
            created.setdefault((op.name if name is None else "name", name or _table(op)), i)
    added_columns = {(_table(op), _column_added(op)) for op in ups if op.name == "add_column"}
    made_tables = {_table(op) for op in ups if op.name == "create_table"}
    made_at: dict[str, int] = {}
    for i, op in enumerate(ups):
        if op.name == "create_table":
            made_at.setdefault(_table(op), i)
    renamed_away = {(_table(op), str(op.get("new_table_name")).lower()) for op in ups
                    if op.name == "rename_table"}
    for i, op in enumerate(ups):
        if made_at.get(_table(op), len(ups)) < i and op.name in (
                "alter_column", "drop_column", "drop_constraint", "drop_index"):
            phases[i] = Phase.NONE  # a table of this revision: no release uses it yet
            continue
        dropped = re.search(r"\bDROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?\"?([\w$]+)",
                            _sql_text(op), re.IGNORECASE) if op.name == "execute" else None
        if op.name in _DROPS or dropped:
            name = _name(op.get(_DROPS[op.name])) if op.name in _DROPS else \
                dropped.group(1).lower()
            again = [j for (kind, key), j in created.items() if j > i and (
                (kind == "name" and key == name))]
            if again:
                phases[i] = Phase.NONE
                phases[again[0]] = Phase.NONE
        elif op.name == "rename_table" and _table(op) in made_tables:
            phases[i] = Phase.NONE  # renamed away, then created again under its name
        elif op.name == "drop_table" and (_table(op) in made_tables or any(
                new == _table(op) and old in made_tables for old, new in renamed_away)):
            phases[i] = Phase.NONE  # a temporary table, or the old copy of a rebuild
        elif op.name == "drop_column" and (_table(op), str(op.get("column_name")).lower()) \
                in added_columns:
            phases[i] = Phase.NONE  # a temporary column
        elif op.name == "alter_column" and phases[i] is Phase.CONTRACT \
                and op.get("new_column_name") is None:
            new_column = (_table(op), str(op.get("column_name")).lower()) in added_columns
            if new_column or (op.kwargs.get("type_") is not None and _widens(op)
                              and op.kwargs.get("nullable") is not False):
                phases[i] = Phase.EXPAND
    return list(zip(ups, phases))


def revision_phase(ops: Iterable[Operation]) -> Phase:
    """One phase for a revision's upgrade(): expand and contract together are mixed."""
    phases = {phase for _op, phase in operation_phases(ops)}
    phases.discard(Phase.NONE)
    if Phase.EXPAND in phases and Phase.CONTRACT in phases:
        return Phase.MIXED
    for phase in (Phase.CONTRACT, Phase.EXPAND, Phase.DATA):
        if phase in phases:
            return phase
    return Phase.NONE
