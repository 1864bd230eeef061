"""``models-differ-from-head``: what `flask db migrate` / `alembic revision --autogenerate`
would write, asked of Alembic itself in the scratch database at head, with the project's
own env.py (its ``target_metadata``, ``include_object``, ``compare_type``, its own
``process_revision_directives``): the revision is generated, read, and dropped before a
file is written."""

from __future__ import annotations

from typing import Any

from ..project.loaded import Project


def would_generate(project: Project, url: str) -> tuple[list[Any], BaseException | None, str]:
    """(the diffs autogenerate finds, the exception it raised, what env.py printed)."""
    from alembic import command

    from ..project.user_code import no_logging_config, run_user_code
    from ..replay.runner import _environment_pointing_at, _guard_engines
    from .scratch_env import in_scratch

    found: list[Any] = []

    def hook(context: Any, revision: Any, directives: list[Any]) -> None:
        for script in directives:
            for ops in getattr(script, "upgrade_ops_list", None) or [script.upgrade_ops]:
                found.extend(ops.as_diffs())
        directives[:] = []  # nothing is written

    def action(cfg: Any) -> None:
        command.revision(cfg, message="migrate-doctor test", autogenerate=True,
                         process_revision_directives=hook)

    def run() -> None:
        with _guard_engines(project.url), _environment_pointing_at(project.url, url), \
                no_logging_config():
            in_scratch(project, url, action)

    outcome = run_user_code(run, "autogenerate")
    return found, outcome.error, outcome.output
