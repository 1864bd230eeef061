"""The version table names a revision no file has.

What it finds:
    A row in alembic_version whose id matches no local revision file. Where the git
    history holds a file with that revision, the commit and the branches containing it
    are named.

Why it matters:
    Every Alembic command fails with `Can't locate revision identified by '...'`: the
    database was upgraded from another branch, the file was deleted or never pulled.

Fix:
    Bring the file back (check out the branch that has it, or restore it from git).
    Only when the schema really matches an existing revision: flask db stamp <that id>.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

from . import Context, Hit, check
from ..model import Severity


def _git(cwd: Path, *args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                             timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def find_in_git(directory: Path, rev: str) -> dict[str, object] | None:
    """The oldest commit that added a file mentioning ``rev``, its path and branches."""
    if not directory.is_dir() or not _git(directory, "rev-parse", "--git-dir"):
        return None
    # only revision sources: repositories commit bytecode (__pycache__/*.pyc) too
    source = ("--", "*.py", ":(exclude)*/__pycache__/*")
    commits = _git(directory, "log", "--all", "--format=%H", "-S", rev, *source).splitlines()
    if not commits:
        return None
    commit = commits[-1]
    files = [f for f in _git(directory, "show", "--name-only", "--format=", commit,
                             *source).splitlines() if f.endswith(".py")]
    path = next((f for f in files if rev in f), files[0] if files else None)
    branches = [b.strip().lstrip("* ").strip() for b in
                _git(directory, "branch", "-a", "--contains", commit,
                     "--format=%(refname:short)").splitlines() if b.strip()]
    return {"commit": commit[:12], "path": path, "branches": branches}


@check("database-unknown-revision", Severity.ERROR,
       "The database names a revision no file has", needs=("scripts", "database"))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None and ctx.db is not None
    known = {rf.revision for rf in ctx.scripts.readable}
    for rev in ctx.db.current:
        if rev in known or ctx.in_unreadable(rev):
            continue  # a file that does not parse may define it: script-syntax-error says so
        found = None
        for directory in ctx.scripts.version_dirs:
            found = find_in_git(directory, rev)
            if found:
                break
        message = (f"the database's {ctx.project.version_table} names revision {rev}, and no "
                   "revision file defines it: every Alembic command fails with \"Can't locate "
                   f"revision identified by '{rev}'\"")
        stamp = (f"only if the schema really matches an existing revision: "
                 f"{ctx.cmd('stamp')} <that revision>")
        if found:
            branches = ", ".join(found["branches"]) or "no branch (only in history)"  # type: ignore[arg-type]
            message += (f". git has it: commit {found['commit']} added {found['path']} "
                        f"(on {branches})")
            fix = (f"git checkout {found['commit']} -- {found['path']} (or merge the branch "
                   f"that has it); {stamp}")
        else:
            fix = (f"find the revision file on the branch or machine that upgraded this database "
                   f"and add it to versions/; {stamp}")
        yield Hit(message, fix, None, {"revision": rev, "git": found})
