"""A revision file that git does not track.

What it finds:
    Inside a git work tree, a revision file that is untracked, ignored, or staged but not
    committed; and the same for the files every revision needs: env.py, alembic.ini and
    script.py.mako.

Why it matters:
    It works on this machine and is missing everywhere else: CI and production never see
    it, and a database upgraded here names a revision the deployed code lacks
    (`Can't locate revision identified by ...`).

Fix:
    git add the file (and fix .gitignore if it is ignored), then commit (a staged file
    needs only the commit).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from . import Context, Hit, check
from ._context import display_path
from ..model import Severity


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                             timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def _listing(directory: Path) -> tuple[Path, set[str], set[str], set[str]] | None:
    """(work tree root, committed, staged, ignored) real paths under ``directory``."""
    top = _git(directory, "rev-parse", "--show-toplevel")
    index = _git(directory, "ls-files", "-z", "--full-name", "--", ".")
    if top is None or index is None:
        return None
    root = Path(top.strip())
    head = _git(directory, "ls-tree", "-r", "-z", "--full-name", "--name-only", "HEAD", "--", ".")
    ignored = _git(directory, "ls-files", "-z", "--full-name", "--others", "--ignored",
                   "--exclude-standard", "--", ".") or ""

    def paths(out: str | None) -> set[str]:
        return {os.path.join(root, p) for p in (out or "").split("\0") if p}

    return root, paths(head), paths(index), paths(ignored)


def _state(path: str, committed: set[str], staged: set[str], ignored: set[str]) -> str | None:
    if path in committed:
        return None
    if path in staged:
        return "staged but not committed"
    return "ignored by .gitignore" if path in ignored else "untracked"


def _fix(shown: str, state: str) -> str:
    if state.startswith("staged"):
        return f"git commit {shown} (it is staged: commit it with the change it belongs to)"
    if state.startswith("ignored"):
        return f"git add -f {shown} (and remove the .gitignore rule that matches it), then commit"
    return f"git add {shown} && git commit"


def _support_files(ctx: Context) -> list[Path]:
    p = ctx.project
    files = [p.config_file] if p.config_file is not None else []
    if p.migrations_dir is not None:
        files += [p.migrations_dir / "env.py", p.migrations_dir / "script.py.mako"]
    return [f for f in files if f is not None and f.is_file()]


@check("script-not-in-git", Severity.WARNING, "Revision file not committed to git",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    for directory in ctx.scripts.version_dirs:
        if not directory.is_dir():
            continue
        listing = _listing(directory)
        if listing is None:
            continue
        _, committed, staged, ignored = listing
        real_dir = os.path.realpath(directory)
        for rf in ctx.scripts.files:
            # git names files by their real path; resolve only what is not found as is
            path = os.path.join(real_dir, os.path.relpath(rf.path, directory))
            if os.path.relpath(path, real_dir).startswith(".."):
                continue
            state = _state(path, committed, staged, ignored)
            if state is None:
                continue
            loc = ctx.location(rf)
            yield Hit(f"{loc.path} (revision {rf.revision}) is {state}: nobody else has it",
                      _fix(loc.path, state), loc, {"revision": rf.revision, "state": state})
    for path in _support_files(ctx):
        listing = _listing(path.parent)
        if listing is None:
            continue
        _, committed, staged, ignored = listing
        state = _state(os.path.realpath(path), committed, staged, ignored)
        if state is None:
            continue
        shown = display_path(path)
        yield Hit(f"{shown} is {state}: every revision runs through it, and nobody else has "
                  "this version of it", _fix(shown, state), None,
                  {"file": shown, "state": state})
