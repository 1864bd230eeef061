"""add books.isbn

Revision ID: a93e4b6c7d80
Revises: 5c8d0e7a9b21
Create Date: 2026-11-04 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# A third-party column type, installed where the app runs but not where
# migrate-doctor runs: the revision graph must still be read without importing it.
import some_module_that_is_not_installed


# revision identifiers, used by Alembic.
revision = "a93e4b6c7d80"
down_revision = "5c8d0e7a9b21"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "books",
        sa.Column("isbn", some_module_that_is_not_installed.ISBN(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("books", "isbn")
