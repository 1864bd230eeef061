"""An app that adds its own command to Flask-Migrate's `db` group."""

import click
from flask_migrate.cli import db as db_cli

from shop_core import base_app

app = base_app()


@db_cli.command("seed")
def seed():
    """Insert sample items."""
    click.echo("seeded through Flask-Migrate's group")
