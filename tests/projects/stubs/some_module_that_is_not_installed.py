"""Stand-in for a third-party package, put on sys.path only while the tests build a
database state with Alembic. migrate-doctor itself runs without it."""

import sqlalchemy as sa


def ISBN() -> sa.String:  # noqa: N802 - named like the type class it stands for
    return sa.String(13)
