"""The standalone `migrate-doctor` CLI, for plain Alembic projects and Flask apps."""

from __future__ import annotations

import click

from .. import __version__
from ..api import Target
from .boundary import DoctorGroup
from .commands import COMMANDS


@click.group(cls=DoctorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="migrate-doctor")
@click.option("-c", "--config", help="Path to alembic.ini (plain Alembic projects).")
@click.option("--app", help="Flask app to load (like FLASK_APP), e.g. shop:create_app.")
@click.option("-d", "--directory", help="Migrations directory (default: migrations).")
@click.pass_context
def cli(ctx: click.Context, config: str | None, app: str | None, directory: str | None) -> None:
    """migrate-doctor: the truth about your migrations, with the fix in hand."""
    from ..project.dotenv_files import load_like_flask

    load_like_flask()  # .flaskenv/.env, as `flask` reads them (with python-dotenv installed)
    ctx.obj = Target(app=app, config=config, directory=directory)


for _command in COMMANDS:
    cli.add_command(_command)  # type: ignore[arg-type]


def main() -> None:
    cli(prog_name="migrate-doctor")
