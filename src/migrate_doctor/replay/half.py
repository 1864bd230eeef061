"""A revision that half ran: the live schema sits between the schema the migrations make at
the database's revision and the one they make at the next."""

from __future__ import annotations

from typing import Any

from ..database.schema import differences, snapshot


def half_applied(ctx: Any, current: tuple[str, ...], nxt: str) -> tuple[list[str], list[str]] | None:
    """(steps of ``nxt`` present live, steps missing) when some are present and nothing else
    differs (none missing: it ran whole, but the version table was not written); None
    otherwise. When ``nxt`` fails in the scratch database too
    (the reason it half-ran live), what it leaves there is compared instead, and the steps
    missing are those after the statement that failed."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ..drift import scratch_factory
    from .expected import Expected
    from .runner import ReplayFailed, upgrade

    db, project = ctx.db, ctx.project
    with db.engine.connect() as conn:
        live = snapshot(conn, {project.version_table}, project.version_table_schema)
        conn.rollback()
    factory = scratch_factory(project, project.url or "", None, db.server_version)
    with Expected(project, ctx.graph, db.dialect, db.server_version, factory) as exp:
        before = exp.at(current)
        if not differences(before, live):
            return None  # exactly at its revision: nothing half-done
        exp._replay(current)  # a scratch database at the current revision, to go on from
        failure: ReplayFailed | None = None
        try:
            upgrade(project, exp.scratch_url or "", nxt)
        except ReplayFailed as exc:
            failure = exc
        engine = create_engine(exp.scratch_url or "", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                after = snapshot(conn, {project.version_table}, project.version_table_schema)
        finally:
            engine.dispose()
    steps = {(d.kind, d.where, d.what): d for d in differences(before, after)}
    # what is still to do, keyed as the step that does it (a step adds what live misses)
    left = {_as_step(d): d for d in differences(after, live)}
    _parts_of_new_tables(steps, left, after)
    if failure is not None:  # the scratch half-ran it too: live should equal that state
        if left or not steps:
            return None
        return [_step(d) for d in steps.values()], [
            f"everything after the statement that fails: {failure.message}"]
    present = [_step(d) for key, d in steps.items() if key not in left]
    missing = [_step(d) for key, d in steps.items() if key in left]
    unexplained = [d for key, d in left.items() if key not in steps]
    if not present or unexplained:
        return None
    return present, missing  # missing empty: every step ran, the version was not written


_FLIP = {"missing": "extra", "extra": "missing"}
_PARTS = (("columns", "column"), ("uniques", "unique constraint"), ("indexes", "index"),
          ("foreign_keys", "foreign key"), ("checks", "check constraint"))


def _as_step(d: Any) -> tuple[str, str, str]:
    """A difference between the schema after the step and the live one, keyed as the step
    that makes it: a table the step adds and live lacks is that step (not done)."""
    return d.kind, d.where, _FLIP.get(d.what, d.what)


def _parts_of_new_tables(steps: dict[tuple[str, str, str], Any],
                         left: dict[tuple[str, str, str], Any], after: Any) -> None:
    """A table the step creates that live has only in part (created, then altered, when the
    run stopped): its columns, indexes and constraints become steps of their own."""
    from ..database.schema import Difference

    for kind, table, what in list(steps):
        if kind != "table" or what != "extra" or (kind, table, what) in left:
            continue
        shape = after["tables"].get(table, {})
        parts = {(k, f"{table}.{name}", "extra"): Difference(k, f"{table}.{name}", "extra")
                 for key, k in _PARTS for name in shape.get(key, {})}
        if any(p in left for p in parts):
            steps.update(parts)


def _step(d: Any) -> str:
    """A difference between two expected schemas, said as the step that makes it."""
    if d.what == "extra":
        return f"add {d.kind} {d.where}"
    if d.what == "missing":
        return f"drop {d.kind} {d.where}"
    return f"change the {d.what} of {d.kind} {d.where} to {d.actual}"
