"""Where our PostgreSQL lint rules and squawk disagree, on our own rule fixtures (issue 3).

    .venv/bin/python bench/squawk_agreement.py [--json] [--jobs N]

For every rule that has a squawk counterpart (MAPPING below) and every fixture case of it
(tests/rules/cases/<rule_id>.py) whose dialect is PostgreSQL:

- squawk's side: the case's revision files go into a throwaway plain Alembic project
  (PostgreSQL URL; nothing connects), ``alembic upgrade <down>:<last> --sql`` renders the
  SQL of the last revision only (``base:<last>`` when it has no parent), and squawk reads
  that SQL on stdin with ``--reporter json`` (plus ``--pg-version`` from the case's server
  version). Alembic's offline output carries its own BEGIN/COMMIT (and COMMIT/BEGIN around
  an autocommit block), so ``--assume-in-transaction`` is not used. A revision that
  Alembic cannot render offline (``op.get_bind()``, inspection, an import that fails) is
  counted as "not renderable", not as a disagreement;
- our side: ``run_rules`` on the same files, reporting on the last revision, with the
  case's server_version and env.

A case "fires" on our side when the rule id reports; on squawk's side when one of the
mapped squawk rules reports (some only for the statements in their scope, see MAPPING).
Figures only: the exit status is 0 whatever the agreement is.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql://bench@localhost/bench"

# -- squawk statements ---------------------------------------------------------------------


def _is_fk(stmt: str, sql: str) -> bool:
    """Whether a flagged statement is about a foreign key (VALIDATE CONSTRAINT is looked up
    by the constraint's name in the rest of the SQL)."""
    if re.search(r"\bFOREIGN\s+KEY\b|\bREFERENCES\b", stmt, re.I):
        return True
    m = re.search(r"\bVALIDATE\s+CONSTRAINT\s+\"?(\w+)\"?", stmt, re.I)
    if m:
        added = re.search(rf"\bADD\s+CONSTRAINT\s+\"?{re.escape(m.group(1))}\"?\s+(\w+)", sql,
                          re.I)
        return bool(added and added.group(1).upper() == "FOREIGN")
    return False


# -- the mapping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One of our rules and the squawk rule(s) that mean the same thing.

    ``squawk``: squawk rule names; any of them reporting (in scope) counts as squawk firing.
    ``older``: the name(s) older squawk releases use instead, used only when the installed
    squawk knows none of ``squawk`` (it refuses unknown names). ``scope``: for a squawk
    name, a test on the flagged statement (and the whole SQL) for names whose rule is wider
    than ours.
    """

    ours: str
    squawk: tuple[str, ...]
    overlap: str  # "full" or "partial"
    note: str = ""
    scope: dict[str, Callable[[str, str], bool]] = field(default_factory=dict)
    older: tuple[str, ...] = ()


MAPPING: tuple[Pair, ...] = (
    Pair("add-not-null-column-without-default", ("adding-required-field",), "full"),
    # squawk's constraint-missing-not-valid covers CHECK and FOREIGN KEY (and VALIDATE in
    # the same transaction as the NOT VALID add); only its non-FK reports count here.
    Pair("add-check-constraint-validating", ("constraint-missing-not-valid",), "partial",
         "squawk's rule covers CHECK and FK; only its non-FK statements are counted",
         scope={"constraint-missing-not-valid": lambda s, sql: not _is_fk(s, sql)}),
    # adding-foreign-key-constraint is squawk's FK rule; constraint-missing-not-valid also
    # reports an FK added without NOT VALID, or validated in the same transaction.
    Pair("add-foreign-key-validating",
         ("adding-foreign-key-constraint", "constraint-missing-not-valid"), "partial",
         "either squawk rule counts; constraint-missing-not-valid only on FK statements",
         scope={"constraint-missing-not-valid": _is_fk}),
    Pair("add-unique-constraint", ("disallowed-unique-constraint",), "full"),
    # squawk reports every type change; we leave out the ones PostgreSQL does without a
    # rewrite (varchar widening, varchar -> text).
    Pair("alter-column-type", ("changing-column-type",), "partial",
         "we exempt no-rewrite changes (varchar widening, varchar -> text)"),
    # squawk's rule is about CREATE INDEX CONCURRENTLY; ours also covers DROP INDEX /
    # REINDEX CONCURRENTLY and the downgrade.
    Pair("concurrently-without-autocommit", ("ban-concurrent-index-creation-in-transaction",),
         "partial", "squawk: CREATE INDEX CONCURRENTLY only; ours: also DROP/REINDEX, downgrade"),
    Pair("create-index-not-concurrently", ("require-concurrent-index-creation",), "full"),
    Pair("drop-column", ("ban-drop-column",), "full"),
    Pair("drop-table", ("ban-drop-table",), "full"),
    # squawk >= 2.x split require-timeout-settings into require-lock-timeout and
    # require-statement-timeout; ours is about lock_timeout only.
    Pair("missing-lock-timeout", ("require-lock-timeout",), "partial",
         "squawk also wants statement_timeout (require-statement-timeout, not counted; older "
         "squawk folds both into require-timeout-settings)",
         older=("require-timeout-settings",)),
    Pair("rename-column", ("renaming-column",), "full"),
    Pair("rename-table", ("renaming-table",), "full"),
    # squawk's adding-not-nullable-field is about ALTER COLUMN ... SET NOT NULL (despite its
    # name); both stay quiet behind a validated CHECK (col IS NOT NULL) on PostgreSQL 12+.
    Pair("set-not-null", ("adding-not-nullable-field",), "full"),
    # Volatile default on PostgreSQL 11+, any default before 11, on both sides.
    Pair("volatile-server-default", ("adding-field-with-default",), "full"),
)
# Not mapped, no squawk rule with the same meaning:
# - enum-value-in-transaction: squawk's ban-add-enum-value is about clients seeing a new
#   value (compatibility), require-enum-value-ordering about BEFORE/AFTER; neither is about
#   the transaction.
# - json-column-type: squawk has no prefer-jsonb rule.
# - update-or-delete-without-where, unbatched-data-migration, unnamed-constraint,
#   drop-add-looks-like-rename, mixed-expand-contract, offline-incompatible,
#   enum-type-left-behind, missing-downgrade: no counterpart.
# - squawk's require-concurrent-index-deletion: we have no DROP INDEX rule of our own (a
#   plain DROP INDEX only counts for missing-lock-timeout).

# -- tools ----------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def tool(name: str) -> Path | None:
    path = Path(sys.executable).parent / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def squawk_knows(squawk: Path, name: str) -> bool:
    """Whether the installed squawk accepts the rule name (it refuses unknown ones)."""
    proc = subprocess.run([str(squawk), f"--exclude={name}"], input="SELECT 1;\n",
                          capture_output=True, text=True, check=False)
    return "invalid rule name" not in proc.stderr


def squawk_version(squawk: Path) -> str:
    proc = subprocess.run([str(squawk), "--version"], capture_output=True, text=True,
                          check=False)
    return proc.stdout.strip() or proc.stderr.strip()


# -- cases ----------------------------------------------------------------------------------


def load_cases() -> dict[str, list[dict[str, Any]]]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    package = importlib.import_module("tests.rules.cases")
    found: dict[str, list[dict[str, Any]]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found[info.name.replace("_", "-")] = list(module.CASES)
    return found


def is_postgresql(case: dict[str, Any]) -> bool:
    return case.get("dialect", "postgresql") == "postgresql"


# -- squawk's side ---------------------------------------------------------------------------

ENV_PY = textwrap.dedent('''
    from alembic import context

    config = context.config


    def run_migrations_offline():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=None,
                          literal_binds=True, dialect_opts={"paramstyle": "named"})
        with context.begin_transaction():
            context.run_migrations()


    if context.is_offline_mode():
        run_migrations_offline()
    else:
        raise SystemExit("this bench project only renders offline (--sql)")
''').lstrip()


@dataclass
class Hit:
    rule: str
    message: str
    statement: str
    offset: int  # where squawk points, in the SQL


@dataclass
class SquawkSide:
    sql: str | None = None
    hits: list[Hit] = field(default_factory=list)
    problem: str | None = None  # not renderable offline, or squawk failed


def _tail(text: str) -> str:
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return lines[-1] if lines else "(no output)"


def _offset(sql: str, line: int, column: int) -> int:
    """The character offset of a 0-based line and column."""
    lines = sql.splitlines(keepends=True)
    return sum(len(x) for x in lines[:line]) + column


def _statement_at(sql: str, offset: int) -> str:
    """The whole statement (between semicolons) around an offset, on one line, without
    Alembic's "-- Running upgrade" comment lines."""
    start = sql.rfind(";", 0, offset) + 1
    end = sql.find(";", offset)
    text = sql[start:end if end >= 0 else len(sql)]
    kept = [x for x in text.splitlines() if not x.strip().startswith("--")]
    return " ".join(" ".join(kept).split())


def render_and_squawk(case: dict[str, Any], alembic: Path, squawk: Path,
                      last_rev: str, down: tuple[str, ...]) -> SquawkSide:
    side = SquawkSide()
    if len(down) > 1:
        side.problem = "not renderable: the last revision is a merge (no single start)"
        return side
    span = f"{down[0] if down else 'base'}:{last_rev}"
    with tempfile.TemporaryDirectory(prefix="md-squawk-agree-") as tmp:
        base = Path(tmp)
        (base / "versions").mkdir()
        for index, text in enumerate(case["revisions"]):
            (base / "versions" / f"{index:03d}_case.py").write_text(text, encoding="utf-8")
        (base / "env.py").write_text(ENV_PY, encoding="utf-8")
        (base / "alembic.ini").write_text(
            f"[alembic]\nscript_location = {base}\nsqlalchemy.url = {PG_URL}\n",
            encoding="utf-8")
        proc = subprocess.run([str(alembic), "-c", str(base / "alembic.ini"), "upgrade", span,
                               "--sql"], cwd=base, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        side.problem = f"not renderable offline: {_tail(proc.stderr or proc.stdout)}"
        return side
    side.sql = proc.stdout
    argv = [str(squawk), "--reporter", "json", "--stdin-filepath", f"{last_rev}.sql"]
    version = case.get("server_version", (16,))
    if version:
        major, minor = (tuple(version) + (0,))[:2]
        argv.append(f"--pg-version={major}.{minor}")
    sq = subprocess.run(argv, input=side.sql, capture_output=True, text=True, check=False)
    try:
        reports = json.loads(sq.stdout) if sq.stdout.strip() else []
    except json.JSONDecodeError:
        reports = None
    if sq.returncode not in (0, 1) or reports is None:
        side.problem = f"squawk failed (exit {sq.returncode}): {_tail(sq.stderr or sq.stdout)}"
        return side
    for r in reports:
        at = _offset(side.sql, r.get("line", 0), r.get("column", 0))
        side.hits.append(Hit(r.get("rule_name", "?"), r.get("message", ""),
                             _statement_at(side.sql, at), at))
    return side


# -- our side ---------------------------------------------------------------------------------


def lint(case: dict[str, Any], rule_id: str, *, history: bool = True,
         env: bool = True) -> tuple[bool, list[Any], Any]:
    """(fired, findings of rule_id, last RevisionFile); history=False lints the last revision
    alone, env=False without the case's env.py."""
    from migrate_doctor.rules import run_rules
    from migrate_doctor.scripts.revision_file import RevisionFile

    with tempfile.TemporaryDirectory(prefix="md-squawk-agree-ours-") as tmp:
        files = []
        for index, text in enumerate(case["revisions"]):
            path = Path(tmp) / f"{index:03d}_case.py"
            path.write_text(text, encoding="utf-8")
            files.append(RevisionFile(path))
        last = files[-1]
        used = files if history else [last]
        findings = run_rules(used, report_on={last.revision or last.path.stem},
                             dialect="postgresql",
                             server_version=case.get("server_version", (16,)),
                             env_source=case.get("env", "") if env else "",
                             select={rule_id})
    mine = [f for f in findings if f.id == rule_id]
    return bool(mine), mine, last


# -- one case ----------------------------------------------------------------------------------


@dataclass
class Result:
    rule: str
    squawk_rules: tuple[str, ...]
    case: str
    fixture_fires: bool
    ours: bool
    squawk: bool | None  # None: not renderable
    outcome: str
    why: str = ""
    our_messages: list[str] = field(default_factory=list)
    squawk_hits: list[dict[str, str]] = field(default_factory=list)
    problem: str | None = None


def _created_tables(sql: str) -> set[str]:
    return {m.lower() for m in re.findall(
        r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?", sql, re.I)}


def _tables_in(stmt: str) -> set[str]:
    pats = (r"\bALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?\"?(\w+)\"?",
            r"\bON\s+\"?(\w+)\"?\s*\(", r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?\"?(\w+)\"?")
    return {t.lower() for p in pats for t in re.findall(p, stmt, re.I)}


def _in_autocommit_segment(offset: int, sql: str) -> bool:
    """Whether the offset comes after a COMMIT with no BEGIN since (an autocommit block)."""
    last = ""
    for m in re.finditer(r"^\s*(COMMIT|BEGIN)\s*;", sql, re.I | re.M):
        if m.start() >= offset:
            break
        last = m.group(1).upper()
    return last == "COMMIT"


def _line_in_downgrade(last: Any, line: int | None) -> bool:
    down = last.function_lines.get("downgrade")
    return line is not None and down is not None and line >= down


def explain(pair: Pair, case: dict[str, Any], res: Result, side: SquawkSide,
            findings: list[Any], last: Any, counted: list[Hit]) -> str:
    """A one-line why for a disagreement, from what can be checked; '' when none."""
    rule = res.rule
    sql = side.sql or ""
    if res.outcome == "only-us":
        lines = [f.location.line if f.location else None for f in findings]
        if lines and all(_line_in_downgrade(last, n) for n in lines):
            return "our finding is in downgrade(); squawk only sees the upgrade SQL"
        if rule == "concurrently-without-autocommit" and re.search(
                r"\b(DROP\s+INDEX|REINDEX)\b[^;]*\bCONCURRENTLY\b", sql, re.I):
            return "squawk's rule only covers CREATE INDEX CONCURRENTLY"
        if len(case["revisions"]) > 1 and not lint(case, rule, history=False)[0]:
            return "we use earlier revisions' history; squawk sees only this revision's SQL"
        return ""
    # only-squawk
    if case.get("env") and lint(case, rule, env=False)[0]:
        return ("lock_timeout is set in env.py (online code path); squawk reads the offline "
                "SQL, which does not contain it")
    if len(case["revisions"]) > 1 and lint(case, rule, history=False)[0]:
        return ("the evidence that makes it safe is in an earlier revision; squawk lints only "
                "this revision's SQL")
    created = _created_tables(sql)
    if counted and all(_tables_in(h.statement) & created for h in counted):
        return ("the table is created in this same revision; squawk's rule does not know it "
                "is new")
    if counted and all(_in_autocommit_segment(h.offset, sql) for h in counted):
        return "the statement runs in an autocommit block (COMMIT ... BEGIN); squawk flags it"
    if rule == "alter-column-type" and all(
            re.search(r"\bTYPE\s+(VARCHAR|TEXT)\b", h.statement, re.I) for h in counted):
        return ("varchar widening / varchar -> text needs no rewrite: we exempt it, squawk "
                "reports every type change")
    return ""


def run_case(pair: Pair, known: tuple[str, ...], case: dict[str, Any], side: SquawkSide,
             ) -> Result:
    ours, findings, last = lint(case, pair.ours)
    res = Result(pair.ours, known, case["name"], bool(case["fires"]), ours, None, "",
                 our_messages=[f.message for f in findings], problem=side.problem)
    if side.problem is not None:
        res.outcome = "not-renderable"
        return res
    counted = [h for h in side.hits if h.rule in known
               and (h.rule not in pair.scope or pair.scope[h.rule](h.statement, side.sql or ""))]
    res.squawk = bool(counted)
    res.squawk_hits = [{"rule": h.rule, "statement": h.statement, "message": h.message}
                       for h in counted]
    res.outcome = {(True, True): "both-fire", (True, False): "only-us",
                   (False, True): "only-squawk", (False, False): "both-quiet"}[(ours, res.squawk)]
    if res.outcome in ("only-us", "only-squawk"):
        res.why = explain(pair, case, res, side, findings, last, counted)
    return res


# -- report ----------------------------------------------------------------------------------

COLUMNS = ("both-fire", "only-us", "only-squawk", "both-quiet", "not-renderable")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1),
                    help="alembic/squawk runs in parallel")
    args = ap.parse_args(argv)

    alembic, squawk = tool("alembic"), tool("squawk")
    if alembic is None or squawk is None:
        log(f"need alembic and squawk next to {sys.executable}: run this with the venv python")
        return 0
    from migrate_doctor.scripts.revision_file import RevisionFile

    all_cases = load_cases()
    known: dict[str, tuple[str, ...]] = {}
    for pair in MAPPING:
        names = tuple(n for n in pair.squawk if squawk_knows(squawk, n))
        if not names:
            names = tuple(n for n in pair.older if squawk_knows(squawk, n))
        unknown = [n for n in pair.squawk if n not in names]
        if unknown:
            log(f"{pair.ours}: {squawk_version(squawk)} does not know {unknown}; "
                f"using {list(names) or 'nothing'}")
        known[pair.ours] = names

    work: list[tuple[Pair, dict[str, Any]]] = [
        (pair, case) for pair in MAPPING for case in all_cases.get(pair.ours, [])
        if is_postgresql(case)]

    def squawk_side(item: tuple[Pair, dict[str, Any]]) -> SquawkSide:
        _, case = item
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "last.py"
            path.write_text(case["revisions"][-1], encoding="utf-8")
            rf = RevisionFile(path)
            rev, down = rf.revision or "head", rf.down_revisions
        return render_and_squawk(case, alembic, squawk, rev, down)

    log(f"{len(work)} PostgreSQL fixture cases of {len(MAPPING)} mapped rules; "
        f"rendering with alembic and running {squawk_version(squawk)} ...")
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        sides = list(pool.map(squawk_side, work))
    results = [run_case(pair, known[pair.ours], case, side)
               for (pair, case), side in zip(work, sides)]

    rows = []
    for pair in MAPPING:
        mine = [r for r in results if r.rule == pair.ours]
        row: dict[str, Any] = {"rule": pair.ours, "squawk": list(known[pair.ours]),
                               "overlap": pair.overlap, "note": pair.note, "cases": len(mine)}
        row.update({c: sum(r.outcome == c for r in mine) for c in COLUMNS})
        rows.append(row)
    disagreements = [r for r in results if r.outcome in ("only-us", "only-squawk")]
    unrenderable = [r for r in results if r.outcome == "not-renderable"]
    off_fixture = [r for r in results if r.ours != r.fixture_fires]
    totals = {c: sum(row[c] for row in rows) for c in ("cases",) + COLUMNS}
    flags = ["--reporter json", "--pg-version=<case server_version, default 16.0>",
             "--stdin-filepath <rev>.sql", "SQL on stdin"]

    if args.json:
        print(json.dumps({
            "squawk": squawk_version(squawk),
            "squawk_flags": flags,
            "alembic": "upgrade <down_revision>:<last> --sql (base:<last> without a parent)",
            "rules": rows,
            "totals": totals,
            "disagreements": [_result_dict(r) for r in disagreements],
            "not_renderable": [_result_dict(r) for r in unrenderable],
            "ours_differs_from_fixture": [_result_dict(r) for r in off_fixture],
        }, indent=2))
        return 0

    print(f"migrate-doctor rules vs {squawk_version(squawk)} on the PostgreSQL fixture cases")
    print(f"squawk flags: {' '.join(flags)}\n")
    heads = ("rule id", "squawk rule", "cases") + COLUMNS
    table = [(row["rule"] + (" *" if row["overlap"] == "partial" else ""),
              ", ".join(row["squawk"]) or "(none known)", str(row["cases"]),
              *(str(row[c]) for c in COLUMNS)) for row in rows]
    table.append(("total", "", str(totals["cases"]), *(str(totals[c]) for c in COLUMNS)))
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(heads)]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))

    print(fmt(heads))
    print("  ".join("-" * w for w in widths))
    for t in table[:-1]:
        print(fmt(t))
    print("  ".join("-" * w for w in widths))
    print(fmt(table[-1]))
    print("\n* partial overlap:")
    for row in rows:
        if row["overlap"] == "partial":
            print(f"  {row['rule']}: {row['note']}")

    print(f"\nDisagreements ({len(disagreements)}):")
    for r in disagreements:
        who = "only we fire" if r.outcome == "only-us" else "only squawk fires"
        print(f"  [{r.rule}] {r.case}: {who}")
        print(f"      why: {r.why or 'not evident'}")
        for h in r.squawk_hits:
            print(f"      squawk {h['rule']}: {h['statement'][:110]}")
    if unrenderable:
        print(f"\nNot renderable offline ({len(unrenderable)}):")
        for r in unrenderable:
            print(f"  [{r.rule}] {r.case}: {r.problem}")
    if off_fixture:
        print(f"\nOur result differs from the fixture's expectation ({len(off_fixture)}):")
        for r in off_fixture:
            print(f"  [{r.rule}] {r.case}: fixture fires={r.fixture_fires}, ours={r.ours}")
    return 0


def _result_dict(r: Result) -> dict[str, Any]:
    return {"rule": r.rule, "squawk_rules": list(r.squawk_rules), "case": r.case,
            "outcome": r.outcome, "why": r.why, "ours": r.ours, "squawk": r.squawk,
            "fixture_fires": r.fixture_fires, "our_messages": r.our_messages,
            "squawk_hits": r.squawk_hits, "problem": r.problem}


if __name__ == "__main__":
    sys.exit(main())
