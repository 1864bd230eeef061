"""Once across servers: N `migrate-doctor apply` processes started together on one
database (PostgreSQL, MariaDB, SQLite). Every revision must run exactly once (each writes
a row to apply_log), every process must exit 0, and the database must end at head.

    python bench/apply_concurrent.py [--processes 8] [--revisions 6] [--dialects ...] [--json]

Figures: wall time, how long the waiters waited, who applied what, in the same run on
each database; and the peer, N plain `alembic upgrade head` (what `flask db upgrade` runs)
started together on a fresh copy: how many fail, which revisions ran twice. Exit status 1
when a check of apply fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _apply_common import Project, env, log, mariadb, postgres, query, tables  # noqa: E402
from _common import machine  # noqa: E402

BASE = 'op.create_table("apply_log", sa.Column("rev", sa.String(20)), sa.Column("at", sa.Float()))'


def build(root: Path, url: str, revisions: int, dialect: str) -> Project:
    project = Project(root, url)
    project.add(BASE)
    for i in range(revisions):
        rev = f"r{len(project.revs) + 1:02d}"
        sleep = {"postgresql": "SELECT pg_sleep(0.2)", "mysql": "SELECT SLEEP(0.2)"}.get(dialect)
        body = [f"op.execute(\"INSERT INTO apply_log (rev, at) VALUES ('{rev}', 0)\")",
                f'op.create_table("t{i}", sa.Column("id", sa.Integer(), primary_key=True))',
                f'op.add_column("t{i}", sa.Column("note", sa.String(20)))']
        if sleep:
            body.insert(1, f'op.execute("{sleep}")')
        project.add("\n".join(body))
    out = project.alembic("upgrade", project.revs[0])
    if out.returncode:
        raise SystemExit(f"alembic upgrade failed:\n{out.stderr[-2000:]}")
    return project


def peer(project: Project, n: int) -> dict[str, Any]:
    """The same start with plain `alembic upgrade head` (what `flask db upgrade` runs): no
    lock, so the processes race."""
    start = time.perf_counter()
    procs = [subprocess.Popen([str(Path(sys.executable).parent / "alembic"), "-c",
                               str(project.ini), "upgrade", "head"], cwd=project.root, env=env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    outs = [p.communicate(timeout=600) for p in procs]
    wall = time.perf_counter() - start
    codes = [p.returncode for p in procs]
    rows = [r[0] for r in query(project.url, "SELECT rev FROM apply_log")]
    errors = sorted({_error_line(err) for (_, err), c in zip(outs, codes) if c})
    return {"wall_seconds": round(wall, 2), "failed_processes": sum(1 for c in codes if c),
            "revisions_run_more_than_once": sorted({r for r in rows if rows.count(r) > 1}),
            "errors": errors}


def _error_line(err: str) -> str:
    lines = [x.strip() for x in err.splitlines() if "Error" in x and "Background" not in x]
    return (lines[-1] if lines else (err.strip().splitlines() or ["?"])[-1])[:160]


def run(project: Project, n: int) -> dict[str, Any]:
    start = time.perf_counter()
    procs = [subprocess.Popen(project.apply_argv("--format", "json", "--wait", "300"),
                              cwd=project.root, env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    outs = [p.communicate(timeout=600) for p in procs]
    wall = time.perf_counter() - start
    codes = [p.returncode for p in procs]
    applied, waited, tracebacks = [], [], 0
    for out, err in outs:
        tracebacks += "Traceback" in out + err
        events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        report = events[-1] if events and events[-1].get("event") == "report" else {}
        applied.append(report.get("apply", {}).get("applied", []))
        waited += [e["waited"] for e in events if e.get("event") == "lock-acquired"]
    log_rows = sorted(r[0] for r in query(project.url, "SELECT rev FROM apply_log"))
    version = sorted(r[0] for r in query(project.url, "SELECT version_num FROM alembic_version"))
    expected = project.revs[1:]
    schema_ok = {f"t{i}" for i in range(len(expected))} <= tables(project.url)
    checks = {
        "every process exit 0": codes == [0] * n,
        "each revision applied exactly once": log_rows == expected,
        "one process applied them all, the others found nothing to do":
            sorted(map(len, applied)) == [0] * (n - 1) + [len(expected)],
        "version table at head": version == [project.revs[-1]],
        "schema at head": schema_ok,
        "no traceback": tracebacks == 0,
    }
    return {"processes": n, "revisions": len(expected), "wall_seconds": round(wall, 2),
            "exit_codes": codes, "applied_per_process": [len(a) for a in applied],
            "waited_seconds": sorted(round(w, 2) for w in waited), "apply_log": log_rows,
            "checks": checks, "ok": all(checks.values())}


def measure(root: Path, new_url: Any, args: Any, dialect: str) -> dict[str, Any]:
    result = run(build(root / "apply", new_url(), args.revisions, dialect), args.processes)
    if not args.no_peer:
        log(f"{dialect}: the peer, {args.processes} concurrent `alembic upgrade head`")
        result["peer"] = peer(build(root / "peer", new_url(), args.revisions, dialect),
                              args.processes)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=8)
    ap.add_argument("--revisions", type=int, default=6)
    ap.add_argument("--dialects", nargs="+", default=["postgresql", "mysql", "sqlite"])
    ap.add_argument("--no-peer", action="store_true",
                    help="Skip the same start with plain `alembic upgrade head`.")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="md-bench-apply-") as tmp:
        for dialect in args.dialects:
            root = Path(tmp) / dialect
            log(f"{dialect}: {args.processes} concurrent applies of {args.revisions} revisions")
            if dialect == "sqlite":
                urls = iter(f"sqlite:///{Path(tmp) / name}" for name in ("app.db", "peer.db"))
                results[dialect] = measure(root, lambda: next(urls), args, dialect)
            elif dialect == "postgresql":
                with postgres() as pg:
                    results[dialect] = measure(root, pg.new_database, args, dialect)
            else:
                with mariadb() as my:
                    if my is None:
                        results[dialect] = {"skipped": "MariaDB not installed"}
                        continue
                    results[dialect] = measure(root, my.new_database, args, dialect)
    doc = {"benchmark": "apply: concurrent processes on one database", "machine": machine(),
           "results": results}
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        m = doc["machine"]
        print(f"== {doc['benchmark']} ({m['cpu']}, {m['nproc']} CPUs, Python {m['python']})")
        for dialect, r in results.items():
            if "skipped" in r:
                print(f"{dialect:<11} skipped: {r['skipped']}")
                continue
            print(f"{dialect:<11} {r['processes']} processes, {r['revisions']} revisions: "
                  f"wall {r['wall_seconds']:.1f}s, exit codes {sorted(set(r['exit_codes']))}, "
                  f"applied per process {sorted(r['applied_per_process'], reverse=True)}, "
                  f"longest wait for the lock {max(r['waited_seconds'] or [0]):.1f}s")
            for check, ok in r["checks"].items():
                print(f"            {'ok  ' if ok else 'FAIL'} {check}")
            if "peer" in r:
                p = r["peer"]
                print(f"{'':<11} peer, plain `alembic upgrade head` x{r['processes']}: wall "
                      f"{p['wall_seconds']:.1f}s, {p['failed_processes']} process(es) failed, "
                      f"revisions run more than once: {p['revisions_run_more_than_once'] or 'none'}")
                for e in p["errors"][:3]:
                    print(f"{'':<16}{e}")
    return 0 if all(r.get("ok", True) for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
