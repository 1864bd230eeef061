"""What a migration waiting on a lock does to the app's queries, on PostgreSQL.

A Flask app (Flask-SQLAlchemy, Flask-Migrate) has a table `posts` with rows; a load
generator queries it all the time, as the app would. A session (a report, a forgotten
transaction) reads `posts` and keeps its transaction open for `--hold` seconds. Meanwhile a
revision adds a column to `posts`: its ALTER TABLE needs an ACCESS EXCLUSIVE lock, waits
behind the open transaction, and every query of the app queues behind the ALTER.

- `flask db apply`: lock_timeout 2s per attempt, retried with backoff (`--retries`);
- `flask db upgrade` (the peer): no timeout, the ALTER waits as long as the session does.

Printed side by side, same run: the app's longest stall (the slowest query), queries
slower than 1 s, what the migration did and how long it took.

    python bench/apply_lock_stall.py [--hold 30] [--retries 6] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _apply_common import BIN, log, postgres  # noqa: E402
from _common import machine  # noqa: E402

APP = '''
import os
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


class Post(db.Model):
    __tablename__ = "posts"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    migrate.init_app(app, db)
    return app
'''
REVISION = '''"""{message}

Revision ID: {rev}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''
ROWS = 20_000


def make_app(root: Path) -> None:
    (root / "app.py").write_text(textwrap.dedent(APP))
    out = subprocess.run([str(BIN / "flask"), "db", "init"], cwd=root,
                         env=app_env(root, f"sqlite:///{root / 'init.db'}"),
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"flask db init failed:\n{out.stderr}")
    versions = root / "migrations" / "versions"
    revs = [("a1", None, "create posts",
             'op.create_table("posts", sa.Column("id", sa.Integer(), primary_key=True),\n'
             '                sa.Column("title", sa.String(200), nullable=False))'),
            ("b2", "a1", "add posts.views", 'op.add_column("posts", sa.Column("views", '
                                            'sa.Integer()))')]
    for rev, down, message, body in revs:
        (versions / f"{rev}_step.py").write_text(REVISION.format(
            message=message, rev=rev, down=down or "", down_repr=repr(down),
            body=textwrap.indent(body, "    ")))


def app_env(root: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    env.update(FLASK_APP="app", DATABASE_URL=url, PYTHONPATH=str(root))
    return env


class Load:
    """Threads querying posts as the app does; each query's start and duration."""

    def __init__(self, pg: Any, url: str, threads: int = 2) -> None:
        self.pg, self.url = pg, url
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self) -> None:
        conn = self.pg.connect(self.url, autocommit=True, application_name="the app")
        rng = random.Random()
        while not self.stop.is_set():
            t0 = time.perf_counter()
            conn.execute("SELECT title FROM posts WHERE id = %s", (rng.randint(1, ROWS),)).fetchall()
            self.samples.append((t0, time.perf_counter() - t0))
            time.sleep(0.01)
        conn.close()

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def hold(pg: Any, url: str, seconds: float, ready: threading.Event) -> None:
    conn = pg.connect(url, application_name="nightly-report")
    conn.execute("SELECT count(*) FROM posts").fetchall()  # ACCESS SHARE until it ends
    ready.set()
    time.sleep(seconds)
    conn.rollback()
    conn.close()


def scenario(pg: Any, root: Path, command: list[str], hold_seconds: float) -> dict[str, Any]:
    url = pg.new_database()
    env = app_env(root, url)
    subprocess.run([str(BIN / "flask"), "db", "upgrade", "a1"], cwd=root, env=env, check=True,
                   capture_output=True)
    from sqlalchemy import create_engine, text

    from migrate_doctor.database.rows import fill

    engine = create_engine(url)
    with engine.begin() as conn:
        fill(conn, ["posts"], ROWS)  # the app's rows, generated
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE posts"))
    engine.dispose()
    ready = threading.Event()
    with Load(pg, url) as load:
        time.sleep(1.0)
        holder = threading.Thread(target=hold, args=(pg, url, hold_seconds, ready), daemon=True)
        holder.start()
        ready.wait()
        held_at = time.perf_counter()
        time.sleep(0.5)
        t0 = time.perf_counter()
        out = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                             check=False)
        took = time.perf_counter() - t0
        holder.join()
        time.sleep(1.0)
    window = [d for s, d in load.samples if s >= held_at]
    events = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    with pg.connect(url) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    return {
        "exit_code": out.returncode, "migration_seconds": round(took, 2),
        "version_after": version, "queries": len(window),
        "longest_stall_seconds": round(max(window), 3) if window else None,
        "p99_seconds": round(statistics.quantiles(window, n=100)[98], 3)
        if len(window) > 100 else None,
        "queries_over_1s": sum(1 for d in window if d > 1.0),
        "retries": sum(1 for e in events if e.get("event") == "retry"),
        "tail": (out.stdout + out.stderr).strip().splitlines()[-1:] if not events else [],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hold", type=float, default=30.0,
                    help="Seconds the other session keeps its transaction open.")
    ap.add_argument("--retries", type=int, default=6,
                    help="apply's retries (enough to outlast --hold, so it finishes).")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="md-bench-stall-") as tmp, postgres() as pg:
        root = Path(tmp) / "app"
        root.mkdir()
        make_app(root)
        log(f"apply: a session holds posts for {args.hold:.0f}s while flask db apply alters it")
        apply = scenario(pg, root, [str(BIN / "flask"), "db", "apply", "--format", "json",
                                    "--retries", str(args.retries)], args.hold)
        log(f"peer: the same with flask db upgrade")
        peer = scenario(pg, root, [str(BIN / "flask"), "db", "upgrade"], args.hold)
    doc = {"benchmark": "apply: the app's stall behind a migration waiting on a lock",
           "machine": machine(), "hold_seconds": args.hold, "lock_timeout_seconds": 2.0,
           "results": {"flask db apply": apply, "flask db upgrade": peer}}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    m = doc["machine"]
    print(f"== {doc['benchmark']} ({m['cpu']}, {m['nproc']} CPUs; a session holds posts for "
          f"{args.hold:.0f}s; lock_timeout 2s)")
    rows = [("longest stall of the app's queries", "longest_stall_seconds", "{:.2f}s"),
            ("app queries slower than 1s", "queries_over_1s", "{}"),
            ("app queries in the window", "queries", "{}"),
            ("p99 of the app's queries", "p99_seconds", "{:.3f}s"),
            ("migration took", "migration_seconds", "{:.1f}s"),
            ("lock retries", "retries", "{}"),
            ("exit code", "exit_code", "{}"), ("version after", "version_after", "{}")]
    print(f"{'':<36}{'flask db apply':>18}{'flask db upgrade':>20}")
    for label, key, fmt in rows:
        cells = [fmt.format(r[key]) if r[key] is not None else "-" for r in (apply, peer)]
        print(f"{label:<36}{cells[0]:>18}{cells[1]:>20}")
    ok = apply["longest_stall_seconds"] is not None and apply["longest_stall_seconds"] <= 2.5
    print(f"{'ok  ' if ok else 'FAIL'} apply's longest stall <= the lock timeout (2s, + 0.5s "
          "of slack for the round trip and the retry's own statements)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
