"""`apply` (issue 9): the guarded upgrade on SQLite, PostgreSQL and MariaDB. It says what
it will do before it writes; runs each revision once, under a lock the database keeps, in
its own transaction, bounded by lock_timeout; refuses to start on predicted failures and
unaccepted lint errors; names the blocker of a lock; explains a failure and the state it
left; `--phase` follows plan, and `verify` agrees with plan.
"""

from __future__ import annotations

import json
import subprocess

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _support import BIN, FlaskProject, Result, clean_env, describe
from conftest import PG_ROLE, PG_ROLE_PASSWORD, Database
from test_lint_engine import Scratch

BASE = '''
op.create_table("apply_log", sa.Column("rev", sa.String(20), nullable=False))
op.create_table(
    "users",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(50)),
    sa.Column("fax", sa.String(20)),
)
'''
R0, R1, R2 = "0a00000000a0", "0b00000000b1", "0c00000000c2"


def logged(rev: str, body: str) -> str:
    return f"op.execute(\"INSERT INTO apply_log (rev) VALUES ('{rev}')\")\n{body}"


def three(root: Path, database: Database) -> Scratch:
    """base (applied, with rows), then an expand revision and a contract revision."""
    project = Scratch(root, url=database.url)
    project.add(R0, None, BASE, slug="base")
    project.add(R1, R0, logged(R1, 'op.add_column("users", sa.Column("age", sa.Integer()))'),
                'op.drop_column("users", "age")', slug="add_age")
    drop = ('with op.batch_alter_table("users") as b:\n    b.drop_column("fax")'
            if database.dialect == "sqlite" else 'op.drop_column("users", "fax")')
    project.add(R2, R1, logged(R2, drop), slug="drop_fax")
    project.upgrade(R0)
    database.execute("INSERT INTO users (id, email, fax) VALUES (1, 'a@x.org', '1')")
    return project


def log_of(database: Database) -> list[str]:
    return sorted(r[0] for r in database.query("SELECT rev FROM apply_log"))


def events(result: Result) -> list[dict[str, Any]]:
    assert "Traceback" not in result.output, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def report_of(result: Result) -> dict[str, Any]:
    last = events(result)[-1]
    assert last["event"] == "report"
    return last


def ids(report: dict[str, Any]) -> list[str]:
    return [f["id"] for f in report["findings"]]


def finding(report: dict[str, Any], fid: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["id"] == fid]
    assert len(found) == 1, describe(report)
    return found[0]


# -- the run ------------------------------------------------------------------------------------

def test_applies_to_head_saying_first_what_it_will_do(replay_database: Database,
                                                      tmp_path: Path):
    database = replay_database
    project = three(tmp_path / "project", database)

    result = project.cli("apply")

    assert result.code == 0, result.output
    assert "Traceback" not in result.output
    said = result.stderr.index("will:")
    assert said < result.stderr.index(f"[1/2] {R1}") < result.stderr.index(f"[2/2] {R2}")
    assert f"from {R0}: 2 revision(s)" in result.stderr and "lock_timeout 2s" in result.stderr
    assert "applied 2 revision(s)" in result.stdout
    assert database.version_rows() == [R2]
    assert log_of(database) == [R1, R2]
    again = project.cli("apply")
    assert again.code == 0 and "nothing to do" in again.stdout, again.output
    assert log_of(database) == [R1, R2]


def test_json_is_one_object_per_event(database: Database, tmp_path: Path):
    project = three(tmp_path / "project", database)

    result = project.cli("apply", "--format", "json")

    assert result.code == 0, result.output
    seen = events(result)
    kinds = [e["event"] for e in seen]
    assert kinds[0] == "start" and kinds[-1] == "report"
    order = [kinds.index(k) for k in ("start", "lock-acquired", "preflight", "plan",
                                      "revision-start", "revision-done", "verify", "report")]
    assert order == sorted(order)
    assert kinds.count("revision-done") == 2
    statements = [e["sql"] for e in seen if e["event"] == "statement"]
    assert any("ADD COLUMN age" in s for s in statements)
    assert all("elapsed" in e for e in seen[:-1])
    report = seen[-1]
    assert report["tool"]["command"] == "apply" and report["apply"]["applied"] == [R1, R2]
    assert report["database"]["current"] == [R2]
    assert set(report["apply"]["rollback"]) == {R1, R2}
    assert report["apply"]["rollback"][R1]["downgrade"] == "loses-data"  # drops users.age
    assert report["apply"]["rollback"][R2]["downgrade"] == "irreversible"  # fax is gone


def test_dry_run_writes_nothing(database: Database, tmp_path: Path):
    project = three(tmp_path / "project", database)
    before = database.snapshot()
    result = project.cli("apply", "--dry-run")
    assert result.code == 0, result.output
    assert "Dry run" in result.stdout and f"run 1/2 {R1}" in result.stdout
    assert database.snapshot() == before


# -- preflight ------------------------------------------------------------------------------------

def test_refuses_to_start_on_a_predicted_failure(replay_database: Database, tmp_path: Path):
    database = replay_database
    project = three(tmp_path / "project", database)
    alter = 'alter_column({}"email", existing_type=sa.String(50), nullable=False)'
    body = ('with op.batch_alter_table("users") as b:\n    b.' + alter.format("")
            if database.dialect == "sqlite" else "op." + alter.format('"users", '))
    project.add("0d00000000d3", R2, body, slug="email_required")
    database.execute("INSERT INTO users (id, email) VALUES (2, NULL), (3, NULL)")
    before = database.snapshot()

    result = project.cli("apply", "--format", "json")

    assert result.code == 1, result.output
    report = report_of(result)
    rows = finding(report, "will-fail-on-rows")
    assert rows["evidence"]["rows"] == 2 and rows["evidence"]["revision"] == "0d00000000d3"
    refused = finding(report, "apply-refused")
    assert "will-fail-on-rows" in refused["message"]
    assert database.snapshot() == before  # not even the revisions before it ran
    assert not [e for e in events(result) if e["event"] == "revision-start"]


def test_a_lint_error_blocks_unless_accepted(tmp_path: Path):
    path = tmp_path / "db" / "app.db"
    path.parent.mkdir()
    database = Database("sqlite", f"sqlite:///{path}", path=path)
    project = three(tmp_path / "project", database)
    project.add("0d00000000d3", R2, 'with op.batch_alter_table("users") as b:\n'
                '    b.drop_column("email")\n    b.add_column(sa.Column("email", sa.Text()))',
                slug="email_again")

    refused = project.cli("apply")
    assert refused.code == 1, refused.output
    assert "drop-and-re-add-column" in refused.stdout
    assert "--accept drop-and-re-add-column" in refused.stdout
    assert database.version_rows() == [R0]

    accepted = project.cli("apply", "--accept", "drop-and-re-add-column")
    assert accepted.code == 0, accepted.output
    assert "(accepted: --accept)" in accepted.stdout
    assert database.version_rows() == ["0d00000000d3"]
    unknown = project.cli("apply", "--accept", "no-such-rule")
    assert unknown.code == 2 and "usage-error" in unknown.stderr


# -- deploy order: plan, apply --phase, verify ------------------------------------------------

def test_phases_follow_plan_and_verify_agrees(database: Database, tmp_path: Path):
    project = three(tmp_path / "project", database)

    plan = project.cli("plan")
    assert plan.code == 0, plan.output
    assert "migrate-doctor apply --phase expand" in plan.stdout
    assert "migrate-doctor apply --phase contract" in plan.stdout
    assert plan.stdout.index("--phase expand") < plan.stdout.index("migrate-doctor verify") \
        < plan.stdout.index("--phase contract")

    expand = project.cli("apply", "--phase", "expand")
    assert expand.code == 0, expand.output
    assert database.version_rows() == [R1] and log_of(database) == [R1]

    verify = project.cli("verify")
    assert verify.code == 0, verify.output
    assert f"1 contract revision(s) pending ({R2})" in verify.stdout
    assert "apply --phase contract" in verify.stdout
    head = project.cli("verify", "--head")
    assert head.code == 1 and head.stderr.startswith("not ready: database-behind:")
    nothing = project.cli("apply", "--phase", "expand")
    assert nothing.code == 0 and "nothing to do" in nothing.stdout

    contract = project.cli("apply", "--phase", "contract")
    assert contract.code == 0, contract.output
    assert database.version_rows() == [R2] and log_of(database) == [R1, R2]
    assert project.cli("verify", "--head").code == 0


def test_verify_still_fails_when_an_expand_revision_is_pending(database: Database,
                                                                tmp_path: Path):
    project = three(tmp_path / "project", database)
    result = project.cli("verify")
    assert result.code == 1 and result.stderr.startswith("not ready: database-behind:")


def test_to_revision(database: Database, tmp_path: Path):
    project = three(tmp_path / "project", database)
    result = project.cli("apply", "--to", R1[:6])
    assert result.code == 0, result.output
    assert database.version_rows() == [R1]


# -- locks ------------------------------------------------------------------------------------------

class Holder:
    """A session of the app that reads users in a transaction and keeps it open."""

    def __init__(self, database: Database, seconds: float) -> None:
        import psycopg

        self.conn = psycopg.connect(dbname=database.name, user="postgres",
                                    host=database.postgres.socket_dir,  # type: ignore[union-attr]
                                    application_name="report-job")
        self.conn.execute("SELECT * FROM users").fetchall()
        self.timer = threading.Timer(seconds, self.release)
        self.timer.start()

    def release(self) -> None:
        try:
            self.conn.rollback()
            self.conn.close()
        except Exception:  # noqa: BLE001 - closed already
            pass

    def stop(self) -> None:
        self.timer.cancel()
        self.release()


def pg(postgres: Any) -> Database:
    name = postgres.create_database()
    return Database("postgresql", postgres.url(name), postgres=postgres, name=name)


def test_a_lock_not_granted_names_the_blocker_and_applies_nothing(postgres, tmp_path: Path):
    database = pg(postgres)
    project = three(tmp_path / "project", database)
    holder = Holder(database, 60)
    try:
        result = project.cli("apply", "--lock-timeout", "300ms", "--retries", "1",
                             "--format", "json")
    finally:
        holder.stop()
    assert result.code == 1, result.output
    report = report_of(result)
    failed = finding(report, "apply-failed")
    assert failed["evidence"]["kind"] == "lock-timeout"
    assert "report-job" in failed["message"] and "idle in transaction" in failed["message"]
    assert "AccessShareLock on users" in failed["message"]
    assert "pg_terminate_backend(" in failed["fix"]
    assert [e["event"] for e in events(result)].count("retry") == 1
    assert "rolled back whole" in finding(report, "apply-state")["message"]
    assert database.version_rows() == [R0] and log_of(database) == []


def test_a_lock_granted_on_retry(postgres, tmp_path: Path):
    database = pg(postgres)
    project = three(tmp_path / "project", database)
    holder = Holder(database, 6)  # released while apply backs off
    try:
        result = project.cli("apply", "--lock-timeout", "300ms", "--retries", "4",
                             "--format", "json")
    finally:
        holder.stop()
    assert result.code == 0, result.output
    retries = [e for e in events(result) if e["event"] == "retry"]
    assert retries and retries[0]["blockers"][0]["application"] == "report-job"
    assert database.version_rows() == [R2] and log_of(database) == [R1, R2]


def test_waiters_wait_then_find_the_work_done(postgres, tmp_path: Path):
    """Another apply holds the lock; this one waits, then reads the version table again."""
    from migrate_doctor.apply.lock import lock_key

    database = pg(postgres)
    project = three(tmp_path / "project", database)
    key, _ = lock_key(database.url, "alembic_version", None)
    import psycopg

    other = psycopg.connect(dbname=database.name, user="postgres",
                            host=postgres.socket_dir, autocommit=True,
                            application_name="the other apply")
    other.execute("SELECT pg_advisory_lock(%s)", (key,))
    try:
        short = project.cli("apply", "--wait", "1", "--format", "json")
        assert short.code == 1, short.output
        timeout = finding(report_of(short), "apply-lock-timeout")
        assert "the other apply" in timeout["message"]

        proc = subprocess.Popen([str(BIN / "migrate-doctor"), "-c", str(project.ini), "apply",
                                 "--wait", "60", "--format", "json"], cwd=project.root,
                                env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(2)
        project.upgrade("head")  # the other runner does the work meanwhile
        other.execute("SELECT pg_advisory_unlock(%s)", (key,))
        out, err = proc.communicate(timeout=60)
    finally:
        other.close()
    waited = Result(proc.returncode, out, err)
    assert waited.code == 0, waited.output
    kinds = [e["event"] for e in events(waited)]
    assert "lock-wait" in kinds and "nothing-to-do" in kinds
    assert "another apply reached the target" in finding(report_of(waited), "applied")["message"]
    assert log_of(database) == [R1, R2]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_concurrent_applies_run_each_revision_once(dialect: str, request, tmp_path: Path):
    if dialect == "sqlite":
        path = tmp_path / "db" / "app.db"
        path.parent.mkdir()
        database = Database("sqlite", f"sqlite:///{path}", path=path)
    else:
        database = pg(request.getfixturevalue("postgres"))
    project = three(tmp_path / "project", database)
    procs = [subprocess.Popen([str(BIN / "migrate-doctor"), "-c", str(project.ini), "apply",
                               "--format", "json"], cwd=project.root, env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [Result(p.returncode, *p.communicate(timeout=120)) for p in procs]
    results = [Result(p.returncode, r.stdout, r.stderr) for p, r in zip(procs, results)]
    assert [r.code for r in results] == [0] * 4, [r.output for r in results]
    applied = [report_of(r)["apply"]["applied"] for r in results]
    assert sorted(map(tuple, applied)) == [(), (), (), (R1, R2)]
    assert log_of(database) == [R1, R2] and database.version_rows() == [R2]


# -- failures explained -------------------------------------------------------------------------

def test_duplicate_object_is_explained(database: Database, tmp_path: Path):
    project = three(tmp_path / "project", database)
    project.add("0d00000000d3", R2, 'op.create_table("tags", sa.Column("id", sa.Integer(), '
                "primary_key=True))", slug="tags")
    database.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY)")  # by hand, earlier

    result = project.cli("apply", "--format", "json")

    assert result.code == 1, result.output
    report = report_of(result)
    failed = finding(report, "apply-failed")
    assert failed["evidence"]["kind"] == "duplicate-object", failed
    assert "exists already" in failed["message"] and "tags" in failed["message"]
    assert "stamp 0d00000000d3" in failed["fix"]
    assert failed["location"]["path"].endswith("0d00000000d3_tags.py")
    assert report["apply"]["applied"] == [R1, R2]  # the revisions before it stayed
    assert database.version_rows() == [R2]
    assert set(report["apply"]["rollback"]) == {R1, R2, "0d00000000d3"}


def test_missing_privilege_names_the_grant_and_masks_the_url(postgres, tmp_path: Path):
    database = pg(postgres)
    postgres.admin(f"GRANT ALL ON DATABASE {database.name} TO {PG_ROLE}")
    postgres.admin(f"GRANT CREATE, USAGE ON SCHEMA public TO {PG_ROLE}",
                   database=database.name)
    url = postgres.url(database.name, PG_ROLE, PG_ROLE_PASSWORD)
    project = three(tmp_path / "project", database)  # tables owned by postgres
    postgres.admin(f"ALTER TABLE alembic_version OWNER TO {PG_ROLE}",
                   f"GRANT ALL ON apply_log TO {PG_ROLE}", database=database.name)
    project.add("0d00000000d3", R2, 'op.execute("ALTER TABLE users ADD COLUMN nick TEXT")',
                slug="nick")
    project.set_url(url)
    result = project.cli("apply", "--to", R1, "--format", "json")
    assert PG_ROLE_PASSWORD not in result.output
    report = report_of(result)
    # the table's owner is checked before anything runs
    assert "role-cannot-migrate" in ids(report), describe(report)
    postgres.admin(f"ALTER TABLE users OWNER TO {PG_ROLE}", database=database.name)
    project.cli("apply", "--to", R2)
    postgres.admin(f"ALTER TABLE users OWNER TO postgres", database=database.name)

    result = project.cli("apply", "--format", "json")  # ALTER in SQL: found when it runs

    assert PG_ROLE_PASSWORD not in result.output
    assert result.code == 1, result.output
    failed = finding(report_of(result), "apply-failed")
    assert failed["evidence"]["kind"] == "privilege"
    assert f"ALTER TABLE users OWNER TO {PG_ROLE};" in failed["fix"]


def test_a_data_error_at_run_time_is_explained(database: Database, tmp_path: Path):
    """Rows the revision itself makes: not predictable from the live rows; explained."""
    project = three(tmp_path / "project", database)
    project.add("0d00000000d3", R2, "op.execute(\"UPDATE users SET email = 'same'\")\n"
                "op.execute(\"INSERT INTO users (id, email) VALUES (9, 'x')\")\n"
                "op.execute(\"UPDATE users SET email = 'same'\")\n"
                'op.create_index("ix_users_email", "users", ["email"], unique=True)',
                slug="unique_email")
    result = project.cli("apply", "--format", "json")
    assert result.code == 1, result.output
    failed = finding(report_of(result), "apply-failed")
    assert failed["evidence"]["kind"] == "data", failed
    assert "the rows do not allow it" in failed["message"]
    assert database.version_rows() == [R2]


def test_mariadb_failure_reports_what_stayed(mariadb, tmp_path: Path):
    name = mariadb.create_database()
    database = Database("mysql", mariadb.url(name), name=name)
    project = three(tmp_path / "project", database)
    project.add("0d00000000d3", R2, 'op.add_column("users", sa.Column("nick", sa.String(20)))\n'
                'op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))\n'
                'op.create_index("ix_users_nope", "users", ["nope"])', slug="half")

    result = project.cli("apply", "--format", "json")

    assert result.code == 1, result.output
    report = report_of(result)
    assert finding(report, "apply-failed")["evidence"]["kind"] == "other"
    half = finding(report, "half-applied-revision")
    assert sorted(half["evidence"]["present"]) == ["add column users.nick", "add table tags"]
    assert database.version_rows() == [R2]


def test_after_the_run_the_drift_is_verified(database: Database, tmp_path: Path):
    project = three(tmp_path / "project", database)
    result = project.cli("apply", "--verify-drift", "--format", "json")
    report = report_of(result)
    # the scratch project has no models: the drift check says so, and the gate fails closed
    assert result.code == 1, result.output
    assert "target_metadata" in finding(report, "check-failed")["message"]
    assert database.version_rows() == [R2]


def test_flask_db_apply(blog: FlaskProject, tmp_path: Path):
    blog.url = f"sqlite:///{tmp_path / 'blog.db'}"
    result = blog.flask("db", "apply")
    assert result.code == 0, result.output
    assert "create the SQLite database file" in result.stderr
    assert "applied 2 revision(s)" in result.stdout
    assert blog.flask("db", "verify").code == 0
    assert "--phase" in blog.flask("db", "apply", "--help").stdout


def test_bad_options_are_usage_errors(database: Database, tmp_path: Path):
    project = three(tmp_path / "project", database)
    both = project.cli("apply", "--to", R1, "--phase", "expand")
    assert both.code == 2 and both.stderr.startswith("usage-error:")
    duration = project.cli("apply", "--lock-timeout", "soon")
    assert duration.code == 2 and "duration" in duration.stderr
    (project.root / "pyproject.toml").write_text('[tool.migrate-doctor]\nlock-timeout = "1min"\n'
                                                  'lock-retries = 0\n')
    dry = project.cli("apply", "--dry-run")
    assert dry.code == 0 and "lock_timeout 60s" in dry.stdout and "0 retries" in dry.stdout



@pytest.mark.parametrize("done", ["table and column", "everything"])
def test_mariadb_state_left_by_a_kill_is_reported_exactly(mariadb, tmp_path: Path, done: str):
    """A kill between the steps of a revision (no transactional DDL): diagnose says which
    of its steps are there, column by column for a table it creates and then alters."""
    from migrate_doctor import api

    name = mariadb.create_database()
    database = Database("mysql", mariadb.url(name), name=name)
    project = three(tmp_path / "project", database)
    project.upgrade("head")
    project.add("0d00000000d3", R2, 'op.create_table("tags", sa.Column("id", sa.Integer(), '
                'primary_key=True))\nop.add_column("tags", sa.Column("label", sa.String(20)))\n'
                'op.create_index("ix_tags_label", "tags", ["label"])', slug="tags")
    database.execute("CREATE TABLE tags (id INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (id))",
                     "ALTER TABLE tags ADD COLUMN label VARCHAR(20)")
    if done == "everything":
        database.execute("CREATE INDEX ix_tags_label ON tags (label)")

    report = api.diagnose(project.target())

    (half,) = [f for f in report.findings if f.id == "half-applied-revision"]
    if done == "everything":
        assert half.evidence["missing"] == [] and "stamp 0d00000000d3" in (half.fix or "")
    else:
        assert sorted(half.evidence["present"]) == ["add column tags.id", "add column tags.label",
                                                    "add table tags"]
        assert half.evidence["missing"] == ["add index tags.ix_tags_label"]


def test_mariadb_lock_not_granted_names_the_open_transaction(mariadb, tmp_path: Path):
    import pymysql

    name = mariadb.create_database()
    database = Database("mysql", mariadb.url(name), name=name)
    project = three(tmp_path / "project", database)
    holder = pymysql.connect(unix_socket=str(mariadb.socket), user="root", database=name)
    try:
        with holder.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("SELECT * FROM users")
            cur.fetchall()
            (session,) = cur.execute("SELECT CONNECTION_ID()") and cur.fetchone()
        result = project.cli("apply", "--lock-timeout", "1s", "--retries", "0",
                             "--format", "json")
    finally:
        holder.rollback()
        holder.close()
    assert result.code == 1, result.output
    failed = finding(report_of(result), "apply-failed")
    assert failed["evidence"]["kind"] == "lock-timeout"
    assert f"pid {session}" in failed["message"] and "open transaction" in failed["message"]
    assert f"KILL {session}" in failed["fix"]
    assert "nothing of the failed one stayed" in finding(report_of(result), "apply-state")[
        "message"]
    assert database.version_rows() == [R0]


def test_a_statement_over_statement_timeout_is_said(postgres, tmp_path: Path):
    database = pg(postgres)
    project = three(tmp_path / "project", database)
    project.add("0d00000000d3", R2, 'op.execute("SELECT pg_sleep(5)")', slug="slow")
    result = project.cli("apply", "--statement-timeout", "1s", "--format", "json")
    assert result.code == 1, result.output
    failed = finding(report_of(result), "apply-failed")
    assert failed["evidence"]["kind"] == "statement-timeout"
    assert "statement_timeout 1.0s" in failed["message"] and "pg_sleep" in failed["message"]
    assert database.version_rows() == [R2]
