"""Rollback guidance per revision: whether ``downgrade`` gives the old state back.

- ``safe``: downgrade undoes the revision and drops nothing that holds data (an index, a
  constraint, a column the upgrade did not add);
- ``loses-data``: downgrade drops tables or columns the upgrade added: whatever the new
  code wrote there goes with them. When the change is additive (the old code runs with
  it), roll the code back and *stamp, do not downgrade*;
- ``irreversible``: the upgrade itself removed data (a dropped column or table, rows
  updated or deleted, a type narrowed): downgrade brings the structure back, not the data;
- ``missing``: downgrade() does nothing, or raises.
"""

from __future__ import annotations

from typing import Any

from ..model import Phase
from ..scripts.operations import Operation

_DESTROYS = {"drop_column", "drop_table"}


def _describe(op: Operation) -> str:
    table = op.table or "?"
    if op.name == "drop_column":
        column = op.get("column_name")
        return f"column {table}.{column}" if isinstance(column, str) else f"a column of {table}"
    if op.name == "drop_table":
        return f"table {table}"
    if op.name == "alter_column":
        return f"the values of {table}.{op.get('column_name')} (type changed)"
    return f"rows of {table}" if op.table else "rows (SQL)"


def _sql_losses(op: Operation) -> list[str]:
    from ..rules._sql import statements_of

    out = []
    for s in statements_of(op, None):
        if s.kind in ("delete", "truncate", "update"):
            out.append(f"{'rows of ' + s.table if s.table else 'rows'} ({s.kind})")
        elif s.kind in ("drop_table",):
            out.extend(f"table {t}" for t in s.dropped_tables())
        elif s.kind == "alter_table":
            out.extend(f"column {s.table}.{c}" for c in s.dropped_columns())
    return out


def guidance(project: Any, rf: Any, phase: Phase) -> dict[str, Any]:
    """The rollback guidance for one revision file."""
    rev = rf.revision or rf.path.stem
    downs = list(rf.down_revisions) or ["base"]
    down = downs[0] if len(downs) == 1 else " ".join(downs)
    stamp = project.cmd(f"stamp {down}")
    downgrade = project.cmd(f"downgrade {down}" if len(downs) == 1 else f"downgrade {rev}-1")
    upgrade_ops, down_ops = rf.ops("upgrade"), rf.ops("downgrade")
    lost: list[str] = []
    for op in upgrade_ops:
        if op.name in _DESTROYS:
            lost.append(_describe(op))
        elif op.name == "alter_column" and op.kwargs.get("type_") is not None:
            lost.append(_describe(op))
        elif op.name == "execute":
            lost.extend(_sql_losses(op))
    drops = [_describe(op) for op in down_ops if op.name in _DESTROYS]
    for op in down_ops:
        if op.name == "execute":
            drops.extend(_sql_losses(op))
    raises = _raises(rf)
    out: dict[str, Any] = {"revision": rev, "drops": drops, "irreversible": lost}
    if rf.upgrade_is_empty:
        out.update(downgrade="safe", advice=f"nothing to undo: {downgrade} or {stamp}")
    elif lost:
        out.update(downgrade="irreversible", advice=(
            f"the upgrade removes {', '.join(lost[:4])}: downgrade brings the structure back, "
            "not the data: roll forward (fix in a new revision), or restore from a backup"))
    elif rf.downgrade_is_empty or raises:
        does = "raises" if raises else "does nothing"
        out.update(downgrade="missing", advice=(
            f"downgrade() {does}; the old code runs with this schema: if the code is rolled "
            f"back, keep it and {stamp} (stamp, do not downgrade)"
            if phase in (Phase.EXPAND, Phase.NONE) else
            f"downgrade() {does}: to undo it, write the reverse steps in a new revision "
            "(roll forward)"))
    elif drops:
        if phase in (Phase.EXPAND, Phase.NONE):
            advice = (f"downgrade drops {', '.join(drops[:4])} with whatever the new code "
                      f"wrote there; the old code runs with this schema: if the code is rolled "
                      f"back, stamp, do not downgrade: {stamp} (and {project.cmd(f'stamp {rev}')} "
                      "when the new code returns)")
        else:
            advice = (f"downgrade drops {', '.join(drops[:4])} with its data: back it up "
                      f"first, then {downgrade}")
        out.update(downgrade="loses-data", advice=advice)
    else:
        out.update(downgrade="safe", advice=f"downgrade is safe (it drops no data): {downgrade}")
    return out


def _raises(rf: Any) -> bool:
    import ast

    func = rf.function("downgrade")
    if func is None:
        return False
    body = [s for s in func.body if not (isinstance(s, ast.Expr)
                                         and isinstance(s.value, ast.Constant))]
    return bool(body) and all(isinstance(s, (ast.Raise, ast.Pass)) for s in body) and \
        any(isinstance(s, ast.Raise) for s in body)
