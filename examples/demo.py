"""Break a throwaway copy of examples/shop the way real projects break, then diagnose it.

Run from the repository root with the project's virtualenv:

    .venv/bin/python examples/demo.py [--keep]

The original examples/shop is never modified: everything happens in a fresh temporary
directory, using only the real tools (git and the `flask db` commands of Flask-Migrate).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SHOP_DIR: Path = Path(__file__).resolve().parent / "shop"

# The revisions of examples/shop/migrations, oldest first.
REV_CREATE_USERS = "99df8ea56d5a"
REV_CREATE_ORDERS = "c42b0b03b037"
REV_ORDERS_STATUS = "54e1c1457dca"
REV_ORDERS_INDEX = "9b13db13fce7"

# The revision a teammate wrote on another branch, on top of the same parent as REV_ORDERS_INDEX.
TEAMMATE_REV = "3f6d2a9c8b71"
TEAMMATE_MESSAGE = "add users.phone"
TEAMMATE_UPGRADE = """\
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
"""
TEAMMATE_DOWNGRADE = """\
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
"""

# Settings for the demo repository's commit, passed with -c so no git config file is touched.
GIT_COMMIT_CONFIG: dict[str, str] = {
    "user.name": "Shop Developer",
    "user.email": "dev@shop.example",
    "commit.gpgsign": "false",
}


# How much of a failed setup command's output to show (the end of a traceback is what matters).
MAX_ERROR_LINES = 15


class DemoError(Exception):
    """A setup step failed; the message says which one and why."""


def flask_command() -> list[str]:
    """The `flask` of the interpreter running this script (the venv's), or `python -m flask`."""
    bin_dir = Path(sys.executable).parent
    for name in ("flask", "flask.exe"):
        candidate = bin_dir / name
        if candidate.is_file():
            return [str(candidate)]
    return [sys.executable, "-m", "flask"]


def base_env() -> dict[str, str]:
    """This process's environment without variables that would point git at another repository."""
    hidden = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"}
    return {key: value for key, value in os.environ.items() if key not in hidden}


def flask_env() -> dict[str, str]:
    """Environment for `flask` in the copy: FLASK_APP=shop and the copy's own SQLite file."""
    env = base_env()
    env.pop("DATABASE_URL", None)
    env["FLASK_APP"] = "shop"
    return env


def run(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> str:
    """Run a setup command quietly; return its output or raise DemoError with it."""
    try:
        result = subprocess.run(
            list(cmd), cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise DemoError(f"could not run {cmd[0]!r}: {exc}") from exc
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        lines = output.splitlines()
        if len(lines) > MAX_ERROR_LINES:
            output = "\n".join(["...", *lines[-MAX_ERROR_LINES:]])
        shown = " ".join(Path(cmd[0]).name if i == 0 else part for i, part in enumerate(cmd))
        raise DemoError(f"`{shown}` failed with exit code {result.returncode}:\n{output}")
    return output


def copy_project(workdir: Path) -> Path:
    project = workdir / "shop"
    shutil.copytree(
        SHOP_DIR, project, ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.db")
    )
    return project


def commit_to_git(project: Path) -> bool:
    """Make the copy a git repository with everything committed; False if git is unavailable."""
    git = shutil.which("git")
    if git is None:
        print(
            "note: git was not found on PATH; skipping the git step, so git-based checks "
            "will have nothing to look at."
        )
        return False
    env = base_env()
    config = [arg for key, value in GIT_COMMIT_CONFIG.items() for arg in ("-c", f"{key}={value}")]
    try:
        run([git, "-c", "init.defaultBranch=main", "init", "-q"], project, env)
        run([git, "add", "--all"], project, env)
        run([git, *config, "commit", "-q", "-m", "Shop: users and orders"], project, env)
    except DemoError as exc:
        print(f"note: the git step failed, continuing without it.\n{exc}")
        return False
    return True


def add_teammate_revision(project: Path, flask: list[str], env: dict[str, str]) -> Path:
    """Create a second head: a revision branching off REV_ORDERS_STATUS, like a merged branch."""
    run(
        [
            *flask,
            "db",
            "revision",
            "-m",
            TEAMMATE_MESSAGE,
            "--rev-id",
            TEAMMATE_REV,
            "--head",
            REV_ORDERS_STATUS,
            "--splice",
        ],
        project,
        env,
    )
    matches = sorted((project / "migrations" / "versions").glob(f"{TEAMMATE_REV}_*.py"))
    if len(matches) != 1:
        raise DemoError(
            f"expected one generated file for revision {TEAMMATE_REV}, found {len(matches)}"
        )
    path = matches[0]
    source = path.read_text(encoding="utf-8")
    empty_upgrade = "def upgrade():\n    pass\n"
    empty_downgrade = "def downgrade():\n    pass\n"
    if empty_upgrade not in source or empty_downgrade not in source:
        raise DemoError(f"{path.name} does not look like a fresh revision from script.py.mako")
    source = source.replace(empty_upgrade, f"def upgrade():\n{TEAMMATE_UPGRADE}")
    source = source.replace(empty_downgrade, f"def downgrade():\n{TEAMMATE_DOWNGRADE}")
    path.write_text(source, encoding="utf-8")
    return path


def break_project(project: Path, flask: list[str], env: dict[str, str]) -> Path:
    """Leave the database behind and the migration history with two heads."""
    run([*flask, "db", "upgrade", REV_CREATE_ORDERS], project, env)
    return add_teammate_revision(project, flask, env)


def print_header(project: Path, teammate_file: Path, in_git: bool) -> None:
    print(f"\nBroken on purpose: a copy of examples/shop in {project}, where")
    print(
        f"  - the SQLite database is at {REV_CREATE_ORDERS} (revision 2 of 4), "
        "two migrations behind;"
    )
    print(
        f"  - a teammate's revision {TEAMMATE_REV} ({TEAMMATE_MESSAGE}) also revises "
        f"{REV_ORDERS_STATUS}, so there are two heads;"
    )
    if in_git:
        print(f"  - its file migrations/versions/{teammate_file.name} is not committed to git.")
    print("\n$ flask db diagnose", flush=True)


def diagnose(project: Path, flask: list[str], env: dict[str, str]) -> int:
    """Run `flask db diagnose`, streaming its output; 0 or 1 (errors reported) mean it worked."""
    try:
        result = subprocess.run([*flask, "db", "diagnose"], cwd=project, env=env, check=False)
    except OSError as exc:
        print(f"demo: could not run flask: {exc}", file=sys.stderr)
        return 1
    if result.returncode in (0, 1):
        return 0
    print(f"\ndemo: `flask db diagnose` failed with exit code {result.returncode}", file=sys.stderr)
    return result.returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Break a temporary copy of examples/shop and run `flask db diagnose` on it."
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary copy and print its path"
    )
    args = parser.parse_args(argv)

    if not SHOP_DIR.is_dir():
        print(f"demo: {SHOP_DIR} not found", file=sys.stderr)
        return 1

    flask = flask_command()
    env = flask_env()
    workdir = Path(tempfile.mkdtemp(prefix="migrate-doctor-demo-"))
    try:
        project = copy_project(workdir)
        in_git = commit_to_git(project)
        teammate_file = break_project(project, flask, env)
        print_header(project, teammate_file, in_git)
        return diagnose(project, flask, env)
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if args.keep:
            print(f"\nThe broken copy was kept in {workdir / 'shop'}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
