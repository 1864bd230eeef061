"""The deploy gate never lies, and bad input never ends in a traceback.

Loading user code that exits or prints, a drift check that crashes, a disk cache written
by someone else, unreadable files and directories, odd encodings, busy and broken SQLite
files, and the usage errors of the CLI. Each case runs the real console scripts (or the
API where a timing must be forced) on copies of the test projects.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from _support import (
    BIN,
    BLOG_CREATE_COMMENTS,
    BLOG_CREATE_POSTS,
    LIB_ADD_ISBN,
    LIB_CREATE_AUTHORS,
    LIB_CREATE_BOOKS,
    AlembicProject,
    FlaskProject,
    Result,
    clean_env,
    describe,
    ids,
    loud_ids,
    migrate_doctor,
    only,
    tree_snapshot,
)
from conftest import Database

from migrate_doctor import api
from migrate_doctor.model import Severity

# -- helpers -----------------------------------------------------------------------------------


def no_traceback(result: Result) -> Result:
    assert "Traceback" not in result.output, result.output
    return result


def one_line(result: Result, prefix: str, code: int = 1) -> str:
    no_traceback(result)
    assert result.code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    return lines[0]


def inject(path: Path, anchor: str, code: str) -> None:
    """Put ``code`` (indented like ``anchor``) just before the line holding ``anchor``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if anchor in line)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index:index] = [indent + line for line in code.splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- user code that exits while it is loaded: the gate fails closed ---------------------------

EXITS = {
    "exit-0": "import sys; sys.exit(0)",
    "exit-3": "import sys; sys.exit(3)",
    "exit-message": 'import sys; sys.exit("SECRET_KEY is not set")',
    "keyboard-interrupt": "raise KeyboardInterrupt",
}


@pytest.mark.fires("app-import-error")
@pytest.mark.parametrize("code", EXITS.values(), ids=list(EXITS))
def test_app_factory_that_exits_fails_the_gate(blog: FlaskProject, database: Database,
                                               code: str, fired):
    blog.url = database.url
    blog.upgrade(BLOG_CREATE_POSTS)  # behind: a gate that passed would lie
    inject(blog.package / "__init__.py", "db.init_app(app)", code)

    verify = blog.flask("db", "verify")
    line = one_line(verify, "not ready: app-import-error: ")
    assert "blog/__init__.py" in line
    assert verify.stdout == ""
    for args in (("verify", "--format", "json"), ("diagnose", "--format", "json"),
                 ("verify", "--drift", "--format", "json")):
        result = no_traceback(blog.flask("db", *args))
        assert result.code == 1, result.output
        report = fired(result.json())
        f = next(f for f in report["findings"] if f["id"] == "app-import-error")
        assert f["location"]["path"].endswith("blog/__init__.py"), f
        assert f["fix"]
    if "SECRET_KEY" in code:
        assert "SECRET_KEY is not set" in line


@pytest.mark.parametrize("code", [EXITS["exit-0"], EXITS["exit-message"]], ids=["exit-0", "exit-message"])
def test_env_py_that_exits_fails_the_gate(library_db, code: str):
    library, database = library_db
    library.upgrade(LIB_CREATE_AUTHORS)
    inject(library.migrations / "env.py", "target_metadata = load_models()", code)
    line = one_line(library.cli("verify"), "not ready: app-import-error: ")
    assert "env.py" in line
    report = no_traceback(library.cli("diagnose", "--format", "json")).json()
    assert "app-import-error" in loud_ids(report), describe(report)


def test_a_crashing_drift_check_fails_verify(library_db):
    """The drift comparison calls env.py's include_object; when it raises, `verify --drift`
    cannot know the answer, so it must not say ok."""
    library, database = library_db
    _replayable(library)
    library.upgrade("head")
    env = library.migrations / "env.py"
    inject(env, "def run_migrations_offline", textwrap.dedent('''\
        def include_object(obj, name, type_, reflected, compare_to):
            raise RuntimeError("include_object broke")


        '''))
    env.write_text(env.read_text().replace(
        "        target_metadata=target_metadata,\n        literal_binds=True,",
        "        target_metadata=target_metadata,\n        include_object=include_object,\n"
        "        literal_binds=True,"))
    assert library.cli("verify").code == 0  # without --drift the comparison is not made
    result = library.cli("verify", "--drift")
    line = one_line(result, "not ready: check-failed: ")
    assert "include_object broke" in line
    report = library.cli("verify", "--drift", "--format", "json").json()
    (f,) = [f for f in report["findings"] if f["id"] == "check-failed"]
    assert f["severity"] == "error" and f["evidence"]["check"] == "drift"


def test_verify_drift_without_models_fails(library_db):
    library, database = library_db
    _replayable(library)
    library.upgrade("head")
    env = library.migrations / "env.py"
    env.write_text(env.read_text().replace("target_metadata = load_models().metadata",
                                           "target_metadata = None"))
    one_line(library.cli("verify", "--drift"), "not ready: check-failed: ")
    assert library.cli("verify").code == 0


def _replayable(library: AlembicProject) -> None:
    path = library.file(LIB_ADD_ISBN)
    path.write_text(path.read_text()
                    .replace("import some_module_that_is_not_installed\n", "")
                    .replace("some_module_that_is_not_installed.ISBN()", "sa.String(13)"))


# -- what user code prints never reaches the machine-readable output -------------------------

def test_prints_while_loading_stay_out_of_json(blog: FlaskProject, database: Database):
    blog.url = database.url
    blog.upgrade()
    init = blog.package / "__init__.py"
    init.write_text('print("importing the blog")\n' + init.read_text())
    inject(init, "db.init_app(app)", 'print("creating the app")\nimport sys; print("to stderr", file=sys.stderr)')
    for args in (("diagnose", "--format", "json"), ("plan", "--format", "json"),
                 ("verify", "--format", "json")):
        result = no_traceback(blog.flask("db", *args))
        report = result.json()
        assert "importing the blog" not in result.output and "to stderr" not in result.output
        assert report["tool"]["name"] == "migrate-doctor"
    sarif = blog.flask("db", "lint", "--format", "sarif")
    assert json.loads(sarif.stdout)["version"] == "2.1.0"


def test_output_of_failing_user_code_is_evidence(library: AlembicProject):
    env = library.migrations / "env.py"
    inject(env, "target_metadata = load_models()",
           'print("DATABASE_URL must point at the reporting replica")\nraise RuntimeError("no replica")')
    result = no_traceback(library.cli("diagnose", "--format", "json"))
    f = next(f for f in result.json()["findings"] if f["id"] == "app-import-error")
    assert "reporting replica" in f["evidence"]["output"]


def test_revision_imported_through_the_fallback_prints(library: AlembicProject):
    """A revision whose down_revision is not a literal is imported with Alembic's loader;
    what it prints stays out of stdout."""
    path = library.file(LIB_CREATE_BOOKS)
    text = path.read_text()
    line = f'down_revision = "{LIB_CREATE_AUTHORS}"'
    assert line in text, "the fixture revision changed"
    path.write_text(text.replace(line, "print('imported!')\n"
                                 f"down_revision = '{LIB_CREATE_AUTHORS[:6]}' + '{LIB_CREATE_AUTHORS[6:]}'"))
    result = no_traceback(library.cli("lint", "--format", "json"))
    assert "imported!" not in result.output
    result.json()


# -- the disk cache cannot run code -------------------------------------------------------------

class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # what a hostile cache file would hold
        return (os.system, (f"touch {self.marker}",))


def test_cache_from_elsewhere_never_runs_code(library: AlembicProject, tmp_path: Path):
    cache = tmp_path / "cache"
    baseline = no_traceback(library.cli("lint", "--format", "json",
                                        MIGRATE_DOCTOR_CACHE_DIR=str(cache)))
    files = sorted(cache.iterdir())
    assert files and all(p.suffix == ".json" for p in files), files
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"format": "x", "files": _Boom(marker)})
    for path in files:  # every cache file replaced by a pickle that runs a command
        path.write_bytes(payload)
        path.with_suffix(".pickle").write_bytes(payload)
    again = no_traceback(library.cli("lint", "--format", "json",
                                     MIGRATE_DOCTOR_CACHE_DIR=str(cache)))
    assert not marker.exists()
    assert again.json()["findings"] == baseline.json()["findings"]


def test_tampered_cache_is_a_miss(library: AlembicProject, tmp_path: Path):
    cache = tmp_path / "cache"
    env = {"MIGRATE_DOCTOR_CACHE_DIR": str(cache)}
    baseline = library.cli("lint", "--format", "json", **env).json()["findings"]
    for path in cache.iterdir():
        header, _, body = path.read_bytes().partition(b"\n")
        # a well-formed header over a body it does not match, then a foreign class
        path.write_bytes(header + b"\n" + body.replace(b"Operation", b"Operatio_"))
    assert library.cli("lint", "--format", "json", **env).json()["findings"] == baseline
    from migrate_doctor.scripts import cache as cache_module

    for path in cache.iterdir():
        body = json.dumps({"#d": [["x", {"#c": "Popen", "#f": {"args": "touch /tmp/x"}}]]}).encode()
        import hashlib

        header = f"{cache_module.MAGIC} {path.read_bytes().split(b' ')[1].decode()} " \
                 f"{hashlib.sha256(body).hexdigest()}\n".encode()
        path.write_bytes(header + body)
    assert library.cli("lint", "--format", "json", **env).json()["findings"] == baseline


# -- one way to find the URL ---------------------------------------------------------------------

def test_lint_pending_reads_the_database_env_py_uses(library: AlembicProject, database: Database,
                                                     tmp_path: Path):
    """alembic.ini names another database; env.py takes DATABASE_URL first, as `plan` does."""
    library.set_url(database.url)
    library.upgrade(LIB_CREATE_AUTHORS)
    decoy = tmp_path / "decoy.db"
    library.set_url(f"sqlite:///{decoy}")
    plan = library.cli("plan", "--format", "json", DATABASE_URL=database.url).json()
    lint = no_traceback(library.cli("lint", "--pending", "--format", "json",
                                    DATABASE_URL=database.url))
    pending = plan["plan"]["before_deploy"] + plan["plan"]["after_deploy"] + plan["plan"]["split_first"]
    assert len(pending) == 2
    assert lint.json()["lint"]["revisions_checked"] == 2
    assert not decoy.exists()


def test_lint_pending_with_a_wrong_password_fails(library: AlembicProject, postgres):
    from _support import PASSWORD
    from conftest import PG_ROLE

    url = postgres.url(postgres.create_database(), user=PG_ROLE, password=PASSWORD)
    result = library.cli("lint", "--pending", DATABASE_URL=url)
    one_line(result, "database-unreachable: ")
    assert PASSWORD not in result.output


# -- files that cannot be read ---------------------------------------------------------------

@pytest.mark.fires("versions-dir-unreadable")
def test_unreadable_versions_directory(library: AlembicProject, monkeypatch, fired):
    """chmod 000 on versions/; root reads through any mode, so there the refusal the kernel
    gives other users is made by os.scandir itself."""
    versions = library.versions
    if os.getuid() == 0:
        real = os.scandir

        def scandir(path="."):
            if Path(path).resolve() == versions.resolve():
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        versions.chmod(0o000)
    try:
        report = fired(api.diagnose(library.target()))
        assert report.has_errors
        f = only(report, "versions-dir-unreadable")
        assert "chmod" in (f.fix or "") and "Permission denied" in f.message
        lint = api.lint(library.target())
        assert "versions-dir-unreadable" in ids(lint), describe(lint)
        assert api.verify(library.target()).has_errors
    finally:
        versions.chmod(0o755)


def test_symlink_loop_in_versions(library: AlembicProject):
    (library.versions / "loop_a.py").symlink_to("loop_b.py")
    (library.versions / "loop_b.py").symlink_to("loop_a.py")
    report = no_traceback(library.cli("diagnose", "--format", "json")).json()
    errors = [f for f in report["findings"] if f["id"] == "script-syntax-error"]
    assert len(errors) == 2 and "symbolic links" in errors[0]["message"], describe(report)
    assert no_traceback(library.cli("lint")).code == 1


@pytest.mark.fires("config-invalid")
def test_alembic_ini_that_is_not_utf8(library: AlembicProject, fired):
    library.ini.write_bytes(library.ini.read_bytes().replace(
        b"[alembic]", b"# Konfiguration f\xfcr die Datenbank\n[alembic]"))
    result = library.cli("diagnose", "--format", "json")
    report = fired(no_traceback(result).json())
    assert loud_ids(report) == ["config-invalid"], describe(report)
    one_line(library.cli("verify"), "not ready: config-invalid: ")


def test_pyproject_that_is_not_utf8(library: AlembicProject):
    (library.root / "pyproject.toml").write_bytes(b"# f\xfcr\n[tool.migrate-doctor]\n")
    one_line(library.cli("lint"), "usage-error: ", code=2)


def test_revision_nested_too_deeply(library: AlembicProject):
    path = library.versions / "0ddba11deep0_deep.py"
    path.write_text("revision = '0ddba11deep0'\ndown_revision = None\n"
                    "def upgrade():\n    op.execute(" + " + ".join(['"x"'] * 20000) + ")\n")
    report = no_traceback(library.cli("diagnose", "--format", "json")).json()
    f = next(f for f in report["findings"] if f["id"] == "script-syntax-error")
    assert "nested too deeply" in f["message"]
    assert no_traceback(library.cli("lint")).code == 1


def test_unexpected_failure_is_an_internal_error(library: AlembicProject, monkeypatch):
    from click.testing import CliRunner

    from migrate_doctor.cli.main import cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("something of ours broke")

    monkeypatch.setattr(api, "diagnose", broken)
    runner = CliRunner()
    result = runner.invoke(cli, ["-c", str(library.ini), "diagnose"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "internal-error: migrate-doctor failed unexpectedly: ZeroDivisionError" in result.stderr
    as_json = runner.invoke(cli, ["-c", str(library.ini), "diagnose", "--format", "json"])
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["findings"][0]["id"] == "internal-error"


# -- valid setups that were reported as errors ------------------------------------------------

def test_version_table_that_is_a_view(library_db):
    library, database = library_db
    library.upgrade("head")
    database.execute("CREATE TABLE schema_version (version_num VARCHAR(32) NOT NULL)",
                     f"INSERT INTO schema_version VALUES ('{LIB_ADD_ISBN}')",
                     "DROP TABLE alembic_version",
                     "CREATE VIEW alembic_version AS SELECT version_num FROM schema_version")
    report = library.diagnose()
    # the view is the version table; only its backing table is news to the models
    assert loud_ids(report) in ([], ["schema-drift"]), describe(report)
    assert report.database is not None and report.database.current == (LIB_ADD_ISBN,)
    assert library.cli("verify").code == 0


@pytest.mark.parametrize("encoding", ["latin-1-cookie", "utf-8-bom"])
def test_revision_encodings_python_accepts(library: AlembicProject, encoding: str):
    path = library.file(LIB_CREATE_AUTHORS)
    text = path.read_text(encoding="utf-8").replace('"""', '"""Autoren: Müller, Peña.\n', 1)
    if encoding == "latin-1-cookie":
        path.write_bytes(b"# -*- coding: latin-1 -*-\n" + text.encode("latin-1"))
    else:
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    report = no_traceback(library.cli("diagnose", "--format", "json")).json()
    assert "script-syntax-error" not in ids(report), describe(report)
    lint = no_traceback(library.cli("lint", "--format", "json")).json()
    assert "script-syntax-error" not in ids(lint), describe(lint)


# -- SQLite is a file, not a network ------------------------------------------------------------

def _sqlite(library: AlembicProject, tmp_path: Path) -> Path:
    path = tmp_path / "data" / "app.db"
    path.parent.mkdir()
    library.set_url(f"sqlite:///{path}")
    return path


def test_sqlite_locked_for_longer_than_the_wait(library: AlembicProject, tmp_path: Path,
                                                monkeypatch):
    from migrate_doctor.database import connect, state

    path = _sqlite(library, tmp_path)
    library.upgrade("head")
    monkeypatch.setattr(connect, "SQLITE_BUSY_TIMEOUT", 0.2)
    monkeypatch.setattr(state, "SQLITE_RETRY_FOR", 0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        report = api.verify(library.target())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    f = only(report, "database-unreachable")
    assert f.evidence["reason"] == "locked", f.message
    assert "reachable" not in (f.fix or "") and "lock" in (f.fix or "")


def test_sqlite_busy_with_a_writer_is_read_again(library: AlembicProject, tmp_path: Path):
    path = _sqlite(library, tmp_path)
    library.upgrade("head")
    writer = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    writer.execute("CREATE TABLE hits (n INTEGER)")
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO hits VALUES (?)", (n,))
            time.sleep(0.002)
            writer.execute("COMMIT")
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        reports = [api.verify(library.target()) for _ in range(15)]
    finally:
        stop.set()
        thread.join()
        writer.close()
    for report in reports:
        assert not report.has_errors, describe(report)


@pytest.mark.parametrize("kind", ["not-a-database", "is-a-directory"])
def test_sqlite_path_that_is_not_a_database(library: AlembicProject, tmp_path: Path, kind: str):
    path = _sqlite(library, tmp_path)
    if kind == "not-a-database":
        path.write_text("this is a text file, not SQLite\n" * 100)
    else:
        path.mkdir()
    report = api.diagnose(library.target())
    f = only(report, "database-unreachable")
    assert f.evidence["reason"] == kind, f.message
    assert "reachable" not in (f.fix or ""), f.fix


def test_sqlite_in_a_missing_directory(library: AlembicProject, tmp_path: Path):
    library.set_url(f"sqlite:///{tmp_path}/no/such/dir/app.db")
    report = api.diagnose(library.target())
    f = only(report, "database-empty")
    assert f.severity is Severity.WARNING
    assert "mkdir -p" in (f.fix or "") and "upgrade" not in (f.fix or ""), f.fix
    assert not (tmp_path / "no").exists()


# -- the right id and the right fix ---------------------------------------------------------

@pytest.mark.fires("branch-label-conflict")
def test_branch_label_clash_is_not_a_cycle(library: AlembicProject, fired):
    for rev in (LIB_CREATE_AUTHORS, LIB_CREATE_BOOKS):
        path = library.file(rev)
        text = path.read_text()
        text = text.replace("branch_labels: Union[str, Sequence[str], None] = None",
                            'branch_labels = ("library",)')
        text = text.replace("branch_labels = None", 'branch_labels = ("library",)')
        assert '("library",)' in text
        path.write_text(text)
    report = fired(library.diagnose())
    assert "revision-cycle" not in ids(report), describe(report)
    f = only(report, "branch-label-conflict")
    assert f.location is not None and LIB_CREATE_BOOKS in f.location.path
    assert "branch_labels = None" in (f.fix or "")


def test_interpolation_error_in_script_location(library: AlembicProject):
    text = library.ini.read_text().replace("script_location = %(here)s/migrations",
                                           "script_location = 100%/migrations")
    library.ini.write_text(text)
    report = no_traceback(library.cli("diagnose", "--format", "json")).json()
    assert loud_ids(report) == ["config-invalid"], describe(report)
    f = report["findings"][0]
    assert "script_location" in f["message"] and "%%" in f["fix"]


def test_directory_option_given_the_ini_file(library: AlembicProject):
    report = no_traceback(library.cli("-d", "alembic.ini", "diagnose", "--format", "json")).json()
    f = next(f for f in report["findings"] if f["id"] == "migrations-dir-missing")
    assert "alembic init" not in f["fix"] and "-c alembic.ini" in f["fix"], f["fix"]


def test_usage_errors_of_plain_alembic_name_alembic_commands(library: AlembicProject):
    line = one_line(library.cli("lint", "--since", "zzzzzz"), "usage-error: ", code=2)
    assert "alembic history" in line and "flask" not in line


def test_drift_fix_of_plain_alembic_is_revision_autogenerate(library_db):
    library, database = library_db
    library.upgrade("head")
    database.execute("ALTER TABLE books ADD COLUMN shelf VARCHAR(20)")
    f = only(library.diagnose(), "schema-drift")
    assert "alembic revision --autogenerate" in (f.fix or "") and "alembic migrate" not in (f.fix or "")


# -- usage -------------------------------------------------------------------------------------

def test_lint_of_a_missing_path(library: AlembicProject):
    line = one_line(library.cli("lint", "migrations/versions/nope.py"), "usage-error: ", code=2)
    assert "nope.py" in line


def test_click_usage_errors_are_one_line_and_json(library: AlembicProject, blog: FlaskProject):
    one_line(library.cli("lint", "--format", "xml"), "usage-error: ", code=2)
    one_line(library.cli("diagnose", "--no-such-option"), "usage-error: ", code=2)
    one_line(blog.flask("db", "lint", "--format", "xml"), "usage-error: ", code=2)
    as_json = library.cli("plan", "--url", "sqlite://", "--format", "json", "zz:yy")
    assert as_json.code == 2 and as_json.stderr == "", as_json.output
    assert as_json.json()["findings"][0]["id"] == "usage-error"


def test_slow_app_is_announced(blog: FlaskProject, database: Database):
    blog.url = database.url
    init = blog.package / "__init__.py"
    init.write_text("import time\ntime.sleep(2.6)\n" + init.read_text())
    result = no_traceback(blog.flask("db", "diagnose", "--format", "json"))
    assert "still loading app 'blog'" in result.stderr
    result.json()


# -- read-only: nothing in the tree or the database changes --------------------------------------

COMMANDS = (("diagnose",), ("diagnose", "--format", "json"), ("verify",), ("verify", "--drift"),
            ("lint",), ("lint", "--pending"), ("plan",), ("plan", "base:head"), ("rules",))


def full_snapshot(root: Path) -> dict[str, str]:
    """tree_snapshot plus bytecode and every directory (an instance/ folder made and left)."""
    snap = tree_snapshot(root)
    for path in sorted(root.rglob("*")):
        if ".git" in path.parts:
            continue
        if path.is_dir():
            snap[str(path.relative_to(root)) + "/"] = "dir"
        elif "__pycache__" in path.parts:
            snap[str(path.relative_to(root))] = "bytecode"
    return snap


def test_read_only_plain_alembic(library_db):
    library, database = library_db
    library.upgrade(LIB_CREATE_BOOKS)
    for path in library.root.rglob("__pycache__"):
        shutil.rmtree(path)
    tree, db = full_snapshot(library.root), database.snapshot()
    for command in COMMANDS:
        no_traceback(library.cli(*command))
        assert full_snapshot(library.root) == tree, f"{command} wrote into the project"
        assert database.snapshot() == db, f"{command} wrote to the database"


def test_read_only_flask(blog: FlaskProject, database: Database):
    blog.url = database.url
    blog.upgrade(BLOG_CREATE_POSTS)
    for path in blog.root.rglob("__pycache__"):
        shutil.rmtree(path)
    tree, db = full_snapshot(blog.root), database.snapshot()
    for command in COMMANDS:
        no_traceback(blog.flask("db", *command))
        assert full_snapshot(blog.root) == tree, f"flask db {' '.join(command)} wrote into the project"
        assert database.snapshot() == db, f"{command} wrote to the database"


def test_relative_sqlite_url_leaves_no_instance_folder(blog: FlaskProject):
    """Flask-SQLAlchemy makes instance/ for a relative SQLite URL while the app is set up."""
    blog.url = "sqlite:///blog.db"
    tree = full_snapshot(blog.root)
    for command in (("diagnose",), ("verify",), ("plan", "base:head")):
        no_traceback(blog.flask("db", *command))
    assert full_snapshot(blog.root) == tree
    assert not (blog.root / "instance").exists()
