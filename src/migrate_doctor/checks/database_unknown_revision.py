"""The version table names a revision no file has.

What it finds:
    A row in alembic_version whose id matches no local revision file. Where the git
    history holds a file with that revision, the commit and the branches containing it
    are named.

Why it matters:
    Every Alembic command fails with `Can't locate revision identified by '...'`: the
    database was upgraded from another branch, the file was deleted or never pulled.

    When the revision's own ancestors are missing here too, the database was upgraded
    from a branch whose history this checkout lacks: restoring one file would not do.

Fix:
    When its branch has more revisions this checkout lacks: merge (or check out) that
    branch. Otherwise bring the file back (git checkout <commit> -- <file>). Only when
    the schema really matches an existing revision: flask db stamp --purge <that id>
    (a plain stamp refuses while the row names an unknown revision).
"""

from __future__ import annotations

import re
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
    return {"commit": commit[:12], "path": path, "branches": branches,
            "down_revisions": _down_revisions(_git(directory, "show", f"{commit}:{path}"))
            if path else []}


_DOWN = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(.+)$", re.M)


def _down_revisions(source: str) -> list[str]:
    """The down_revision ids a revision file declares (read from its text)."""
    m = _DOWN.search(source)
    return re.findall(r"[\"']([^\"']+)[\"']", m.group(1)) if m else []


def _missing_on_branch(directory: Path, branch: str, known: set[str]) -> list[str]:
    """Revision files of that branch (in the same versions directory) this checkout lacks."""
    prefix = _git(directory, "rev-parse", "--show-prefix")
    found = _git(directory, "grep", "--full-name", "-E", r"^revision\s*(:[^=]*)?=", branch,
                 "--", "*.py", ":(exclude)*/__pycache__/*")
    missing = []
    for line in found.splitlines():  # branch:path:revision = 'id'
        _, _, rest = line.partition(":")
        path, _, text = rest.partition(":")
        m = re.search(r"[\"']([^\"']+)[\"']", text)
        if m and m.group(1) not in known and path.startswith(prefix):
            missing.append(path.removeprefix(prefix))
    return sorted(missing)


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
                 f"{ctx.stamp_purge('<that revision>')}")
        if found:
            branches = ", ".join(found["branches"]) or "no branch (only in history)"  # type: ignore[arg-type]
            message += (f". git has it: commit {found['commit']} added {found['path']} "
                        f"(on {branches})")
            lacking = [r for r in found["down_revisions"] if r not in known]  # type: ignore[union-attr]
            branch = next((b for b in found["branches"] if "HEAD" not in b), None)  # type: ignore[union-attr]
            others = _missing_on_branch(directory, branch, known) if branch and lacking else []
            found["missing_ancestors"], found["missing_on_branch"] = lacking, others
            if branch and lacking:
                message += (f"; its ancestors are missing here too ({', '.join(lacking)}), so "
                            f"the database was upgraded from {branch}, whose history this "
                            f"checkout lacks ({len(others)} revision file(s))")
                fix = (f"git merge {branch} (or check it out: git checkout {branch}), to get "
                       f"the revisions the database has; restoring {found['path']} alone would "
                       f"leave its ancestors missing. {stamp}")
            else:
                fix = (f"git checkout {found['commit']} -- {found['path']} (or merge the branch "
                       f"that has it); {stamp}")
        else:
            fix = (f"find the revision file on the branch or machine that upgraded this database "
                   f"and add it to versions/; {stamp}")
        said, proven, evidence = ctx.matched(ctx.stamp_purge)
        if said:
            message += said
        if proven:  # the replay proved which revision this schema is
            fix = f"{proven}  (proven: the live schema equals that revision's)\n" + \
                ("or bring the missing file back: " + fix if found else fix.split("; ")[0])
        yield Hit(message, fix, None, {"revision": rev, "git": found, **evidence})
