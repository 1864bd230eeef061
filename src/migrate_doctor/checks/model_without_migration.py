"""The models differ from what the migrations make at head.

What it finds:
    Alembic's autogenerate comparison of the models against the schema the migrations
    produce at head (replayed in a scratch database, not the live one), with the
    project's own autogenerate settings: a model added or changed with no revision yet.

Why it matters:
    The code deployed with these models expects a schema no revision creates: the app
    fails on the missing column or table right after the deploy.

Example:
    class Book(db.Model):
        shelf = db.Column(db.String(20))   # no revision adds books.shelf

Fix:
    flask db migrate -m "..." (plain Alembic: alembic revision --autogenerate -m "..."),
    review the revision, commit it with the model change.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("model-without-migration", Severity.ERROR,
       "The models have changes no revision makes", needs=("drift",), command="drift")
def run(ctx: Context) -> Iterator[Hit]:
    found = [text for kind, text in ctx.drift.model_diffs if kind != "remove"]
    if found:
        migrate = ctx.cmd('migrate -m "describe the change"')
        yield Hit(f"the models differ from the schema the migrations make at head in "
                  f"{len(found)} way(s): " + "; ".join(found),
                  f"{migrate}, review the new revision and commit it with the models", None,
                  {"differences": found})
