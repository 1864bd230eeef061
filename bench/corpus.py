"""Run `migrate-doctor lint` over a corpus of real migration histories, to measure the rules.

    .venv/bin/python bench/corpus.py DIR... [--dialect postgresql] [--json OUT] [--diagnose]
                                            [--no-cache] [--quiet]

Each DIR is a migrations directory (the folder that holds env.py and versions/), a
version directory itself (a folder of revision files, e.g. Prefect's
versions/postgresql), or any folder containing such directories: it is walked, and every
folder holding an env.py, a versions/ folder or a script.py.mako is one history. The
corpus is kept outside the repository (e.g. /work/corpus/<owner>+<name>/<path in repo>).

Nothing of the projects is imported or run: no app, no env.py, no database. The lint
goes through the Python API (`migrate_doctor.lint.lint`) with a hand-made `Project`:

- version directories: `versions/` and the folders below it that hold revision files
  (as `recursive_version_locations`: keystone's versions/<release>/expand), with two
  exceptions. Sub-folders named after dialects (`versions/postgresql`, `versions/sqlite`,
  the Prefect layout) are separate histories, and only the one matching --dialect is
  linted (all of them without --dialect). A sub-folder with a base revision of its own
  while versions/ has one too (an old chain kept beside a squash: zou's versions/legacy)
  is a separate history. A folder without env.py / versions/ whose .py
  files are revisions (Flask-Alembic's layout) is its own version directory.
- the dialect is --dialect; without it only the dialect-independent rules run. (The
  hand-made Project has no env.py reader, so lint() never runs the project's env.py.)

A history's project is the <owner>+<name> folder it sits in (or the top folder under the
walked DIR). It prints, per history: revisions, findings per rule, and crashes (any exception, caught
per history with a traceback summary, so one crash does not stop the run); then a total
table (rule id, severity, count, findings per 100 revisions) and the total time.

    --json OUT   every finding as a JSON list: project, history, rule, severity, path
                 (absolute), line, message, fix; plus the crashes, in {"findings", "crashes",
                 "histories"}.
    --diagnose   also run diagnose's script-only checks (no database, no models) and report
                 their counts and crashes.
    --no-cache   set MIGRATE_DOCTOR_NO_CACHE=1 (cold: every file is parsed again).
    --opt-in     also run the opt-in rules (``default=False``), as if each were selected.
    --deploy X   "online" or "stopped": lint's deploy setting for every history given (a
                 project that migrates with its services stopped).

Imports nothing outside the standard library and migrate_doctor. Figures only: the exit
status is 0 whatever is found (2 for bad usage).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

DIALECT_DIRS = {"postgresql", "postgres", "sqlite", "mysql", "mariadb", "mssql", "oracle"}
SKIP_DIRS = {"__pycache__", ".git", "node_modules"}


@dataclass
class History:
    """One migration history to lint: a label, its migrations dir and version dirs."""

    project: str  # the corpus entry it belongs to (first folder under the walked DIR)
    label: str  # project-relative place of the history, for display
    migrations_dir: Path
    version_dirs: list[Path]
    recursive: bool = False
    dialect_dir: str | None = None  # "postgresql" when the version dir is versions/postgresql


@dataclass
class Result:
    history: History
    revisions: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)
    crash: str | None = None
    diagnose: Counter[str] = field(default_factory=Counter)
    diagnose_crash: str | None = None
    seconds: float = 0.0


# -- finding the histories -------------------------------------------------------------------


def _has_py(folder: Path) -> bool:
    return any(p.suffix == ".py" and not p.name.startswith("__") for p in folder.iterdir()
               if p.is_file())


def _looks_like_revision(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    return "revision" in head and "down_revision" in head


def histories_of(migrations_dir: Path, project: str, label: str) -> list[History]:
    """The histories of one migrations directory (usually one)."""
    versions = migrations_dir / "versions"
    if not versions.is_dir():  # Flask-Alembic: the revisions sit in the folder itself
        return [History(project, label, migrations_dir, [migrations_dir])]
    subdirs = sorted(p for p in versions.iterdir() if p.is_dir() and p.name not in SKIP_DIRS
                     and any(p.rglob("*.py")))
    if not subdirs:
        return [History(project, label, migrations_dir, [versions])]
    if not _has_py(versions) and all(p.name.lower() in DIALECT_DIRS for p in subdirs):
        return [History(project, f"{label} [{p.name}]", migrations_dir, [p], False,
                        p.name.lower()) for p in subdirs]
    # Sub-folders join the history (keystone's versions/<release>/expand), except one that
    # has a base revision of its own while versions/ has one too: a separate, older chain
    # kept beside a squash (zou's versions/legacy), linted as its own history.
    top_base = _has_base(versions, recursive=False)
    joined, separate = [], []
    for sub in subdirs:
        (separate if top_base and _has_base(sub, recursive=True) else joined).append(sub)
    dirs = [versions] + [d for sub in joined for d in _py_dirs(sub)]
    found = [History(project, label, migrations_dir, dirs)]
    for sub in separate:
        found.append(History(project, f"{label} [{sub.name}]", migrations_dir, _py_dirs(sub)))
    return found


_BASE = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(None|\(\)|''|\"\")\s*$", re.MULTILINE)


def _has_base(folder: Path, recursive: bool) -> bool:
    """Whether a revision file under folder has no parent (down_revision = None)."""
    files = folder.rglob("*.py") if recursive else folder.glob("*.py")
    for path in files:
        try:
            if _BASE.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


def _py_dirs(folder: Path) -> list[Path]:
    """folder and every folder below it that holds .py files, as plain version dirs."""
    return sorted({p.parent for p in folder.rglob("*.py") if "__pycache__" not in p.parts})


def find_histories(directory: Path) -> list[History]:
    directory = directory.resolve()
    name = directory.name

    def is_migrations(folder: Path) -> bool:
        return (folder / "env.py").is_file() or (folder / "versions").is_dir() \
            or (folder / "script.py.mako").is_file()

    if is_migrations(directory):
        return histories_of(directory, name, name)
    if _has_py(directory) and any(_looks_like_revision(p) for p in directory.glob("*.py")):
        # a version directory given directly: the migrations dir is the nearest parent
        # with an env.py (for lint's env.py source), else the folder itself
        parent = next((p for p in directory.parents if (p / "env.py").is_file()), directory)
        return [History(name, name, parent, [directory],
                        dialect_dir=name.lower() if name.lower() in DIALECT_DIRS else None)]
    found: list[History] = []
    for current, dirs, _files in os.walk(directory):
        folder = Path(current)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        if folder != directory and is_migrations(folder):
            rel = folder.relative_to(directory)
            found.extend(histories_of(folder, rel.parts[0], str(rel)))
            dirs[:] = []  # versions/ and the rest belong to this history
    # DIR is one project (an <owner>+<name> corpus folder, or all its histories sit under
    # one top folder): name the histories after it; else DIR is a corpus of projects
    if "+" in name or len({h.project for h in found}) == 1:
        for h in found:
            h.project, h.label = name, f"{name}/{h.label}"
    return found


# -- running ---------------------------------------------------------------------------------


def _crash_summary(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                        for f in reversed(frames[-4:]))
    return f"{type(exc).__name__}: {exc} [at {where}]"


def make_project(h: History, dialect: str | None) -> Any:
    from migrate_doctor.project.loaded import Project

    # a hand-made Project has no env.py reader: nothing of the project is ever run
    return Project(kind="alembic", migrations_dir=h.migrations_dir,
                   version_dirs=list(h.version_dirs), recursive=h.recursive)


def run_history(h: History, dialect: str | None, diagnose: bool,
                select: set[str] | None = None, deploy: str | None = None) -> Result:
    from migrate_doctor.lint import lint

    result = Result(h)
    start = time.perf_counter()
    try:
        report = lint(project=make_project(h, dialect), dialect=dialect, select=select,
                      deploy=deploy)
        result.revisions = report.project.revisions if report.project else 0
        for f in report.findings:
            loc = f.location
            result.findings.append({
                "project": h.project, "history": h.label, "rule": f.id,
                "severity": f.severity.value,
                "path": str(Path(loc.path).resolve()) if loc else None,
                "line": loc.line if loc else None, "message": f.message, "fix": f.fix,
            })
    except Exception as exc:  # noqa: BLE001 - one crash must not stop the run
        result.crash = _crash_summary(exc)
    if diagnose:
        try:
            from migrate_doctor.api import diagnose as run_diagnose

            report = run_diagnose(project=make_project(h, dialect))
            result.diagnose.update(f"{f.id} ({f.severity.value})" for f in report.findings)
            if not result.revisions and report.project:
                result.revisions = report.project.revisions
        except Exception as exc:  # noqa: BLE001
            result.diagnose_crash = _crash_summary(exc)
    result.seconds = time.perf_counter() - start
    return result


# -- output ----------------------------------------------------------------------------------


def print_history(r: Result, quiet: bool) -> None:
    h = r.history
    counts = Counter(f["rule"] for f in r.findings)
    print(f"\n== {h.label}  ({r.revisions} revisions, {len(r.findings)} findings, "
          f"{r.seconds:.2f}s)")
    if r.crash:
        print(f"   CRASH lint: {r.crash}")
    if r.diagnose_crash:
        print(f"   CRASH diagnose: {r.diagnose_crash}")
    if quiet:
        return
    for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"   {n:5d}  {rule}")
    for what, n in sorted(r.diagnose.items()):
        print(f"   {n:5d}  diagnose: {what}")


def print_totals(results: list[Result], seconds: float, diagnose: bool) -> None:
    revisions = sum(r.revisions for r in results)
    projects = len({r.history.project for r in results})
    counts = Counter((f["rule"], f["severity"]) for r in results for f in r.findings)
    print(f"\n== total: {projects} projects, {len(results)} histories, {revisions} revisions, "
          f"{sum(counts.values())} findings, "
          f"{sum(1 for r in results if r.crash)} lint crashes"
          + (f", {sum(1 for r in results if r.diagnose_crash)} diagnose crashes" if diagnose
             else ""))
    width = max([len(rule) for rule, _s in counts] + [4])
    print(f"   {'rule':<{width}}  {'severity':<8}  {'count':>6}  {'per 100 rev':>11}")
    for (rule, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        per = 100 * n / revisions if revisions else 0.0
        print(f"   {rule:<{width}}  {severity:<8}  {n:6d}  {per:11.1f}")
    if diagnose:
        dcounts: Counter[str] = Counter()
        for r in results:
            dcounts.update(r.diagnose)
        print("   diagnose (script-only checks):")
        for what, n in sorted(dcounts.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"   {n:6d}  {what}")
    print(f"   total time {seconds:.2f}s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    ap.add_argument("--dialect", help="postgresql, mysql, sqlite (default: none)")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write every finding to OUT")
    ap.add_argument("--diagnose", action="store_true", help="also run the script-only checks")
    ap.add_argument("--no-cache", action="store_true", help="parse every file again")
    ap.add_argument("--quiet", action="store_true", help="per history, only the summary line")
    ap.add_argument("--opt-in", action="store_true", help="also run the opt-in rules")
    ap.add_argument("--deploy", choices=["online", "stopped"], default=None,
                    help="how every history given migrates (lint's deploy setting)")
    args = ap.parse_args(argv)
    if args.no_cache:
        os.environ["MIGRATE_DOCTOR_NO_CACHE"] = "1"
    from migrate_doctor.rules._engine import normalize_dialect

    dialect = normalize_dialect(args.dialect)
    histories: list[History] = []
    for d in args.dirs:
        if not d.is_dir():
            print(f"not a directory: {d}", file=sys.stderr)
            return 2
        found = find_histories(d)
        if not found:
            print(f"no migrations directory under {d}", file=sys.stderr)
        histories.extend(found)
    # Prefect layout: lint versions/<dialect> only with its own dialect
    histories = [h for h in histories if dialect is None or h.dialect_dir is None
                 or normalize_dialect(h.dialect_dir) == dialect]

    print(f"migrate-doctor lint over {len(histories)} histories, dialect {dialect or '(none)'}")
    start = time.perf_counter()
    select = None
    if args.opt_in:
        from migrate_doctor.rules import RULES

        select = {e.id for e in RULES.all()}
    results = []
    for h in histories:
        r = run_history(h, dialect, args.diagnose, select, args.deploy)
        print_history(r, args.quiet)
        results.append(r)
    seconds = time.perf_counter() - start
    print_totals(results, seconds, args.diagnose)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "dialect": dialect,
            "histories": [{"project": r.history.project, "history": r.history.label,
                           "migrations_dir": str(r.history.migrations_dir),
                           "revisions": r.revisions, "findings": len(r.findings),
                           "crash": r.crash, "diagnose_crash": r.diagnose_crash,
                           "diagnose": dict(r.diagnose)} for r in results],
            "findings": [f for r in results for f in r.findings],
            "crashes": [{"history": r.history.label, "lint": r.crash,
                         "diagnose": r.diagnose_crash}
                        for r in results if r.crash or r.diagnose_crash],
        }, indent=1), encoding="utf-8")
        print(f"   findings written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
