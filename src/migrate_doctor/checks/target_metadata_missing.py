"""env.py gives Alembic no models to compare with.

What it finds:
    A plain Alembic project whose env.py calls `context.configure()` without a
    `target_metadata` (or with `target_metadata = None`, as `alembic init` leaves it).

Why it matters:
    `alembic revision --autogenerate` refuses to run ("Can't proceed with
    --autogenerate option; environment script ... does not provide a MetaData object"),
    and nothing can compare the models with the database: schema drift and models that
    are not imported go unnoticed. Fine for a project that writes every revision by hand;
    a surprise for one that meant to autogenerate.

Fix:
    In env.py, import the models' MetaData and pass it:
    from myapp.models import Base
    target_metadata = Base.metadata
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ._context import display_path
from ..model import Severity


@check("target-metadata-missing", Severity.INFO, "env.py gives no target_metadata")
def run(ctx: Context) -> Iterator[Hit]:
    project = ctx.project
    if project.kind != "alembic" or not project.env_configured or project.metadata() is not None:
        return
    env = display_path(project.migrations_dir / "env.py") if project.migrations_dir else "env.py"
    yield Hit(f"{env} passes no target_metadata to context.configure(): autogenerate cannot run "
              f"({project.cmd('revision --autogenerate')} refuses), and the models cannot be "
              "compared with the database (schema-drift and models-not-registered are skipped)",
              f"in {env}: import the models' MetaData and set target_metadata = Base.metadata "
              "(your declarative base), if the project means to autogenerate", None,
              {"file": env})
