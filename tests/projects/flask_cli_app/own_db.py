"""An app with a `db` group of its own (`flask db seed`), added after Flask-Migrate's:
app.cli's `db` is the app's group, not Flask-Migrate's."""

import click

from shop_core import base_app, db, Item

app = base_app()


@app.cli.group("db")
def db_group():
    """The app's own database commands."""


@db_group.command("seed")
@click.option("--count", default=1)
def seed(count):
    """Insert sample items."""
    click.echo(f"seeding {count} item(s) into {db.engine.url.database}")
    click.echo("seeded")
