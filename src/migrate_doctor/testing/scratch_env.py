"""An Alembic command run with the project's own Config against the scratch database, as
``replay.runner`` runs one, and also for the env.py that pytest-alembic documents:

    connectable = context.config.attributes.get("connection", None)
    ...
    with connectable.connect() as connection:

which expects an Engine there. The connection handed over answers ``connect()`` with
itself (left open), so both that env.py and the cookbook's (which expects a Connection)
run unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..project.loaded import Project
from ..replay.runner import _in_scratch, scratch_engine

__all__ = ["in_scratch", "scratch_engine"]


def in_scratch(project: Project, url: str, action: Callable[[Any], Any]) -> Any:
    """``action(config)`` with the project's Alembic Config pointed at ``url`` (the same
    mechanism as the replay's: replay.runner._in_scratch)."""
    return _in_scratch(project, url, action)
