"""kill -9 of `migrate-doctor apply` at random moments.

PostgreSQL (default 30 kills): after each kill the database must be at a revision
boundary: one version row, naming revision k; exactly the apply_log rows and tables of
revisions up to k; and the next apply must take the lock at once and finish.

MariaDB (default 10 kills; no transactional DDL): each revision runs three DDL steps with
pauses between them, so a kill often lands inside one. The next `migrate-doctor diagnose`
must report exactly what is there: `half-applied-revision` naming the steps present and
missing when the schema holds part of the next revision, and no such finding when it is
at a boundary.

    python bench/apply_kill.py [--kills 30] [--mariadb-kills 10] [--seed 7] [--json]

Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _apply_common import (DOCTOR, Project, env, log, mariadb, postgres, query,  # noqa: E402
                           tables)
from _common import machine  # noqa: E402

REVISIONS = 8
LOG = 'op.create_table("apply_log", sa.Column("rev", sa.String(20)))'


def pg_project(root: Path, url: str) -> Project:
    project = Project(root, url)
    project.add(LOG)
    for i in range(REVISIONS):
        rev = f"r{len(project.revs) + 1:02d}"
        project.add(f'''
            op.execute("INSERT INTO apply_log (rev) VALUES ('{rev}')")
            op.create_table("t{i}", sa.Column("id", sa.Integer(), primary_key=True),
                            sa.Column("v", sa.Integer()))
            op.execute("INSERT INTO t{i} (id, v) SELECT g, g FROM generate_series(1, 20000) g")
            op.execute("SELECT pg_sleep(0.15)")
            op.create_index("ix_t{i}_v", "t{i}", ["v"])
        ''')
    return project


def my_project(root: Path, url: str) -> Project:
    project = Project(root, url)
    project.add(LOG)
    for i in range(REVISIONS):
        project.add(f'''
            op.create_table("t{i}", sa.Column("id", sa.Integer(), primary_key=True))
            op.execute("SELECT SLEEP(0.25)")
            op.add_column("t{i}", sa.Column("note", sa.String(20)))
            op.execute("SELECT SLEEP(0.25)")
            op.create_index("ix_t{i}_note", "t{i}", ["note"])
        ''')
    return project


def base(project: Project) -> None:
    """The first revision, with Alembic in this process (quicker than a subprocess)."""
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(project.ini)), project.revs[0])


def timed_run(project: Project) -> tuple[float, float]:
    """(seconds until the first revision starts, seconds of the whole apply)."""
    start = time.perf_counter()
    proc = subprocess.Popen(project.apply_argv("--format", "json"), cwd=project.root, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if first is None and '"revision-start"' in line:
            first = time.perf_counter() - start
    proc.wait()
    if proc.returncode:
        raise SystemExit(f"apply failed:\n{proc.stderr.read() if proc.stderr else ''}")
    return first or 0.0, time.perf_counter() - start


def kill_at(project: Project, seconds: float) -> None:
    proc = subprocess.Popen(project.apply_argv(), cwd=project.root, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(seconds)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    time.sleep(1.0)  # the server sees the connection go and ends the session


def pg_state(project: Project) -> dict[str, Any]:
    url = project.url
    versions = sorted(r[0] for r in query(url, "SELECT version_num FROM alembic_version"))
    logged = sorted(r[0] for r in query(url, "SELECT rev FROM apply_log"))
    have = tables(url)
    indexes = {r[0] for r in query(url, "SELECT indexname FROM pg_indexes WHERE "
                                        "schemaname = 'public'")}
    k = project.revs.index(versions[0]) if len(versions) == 1 else -1
    expected_logged = project.revs[1:k + 1]
    expected_tables = {f"t{i}" for i in range(k)}
    expected_indexes = {f"ix_t{i}_v" for i in range(k)}
    at_boundary = (len(versions) == 1 and logged == expected_logged
                   and {t for t in have if t.startswith("t")} == expected_tables
                   and {i for i in indexes if i.startswith("ix_")} == expected_indexes)
    return {"version": versions, "revisions_done": k, "at_boundary": at_boundary}


def run_pg(kills: int, rng: random.Random, tmp: Path) -> dict[str, Any]:
    trials = []
    with postgres() as pg:
        calib = pg_project(tmp / "pg-calib", pg.new_database())
        base(calib)
        first, total = timed_run(calib)
        log(f"postgresql: a whole apply takes {total:.1f}s, its revisions run from {first:.1f}s"
            f"; killing it at {kills} random moments in that window")
        for n in range(kills):
            project = pg_project(tmp / f"pg-{n}", pg.new_database())
            base(project)
            moment = rng.uniform(first, total)
            kill_at(project, moment)
            state = pg_state(project)
            t0 = time.perf_counter()
            out = subprocess.run(project.apply_argv("--format", "json", "--wait", "30"),
                                 cwd=project.root, env=env(), capture_output=True, text=True,
                                 check=False)
            events = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
            waited = next((e["waited"] for e in events if e["event"] == "lock-acquired"), None)
            finished = out.returncode == 0 and pg_state(project)["revisions_done"] == REVISIONS
            trials.append({"killed_at": round(moment, 2), **state, "next_apply_ok": finished,
                           "next_apply_waited": waited,
                           "next_apply_seconds": round(time.perf_counter() - t0, 2)})
            log(f"  kill {n + 1:2d} at {moment:4.1f}s: version {state['version']} "
                f"boundary={state['at_boundary']} next apply ok={finished}")
    checks = {
        "always at a revision boundary with the matching version row":
            all(t["at_boundary"] for t in trials),
        "the next apply takes the lock at once and reaches head":
            all(t["next_apply_ok"] and (t["next_apply_waited"] or 0) < 1 for t in trials),
    }
    done = [t["revisions_done"] for t in trials]
    return {"kills": kills, "whole_apply_seconds": round(total, 2),
            "revisions_start_at": round(first, 2), "revisions_done_when_killed": {str(k): done.count(k) for k in sorted(set(done))},
            "trials": trials, "checks": checks, "ok": all(checks.values())}


def my_truth(project: Project, version: str) -> tuple[list[str], list[str]]:
    """Steps of the revision after ``version`` present and missing, read from the server,
    in diagnose's words (a table created in part is told column by column)."""
    k = project.revs.index(version)
    if k > REVISIONS - 1:
        return [], []
    i = k  # revision r{k+2} makes t{k}
    url = project.url
    if f"t{i}" not in tables(url):
        return [], [f"add table t{i}"]
    cols = {r[0] for r in query(url, "SELECT column_name FROM information_schema.columns "
                                     f"WHERE table_schema = DATABASE() AND table_name = 't{i}'")}
    idx = {r[0] for r in query(url, "SELECT index_name FROM information_schema.statistics "
                                    f"WHERE table_schema = DATABASE() AND table_name = 't{i}'")}
    if "note" in cols and f"ix_t{i}_note" in idx:
        return [f"add table t{i}"], []  # whole: only the version row is missing
    steps = [(f"add table t{i}", True), (f"add column t{i}.id", "id" in cols),
             (f"add column t{i}.note", "note" in cols),
             (f"add index t{i}.ix_t{i}_note", f"ix_t{i}_note" in idx)]
    return [s for s, ok in steps if ok], [s for s, ok in steps if not ok]


def run_mariadb(kills: int, rng: random.Random, tmp: Path) -> dict[str, Any]:
    trials = []
    with mariadb() as my:
        if my is None:
            return {"skipped": "MariaDB not installed"}
        calib = my_project(tmp / "my-calib", my.new_database())
        base(calib)
        first, total = timed_run(calib)
        log(f"mariadb: a whole apply takes {total:.1f}s, its revisions run from {first:.1f}s; "
            f"killing it at {kills} random moments in that window")
        for n in range(kills):
            project = my_project(tmp / f"my-{n}", my.new_database())
            base(project)
            moment = rng.uniform(first, total)
            kill_at(project, moment)
            (version,) = [r[0] for r in query(project.url, "SELECT version_num FROM alembic_version")]
            present, missing = my_truth(project, version)
            out = subprocess.run([DOCTOR, "-c", str(project.ini), "diagnose", "--format", "json"],
                                 cwd=project.root, env=env(), capture_output=True, text=True,
                                 check=False)
            report = json.loads(out.stdout)
            half = [f for f in report["findings"] if f["id"] == "half-applied-revision"]
            said = half[0]["evidence"] if half else {}
            if present:
                exact = bool(half) and sorted(said.get("present", [])) == sorted(present) and \
                    sorted(said.get("missing", [])) == sorted(missing)
                kind = "partial" if missing else "all steps, version not written"
            else:
                exact = not half
                kind = "boundary"
            trials.append({"killed_at": round(moment, 2), "version": version, "state": kind,
                           "present": present, "missing": missing, "diagnose_exact": exact,
                           "diagnose_said": half[0]["message"][:300] if half else None})
            log(f"  kill {n + 1:2d} at {moment:4.1f}s: {version} {kind} present={present} "
                f"diagnose exact={exact}")
    checks = {"the next diagnose reports the partial state exactly":
              all(t["diagnose_exact"] for t in trials)}
    states = [t["state"] for t in trials]
    return {"kills": kills, "whole_apply_seconds": round(total, 2),
            "revisions_start_at": round(first, 2), "states": {s: states.count(s) for s in sorted(set(states))}, "trials": trials,
            "checks": checks, "ok": all(checks.values())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=30, help="PostgreSQL kills")
    ap.add_argument("--mariadb-kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="md-bench-kill-") as tmp:
        results = {"postgresql": run_pg(args.kills, rng, Path(tmp))}
        if args.mariadb_kills:
            results["mariadb"] = run_mariadb(args.mariadb_kills, rng, Path(tmp))
    doc = {"benchmark": "apply: kill -9 at random moments", "machine": machine(),
           "seed": args.seed, "results": results}
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        m = doc["machine"]
        print(f"== {doc['benchmark']} ({m['cpu']}, {m['nproc']} CPUs, seed {args.seed})")
        pg = results["postgresql"]
        print(f"postgresql  {pg['kills']} kills over a {pg['whole_apply_seconds']}s apply; "
              f"revisions done when killed: {pg['revisions_done_when_killed']}")
        for check, ok in pg["checks"].items():
            print(f"            {'ok  ' if ok else 'FAIL'} {check}")
        my = results.get("mariadb")
        if my and "skipped" in my:
            print(f"mariadb     skipped: {my['skipped']}")
        elif my:
            print(f"mariadb     {my['kills']} kills over a {my['whole_apply_seconds']}s apply; "
                  f"states left: {my['states']}")
            for check, ok in my["checks"].items():
                print(f"            {'ok  ' if ok else 'FAIL'} {check}")
    return 0 if all(r.get("ok", True) for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
