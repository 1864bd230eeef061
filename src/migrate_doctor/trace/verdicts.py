"""Lint findings judged by what the trace saw, mechanism by mechanism (claims.py), and the
trace-only findings: a rewrite or an ACCESS EXCLUSIVE lock no finding predicted.

A finding is matched to the statements its lines sent (a batch block's statements, sent
when the block ends, belong to every line of the block); a finding whose lines sent
nothing is judged on the whole revision. Each claim is ``confirmed``, ``contradicted`` or
``not traced`` (the statements did not run, failed first, or had no rows to act on); the
finding is contradicted when one of its claims is, confirmed when one is and none is
contradicted. A contradicted finding drops to info, saying why.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Any

from ..model import Finding, Location, Severity
from .claims import PRIORITY, Claim, claims_of
from .findings import TraceExclusiveLock, TraceTableRewrite
from .model import MODES, RevisionTrace, Step

CONFIRMED, CONTRADICTED, NOT_TRACED = "confirmed", "contradicted", "not traced"
_SHOWN = 160  # characters of a statement in a message
_LINE = re.compile(r"\bline (\d+)\b")
_MODE_NAMES = {"AccessExclusiveLock": "ACCESS EXCLUSIVE", "ExclusiveLock": "EXCLUSIVE",
               "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE", "ShareLock": "SHARE",
               "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
               "RowExclusiveLock": "ROW EXCLUSIVE", "RowShareLock": "ROW SHARE",
               "AccessShareLock": "ACCESS SHARE"}


# -- which statements a finding is about ---------------------------------------------------

def batch_blocks(tree: ast.Module | None) -> dict[int, tuple[int, int]]:
    """``with op.batch_alter_table(...)`` blocks: first line -> (first, last) line."""
    blocks: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, (ast.With, ast.AsyncWith)) and any(
                isinstance(i.context_expr, ast.Call)
                and isinstance(i.context_expr.func, ast.Attribute)
                and i.context_expr.func.attr == "batch_alter_table" for i in node.items):
            span = (node.lineno, node.end_lineno or node.lineno)
            blocks.setdefault(span[0], span)  # where Python says the block's exit runs
            blocks.setdefault(span[1], span)
    return blocks


def _lines_of(finding: Finding) -> set[int]:
    lines: set[int] = set()
    loc = finding.location
    if loc is not None and loc.line is not None:
        lines.update(range(loc.line, (loc.end_line or loc.line) + 1))
    extra = finding.evidence.get("lines")
    if isinstance(extra, list):
        lines.update(x for x in extra if isinstance(x, int))
    # lines the message names as part of what happens ("line 18 uses 'refunded'")
    lines.update(int(n) for n in _LINE.findall(finding.message))
    return lines


def _hits(wanted: set[int], blocks: dict[int, tuple[int, int]]) -> Any:
    def hits(line: int) -> bool:
        if line in wanted:
            return True
        span = blocks.get(line)
        return span is not None and any(span[0] <= w <= span[1] for w in wanted)
    return hits


def steps_for(finding: Finding, trace: RevisionTrace,
              blocks: dict[int, tuple[int, int]]) -> tuple[list[int], bool]:
    """Indexes of the steps the finding's lines sent; (all steps, False) when none."""
    hits = _hits(_lines_of(finding), blocks)
    found = [i for i, step in enumerate(trace.steps) if any(hits(x) for x in step.lines)]
    if found or raised_at(finding, trace, blocks):
        return found, True
    return list(range(len(trace.steps))), False


def raised_at(finding: Finding, trace: RevisionTrace, blocks: dict[int, tuple[int, int]]) -> bool:
    """upgrade() raised in Python (no statement failed) at one of the finding's lines."""
    hits = _hits(_lines_of(finding), blocks)
    return bool(trace.error) and not any(s.failed for s in trace.steps) \
        and any(hits(x) for x in trace.error_lines)


# -- tables ----------------------------------------------------------------------------------

def same_table(relation: str, table: str) -> bool:
    name = table.replace('"', "")
    if name.startswith("public."):
        name = name[len("public."):]
    if relation == name or relation.lower() == name.lower():
        return True
    return "." not in name and relation.rpartition(".")[2].lower() == name.lower()


def _about(relation: str, claim: Claim) -> bool:
    return not claim.tables or any(same_table(relation, t) for t in claim.tables)


def _rows_for(claim: Claim, trace: RevisionTrace) -> int:
    """Rows generated in the claim's tables (in all filled tables when it names none)."""
    return sum(n for t, n in trace.filled.items() if _about(t, claim))


def _sql(step: Step) -> str:
    return step.sql if len(step.sql) <= _SHOWN else step.sql[:_SHOWN] + " ..."


# -- judging one claim -----------------------------------------------------------------------

def judge(claim: Claim, trace: RevisionTrace, indexes: list[int], matched: bool,
          python_error: bool = False) -> tuple[str, str]:
    """``python_error``: upgrade() raised in Python at the finding's lines."""
    steps = [trace.steps[i] for i in indexes]
    scope = [(i, s) for i, s in zip(indexes, steps)
             if matched or not claim.tables or any(t.split(".")[-1].lower() in s.sql.lower()
                                                   for t in claim.tables)]
    if not scope and not python_error:
        if not matched and trace.completed:
            return NOT_TRACED, "no statement of the revision was about " + (
                ", ".join(claim.tables) or "it")
        return NOT_TRACED, (f"upgrade() stopped before it: {trace.error}" if trace.error
                            else "no statement was sent for it")
    skipped = [s for _, s in scope if not s.traced]
    failed = next((s for _, s in scope if s.failed), None)
    mechanism = claim.mechanism
    if mechanism == "failure":
        if failed is not None:
            return CONFIRMED, f"`{_sql(failed)}` failed: {failed.error}"
        if python_error:
            return CONFIRMED, f"upgrade() failed: {trace.error}"
        if skipped:
            return NOT_TRACED, f"`{_sql(skipped[0])}` was not run ({skipped[0].reason})"
        rows = _rows_for(claim, trace)
        if not rows:
            return NOT_TRACED, "no rows could be generated in " + (", ".join(claim.tables) or
                                                                   "its tables")
        return CONTRADICTED, (f"`{_sql(scope[0][1])}` ran without an error on {rows} "
                              f"generated row{'s' if rows != 1 else ''}")
    if mechanism == "values-lost":
        return _judge_values(claim, trace, failed)
    if mechanism == "rewrite":
        for _, step in scope:
            hit = [r for r in step.rewritten if trace.tables.get(r) in ("r", "p", "m")
                   and _about(r, claim)]
            if hit:
                return CONFIRMED, (f"{', '.join(hit)} got new storage (relfilenode changed) "
                                   f"at `{_sql(step)}`: PostgreSQL rewrote "
                                   f"{'it' if len(hit) == 1 else 'them'}")
        return _unless_unfinished(scope, failed, skipped, lambda: (
            f"{', '.join(claim.tables) or 'no table'} kept its storage (relfilenode unchanged) "
            f"through `{_sql(scope[0][1])}`: PostgreSQL changed the catalog only, "
            "no rewrite"))
    # lock: the statement of the finding that took the weakest mode claimed (a CREATE INDEX
    # its SHARE, rather than an ALTER before it in the block), else one after which it is held
    ran = [(i, step) for i, step in scope if step.ran]
    for mode in sorted(claim.modes, key=MODES.index):
        for _, step in ran:
            relation = next((r for r, ms in step.locks.items()
                             if mode in ms and _about(r, claim)), None)
            if relation is not None:
                return CONFIRMED, (f"`{_sql(step)}` takes {_MODE_NAMES[mode]} on {relation} "
                                   "(pg_locks)")
    for i, step in ran:
        for relation, modes in trace.held_after(i).items():
            hit = modes & claim.modes
            if hit and _about(relation, claim):
                return CONFIRMED, (f"{_MODE_NAMES[max(hit, key=MODES.index)]} on {relation} is "
                                   f"held (pg_locks) when `{_sql(step)}` runs")
    held = sorted({f"{_MODE_NAMES.get(m, m)} on {r}" for i, _s in scope
                   for r, ms in trace.held_after(i).items() if _about(r, claim) for m in ms})
    took = ", ".join(held) if held else "no lock on " + (", ".join(claim.tables) or "the table")
    wanted = " or ".join(sorted({_MODE_NAMES[m] for m in claim.modes}))
    return _unless_unfinished(scope, failed, skipped, lambda: (
        f"`{_sql(scope[0][1])}` took {took} (pg_locks), not {wanted}"))


def _unless_unfinished(scope: list[tuple[int, Step]], failed: Step | None, skipped: list[Step],
                       contradiction: Any) -> tuple[str, str]:
    if failed is not None:
        return NOT_TRACED, f"`{_sql(failed)}` failed first: {failed.error}"
    if skipped:
        return NOT_TRACED, f"`{_sql(skipped[0])}` was not run ({skipped[0].reason})"
    return CONTRADICTED, contradiction()


def _judge_values(claim: Claim, trace: RevisionTrace, failed: Step | None) -> tuple[str, str]:
    table = claim.tables[0] if claim.tables else ""
    where = f"{table}.{claim.column}"
    if failed is not None:
        if _rows_for(claim, trace):
            return CONFIRMED, f"`{_sql(failed)}` failed on the existing rows: {failed.error}"
        return NOT_TRACED, f"`{_sql(failed)}` failed: {failed.error}"
    before, after = (trace.values.get(where) or [None, None])[:2]
    if before is None or before.startswith("0:"):
        return NOT_TRACED, f"{where} held no values before the revision"
    if after is None:
        return NOT_TRACED, f"{where} could not be read after the revision"
    if after != before:
        count = after.split(":", 1)[0]
        return CONFIRMED, (f"{where} held {before.split(':', 1)[0]} values before the revision "
                           f"and {'none' if count == '0' else 'other ones'} after")
    return CONTRADICTED, f"{where} holds the same values after the revision"


# -- a finding -------------------------------------------------------------------------------

def mark(finding: Finding, trace: RevisionTrace, blocks: dict[int, tuple[int, int]],
         downgrade: tuple[int, int] | None) -> Finding:
    claims = sorted(claims_of(finding), key=lambda c: PRIORITY.index(c.mechanism))
    indexes, matched = steps_for(finding, trace, blocks)
    line = finding.location.line if finding.location else None
    results: list[tuple[Claim, str, str]] = []
    if not trace.ran:
        why = trace.reason or "not traced"
    elif downgrade is not None and line is not None and downgrade[0] <= line <= downgrade[1]:
        why = "it is about downgrade(); the trace runs upgrade()"
    elif not claims:
        why = "it claims nothing the trace can observe (a lock, a rewrite, a failure on rows)"
    else:
        raised = raised_at(finding, trace, blocks)
        results = [(c, *judge(c, trace, indexes, matched, raised)) for c in claims]
        why = ""
    verdicts = [v for _, v, _ in results]
    if CONTRADICTED in verdicts:
        verdict = CONTRADICTED
    elif CONFIRMED in verdicts:
        verdict = CONFIRMED
    else:
        verdict = NOT_TRACED
    if results:
        why = next(w for _, v, w in results if v == verdict)
    steps = [trace.steps[i] for i in indexes] if matched else []
    held = trace.held_after(indexes[-1]) if matched and indexes else {}
    evidence = {**finding.evidence,
                "trace": _evidence(verdict, why, results, steps, trace, held)}
    if verdict == CONTRADICTED:
        return replace(finding, severity=Severity.INFO, evidence=evidence,
                       message=f"{finding.message} — contradicted by lint --trace: {why}")
    if verdict == CONFIRMED:
        return replace(finding, evidence=evidence,
                       message=f"{finding.message} (confirmed by lint --trace: {why})")
    return replace(finding, evidence=evidence)


def _evidence(verdict: str, why: str, results: list[tuple[Claim, str, str]], steps: list[Step],
              trace: RevisionTrace, held: dict[str, set[str]]) -> dict[str, Any]:
    # the locks the transaction holds once the finding's statements ran
    locks = {relation: sorted(modes, key=MODES.index) for relation, modes in sorted(held.items())}
    error = next((s.error for s in steps if s.failed), None) or (trace.error if steps else None)
    return {
        "verdict": verdict,
        "why": why,
        "locks": locks,
        "rewritten": sorted({r for s in steps for r in s.rewritten}),
        "seconds": round(sum(s.seconds for s in steps), 6),
        "error": error,
        "claims": [{**c.to_dict(), "verdict": v, "why": w} for c, v, w in results],
        "statements": [{"line": s.lines[0] if s.lines else None, "sql": _sql(s),
                        "traced": s.traced} for s in steps[:8]],
    }


# -- what no finding predicted ---------------------------------------------------------------

def unpredicted(findings: list[Finding], trace: RevisionTrace, path: str,
                lock_timeout_in_env: bool, blocks: dict[int, tuple[int, int]]) -> list[Finding]:
    """trace-table-rewrite and trace-exclusive-lock for one revision's trace: a statement
    that rewrote, or took ACCESS EXCLUSIVE on, a table that existed before the revision,
    where no finding whose statements include it claimed as much."""
    predictions: list[tuple[Claim, set[int] | None]] = []
    for f in findings:
        indexes, matched = steps_for(f, trace, blocks)
        predictions += [(c, set(indexes) if matched else None) for c in claims_of(f)]

    def predicted(relation: str, index: int, mechanisms: tuple[str, ...]) -> bool:
        return any(c.mechanism in mechanisms and _about(relation, c)
                   and (where is None or index in where) for c, where in predictions)

    out: list[Finding] = []
    rewrites: set[str] = set()
    for index, step in enumerate(trace.steps):
        if not step.ran:
            continue
        for relation in step.rewritten:
            if trace.tables.get(relation) not in ("r", "p", "m"):
                continue
            rewrites.add(relation)
            if predicted(relation, index, ("rewrite",)):
                continue
            out.append(TraceTableRewrite.finding(
                f"`{_sql(step)}` rewrote {relation}: PostgreSQL gave it new storage "
                "(relfilenode changed), copying every row under an ACCESS EXCLUSIVE lock; "
                "no lint rule predicted it", _rewrite_fix(step, relation),
                _location(path, step), _trace_only(trace, step, relation)))
    if lock_timeout_in_env:
        return out
    locked: set[str] = set()
    for index, step in enumerate(trace.steps):
        if not step.ran or (step.lock_timeout or "0") not in ("0", "0ms", "0s"):
            continue
        for relation, modes in step.locks.items():
            if "AccessExclusiveLock" not in modes or relation in locked or relation in rewrites \
                    or trace.tables.get(relation) not in ("r", "p", "m"):
                continue
            locked.add(relation)
            if predicted(relation, index, ("lock", "rewrite")):
                continue
            out.append(TraceExclusiveLock.finding(
                f"`{_sql(step)}` takes an ACCESS EXCLUSIVE lock on {relation} with no "
                f"lock_timeout, and no lint rule predicted it: behind one long query, every "
                f"query on {relation} queues behind this migration",
                "\n".join([
                    f"# first line of upgrade() in {trace.revision}: give up after 5s instead "
                    f"of queueing every query on {relation}",
                    "op.execute(\"SET LOCAL lock_timeout = '5s'\")",
                    "# or once for every revision, in env.py before context.run_migrations():",
                    "#     connection.execute(sa.text(\"SET lock_timeout = '5s'\"))"]),
                _location(path, step), _trace_only(trace, step, relation)))
    return out


def _location(path: str, step: Step) -> Location | None:
    return Location(path, step.lines[-1] if step.lines else None)


def _trace_only(trace: RevisionTrace, step: Step, relation: str) -> dict[str, Any]:
    return {"revision": trace.revision, "table": relation, "statement": step.sql,
            "trace": {"verdict": CONFIRMED, "locks": step.locks, "rewritten": step.rewritten,
                      "seconds": step.seconds, "error": None,
                      "rows": trace.filled.get(relation, 0)}}


_ADD_DEFAULT = re.compile(
    r"ALTER\s+TABLE\s+(?:ONLY\s+)?(?P<table>[\w.\"]+)\s+ADD\s+(?:COLUMN\s+)?"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<column>[\w\"]+)\s+(?P<type>.+?)\s+DEFAULT\s+"
    r"(?P<default>.+?)(?P<rest>\s+NOT\s+NULL)?\s*;?$",
    re.IGNORECASE)


def _rewrite_fix(step: Step, relation: str) -> str:
    m = _ADD_DEFAULT.match(step.sql)
    if m is not None and "," not in m.group("type"):
        table, column = m.group("table"), m.group("column")
        type_, default = m.group("type"), m.group("default")
        return "\n".join([
            "# no rewrite: the column is added empty, the default applies to new rows only",
            f'op.execute("ALTER TABLE {table} ADD COLUMN {column} {type_}")',
            f'op.execute("ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default}")',
            "# then fill the existing rows in committed batches (a later revision, or after",
            "# `with op.get_context().autocommit_block():`):",
            f"#   UPDATE {table} SET {column} = {default} WHERE ctid = ANY(ARRAY(",
            f"#       SELECT ctid FROM {table} WHERE {column} IS NULL LIMIT 5000))"
            "  -- until no row changes"])
    return "\n".join([
        f"# {relation} is rewritten by: {_sql(step)}",
        "# make the change without a rewrite: for a type, add a column of the new type, copy",
        "# the values in committed batches and swap the columns in a later revision; for a",
        "# default, add the column without it, SET DEFAULT for new rows, backfill in batches"])
