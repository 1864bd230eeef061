"""Helpers shared by the test modules: the example projects under tests/projects, the
tools that put them into a state (Alembic's command API, `flask db`, git, raw SQL), and
small readers for what migrate-doctor answers."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate_doctor import api
from migrate_doctor.model import Finding, Report, Severity

TESTS_DIR = Path(__file__).resolve().parent
PROJECTS = TESTS_DIR / "projects"
STUBS = PROJECTS / "stubs"
BIN = Path(sys.executable).parent

# -- the plain Alembic project: tests/projects/alembic_library -------------------------
LIB_CREATE_AUTHORS = "1f0c6a1e2b3d"
LIB_CREATE_BOOKS = "5c8d0e7a9b21"
LIB_ADD_ISBN = "a93e4b6c7d80"  # imports some_module_that_is_not_installed
LIB_REVISIONS = (LIB_CREATE_AUTHORS, LIB_CREATE_BOOKS, LIB_ADD_ISBN)
LIB_TABLES = {"authors", "books"}
UNINSTALLED_MODULE = "some_module_that_is_not_installed"

# -- the Flask project: tests/projects/flask_blog (FLASK_APP=blog) ----------------------
BLOG_CREATE_POSTS = "0d5f7c2a9e11"
BLOG_CREATE_COMMENTS = "7b3e91c4d6a2"
BLOG_REVISIONS = (BLOG_CREATE_POSTS, BLOG_CREATE_COMMENTS)

PASSWORD = "s3cr3t-pass"

GIT_CONFIG = ("-c", "user.name=Test Developer", "-c", "user.email=dev@example.invalid",
              "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main")


# -- reading reports ----------------------------------------------------------------------

def ids(report: Report | dict[str, Any]) -> list[str]:
    findings = report["findings"] if isinstance(report, dict) else report.findings
    return [f["id"] if isinstance(f, dict) else f.id for f in findings]


def loud(report: Report) -> list[Finding]:
    """Findings at warning or error level."""
    return [f for f in report.findings if f.severity is not Severity.INFO]


def loud_ids(report: Report | dict[str, Any]) -> list[str]:
    if isinstance(report, dict):
        return [f["id"] for f in report["findings"] if f["severity"] != "info"]
    return [f.id for f in loud(report)]


def only(report: Report, finding_id: str) -> Finding:
    """The one finding with this id (fails when there is none or more than one)."""
    found = [f for f in report.findings if f.id == finding_id]
    assert len(found) == 1, f"expected one {finding_id}, got {describe(report)}"
    return found[0]


def describe(report: Report | dict[str, Any]) -> str:
    """The findings as short lines, for assertion messages."""
    if isinstance(report, dict):
        return "\n".join(f"  {f['severity']} {f['id']}: {f['message']}" for f in report["findings"])
    return "\n".join(f"  {f.severity.value} {f.id}: {f.message}" for f in report.findings)


def assert_healthy(report: Report | dict[str, Any]) -> None:
    """target-database is reported and nothing at warning or above."""
    assert "target-database" in ids(report), describe(report)
    assert loud_ids(report) == [], describe(report)


# -- files --------------------------------------------------------------------------------

def copy_project(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(PROJECTS / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every file under root (Python's own __pycache__ aside) with a hash of its bytes and
    its mtime: any write shows up as a difference."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or ".git" in path.parts or not path.is_file():
            continue
        st = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        out[str(path.relative_to(root))] = f"{digest}:{st.st_mtime_ns}"
    return out


def revision_file(versions: Path, rev: str) -> Path:
    matches = sorted(versions.glob(f"{rev}_*.py"))
    assert len(matches) == 1, matches
    return matches[0]


# -- subprocesses -------------------------------------------------------------------------

@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> dict[str, Any]:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:  # pragma: no cover - shown on failure only
            raise AssertionError(f"not JSON ({exc}):\n{self.stdout}\n{self.stderr}") from None


def clean_env(**extra: str | None) -> dict[str, str]:
    """A minimal environment: nothing of the developer's (no FLASK_APP, DATABASE_URL,
    git config); wide columns so that rich does not wrap the text output."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "COLUMNS": "400",
        "TERM": "dumb",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    if os.environ.get("XDG_CACHE_HOME"):  # the test session's, set by conftest
        env["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 60) -> Result:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def migrate_doctor(*args: str, cwd: Path, **env: str | None) -> Result:
    return run([str(BIN / "migrate-doctor"), *args], cwd, clean_env(**env))


def flask(*args: str, cwd: Path, **env: str | None) -> Result:
    return run([str(BIN / "flask"), *args], cwd, clean_env(**env))


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *GIT_CONFIG, *args], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, check=False, timeout=30)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout.strip()


def git_init_commit(root: Path, message: str = "initial") -> None:
    git(root, "init", "-q")
    git(root, "add", "--all")
    git(root, "commit", "-q", "-m", message)


# -- the plain Alembic project ------------------------------------------------------------

@contextlib.contextmanager
def third_party_installed() -> Iterator[None]:
    """While building a state with Alembic, the revision files' third-party import is
    importable; afterwards it is gone again, as on the machine that runs migrate-doctor."""
    sys.path.insert(0, str(STUBS))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(STUBS))
        sys.modules.pop(UNINSTALLED_MODULE, None)
        importlib.invalidate_caches()


class AlembicProject:
    """A copy of tests/projects/alembic_library, driven through Alembic's command API."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ini = root / "alembic.ini"
        self.migrations = root / "migrations"
        self.versions = self.migrations / "versions"

    def set_url(self, url: str | None) -> None:
        text = self.ini.read_text(encoding="utf-8")
        value = "" if url is None else url.replace("%", "%%")
        text = re.sub(r"(?m)^sqlalchemy\.url =.*$", lambda m: f"sqlalchemy.url = {value}".rstrip(), text)
        self.ini.write_text(text, encoding="utf-8")

    def set_raw_ini_url(self, raw: str) -> None:
        """Write the URL as is, without escaping '%' (to break it on purpose)."""
        text = self.ini.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^sqlalchemy\.url =.*$", lambda m: f"sqlalchemy.url = {raw}", text)
        self.ini.write_text(text, encoding="utf-8")

    def config(self) -> Any:
        from alembic.config import Config

        cfg = Config(str(self.ini))
        cfg.file_config  # noqa: B018 - read it now, then keep env.py's fileConfig away
        cfg.config_file_name = None  # from the logging of the test process
        return cfg

    def upgrade(self, rev: str = "head") -> None:
        from alembic import command

        with third_party_installed():
            command.upgrade(self.config(), rev)

    def stamp(self, rev: str, purge: bool = False) -> None:
        from alembic import command

        with third_party_installed():
            command.stamp(self.config(), rev, purge=purge)

    def revision(self, message: str, rev_id: str, head: str = "head", splice: bool = False) -> Path:
        """`alembic revision` (empty upgrade, from script.py.mako)."""
        from alembic import command

        with third_party_installed():
            command.revision(self.config(), message=message, rev_id=rev_id, head=head,
                             splice=splice)
        return revision_file(self.versions, rev_id)

    def file(self, rev: str) -> Path:
        return revision_file(self.versions, rev)

    def target(self, url: str | None = None) -> api.Target:
        return api.Target(config=str(self.ini), url=url)

    def diagnose(self, url: str | None = None) -> Report:
        assert importlib.util.find_spec(UNINSTALLED_MODULE) is None
        return api.diagnose(self.target(url))

    def verify(self, drift: bool = False) -> Report:
        return api.verify(self.target(), drift=drift)

    def cli(self, *args: str, **env: str | None) -> Result:
        """`migrate-doctor -c alembic.ini ...` in a clean environment."""
        return migrate_doctor("-c", str(self.ini), *args, cwd=self.root, **env)


# -- the Flask project --------------------------------------------------------------------

class FlaskProject:
    """A copy of tests/projects/flask_blog, driven through `flask db` (FLASK_APP=blog)."""

    app = "blog"

    def __init__(self, root: Path, url: str | None = None) -> None:
        self.root = root
        self.url = url
        self.migrations = root / "migrations"
        self.versions = self.migrations / "versions"
        self.package = root / "blog"

    def env(self, **extra: str | None) -> dict[str, str | None]:
        values: dict[str, str | None] = {"FLASK_APP": self.app, "DATABASE_URL": self.url}
        values.update(extra)
        return values

    def flask(self, *args: str, **extra: str | None) -> Result:
        return flask(*args, cwd=self.root, **self.env(**extra))

    def upgrade(self, rev: str = "head") -> None:
        result = self.flask("db", "upgrade", rev)
        assert result.code == 0, result.output

    def diagnose_json(self, **extra: str | None) -> tuple[Result, dict[str, Any]]:
        result = self.flask("db", "diagnose", "--format", "json", **extra)
        assert "Traceback" not in result.output, result.output
        return result, result.json()
