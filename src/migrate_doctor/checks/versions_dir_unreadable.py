"""A version directory that cannot be listed.

What it finds:
    A `versions/` directory (or another version location) that exists but cannot be
    read: no read or execute permission for the user running the command, or an I/O
    error.

Why it matters:
    Alembic cannot list the revisions either: every `alembic` and `flask db` command
    fails, and any answer about the history would be a guess made without it.

Example:
    drwx------ root root migrations/versions   (the command runs as `app`)

Fix:
    Give the user that runs migrations read access: `chmod a+rX migrations/versions`,
    or run the command as the directory's owner.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ._context import display_path
from ..model import Severity


@check("versions-dir-unreadable", Severity.ERROR, "A version directory cannot be read",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    for directory, reason in ctx.scripts.unreadable_dirs:
        shown = display_path(directory)
        yield Hit(f"the version directory {shown} cannot be listed: {reason}; no revision in it "
                  "can be read", f"chmod a+rX {shown} (or run the command as the user that "
                  "owns it)", None, {"directory": shown, "reason": reason})
