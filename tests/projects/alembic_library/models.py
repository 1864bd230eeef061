"""The library's tables, as the plain Alembic project's target metadata."""

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData()

authors = Table(
    "authors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
)

books = Table(
    "books",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author_id", Integer, ForeignKey("authors.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("isbn", String(13), nullable=True),
)
