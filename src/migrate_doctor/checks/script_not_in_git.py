"""A revision file that git does not track.

What it finds:
    Inside a git work tree, a revision file that is untracked or ignored.

Why it matters:
    It works on this machine and is missing everywhere else: CI and production never see
    it, and a database upgraded here names a revision the deployed code lacks
    (`Can't locate revision identified by ...`).

Fix:
    git add the file (and fix .gitignore if it is ignored), then commit.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from . import Context, Hit, check
from ..model import Severity


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                             timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


@check("script-not-in-git", Severity.WARNING, "Revision file not committed to git",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    for directory in ctx.scripts.version_dirs:
        if not directory.is_dir():
            continue
        top = _git(directory, "rev-parse", "--show-toplevel")
        if top is None:
            continue
        tracked_out = _git(directory, "ls-files", "-z", "--full-name", "--", ".")
        ignored_out = _git(directory, "ls-files", "-z", "--full-name", "--others", "--ignored",
                           "--exclude-standard", "--", ".") or ""
        if tracked_out is None:
            continue
        root = Path(top.strip())
        tracked = {os.path.join(root, p) for p in tracked_out.split("\0") if p}
        ignored = {os.path.join(root, p) for p in ignored_out.split("\0") if p}
        real_dir = os.path.realpath(directory)
        for rf in ctx.scripts.files:
            # git names files by their real path; resolve only what is not found as is
            path = os.path.join(real_dir, os.path.relpath(rf.path, directory))
            if os.path.relpath(path, real_dir).startswith("..") or path in tracked:
                continue
            loc = ctx.location(rf)
            state = "ignored by .gitignore" if path in ignored else "untracked"
            fix = f"git add {loc.path} && git commit"
            if path in ignored:
                fix = f"git add -f {loc.path} (and remove the .gitignore rule that matches it), then commit"
            yield Hit(f"{loc.path} (revision {rf.revision}) is {state}: nobody else has it",
                      fix, loc, {"revision": rf.revision, "state": state})
