from . import USERS, revision

CASES = [
    dict(name="sa.JSON in add_column", fires=True, names=["users", "settings", "JSONB"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("settings", sa.JSON(), nullable=True))
         ''')]),
    dict(name="postgresql.JSON in create_table", fires=True, names=["events", "payload"],
         revisions=[revision("b2", None, '''
             op.create_table("events", sa.Column("id", sa.Integer()),
                             sa.Column("payload", postgresql.JSON()))
         ''', header="from sqlalchemy.dialects import postgresql")]),
    dict(name="json in SQL", fires=True, names=["users", "extra"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN extra json")
         ''')]),
    dict(name="JSONB", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("settings", postgresql.JSONB(), nullable=True))
             op.execute("ALTER TABLE users ADD COLUMN extra jsonb")
         ''', header="from sqlalchemy.dialects import postgresql")]),
    dict(name="JSON on SQLite is fine", fires=False, dialect="sqlite",
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("settings", sa.JSON(), nullable=True))
         ''')]),
]

CASES += [
    dict(name="JSON imported from sqlalchemy.dialects.postgresql, as a bare name", fires=True,
         names=["options", "with_variant"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("options", JSON, server_default="{}",
                                              nullable=False))
         ''', header="from sqlalchemy.dialects.postgresql import JSON")]),
    dict(name="the fix keeps the rest of the create_table", fires=True,
         names=["entries = op.create_table(", "nullable=False", 'server_default="{}"'],
         revisions=[revision("b2", None, '''
             entries = op.create_table(
                 "entries",
                 sa.Column("id", sa.Integer(), primary_key=True),
                 sa.Column("data", sa.JSON(), nullable=False, server_default="{}"),
             )
             op.bulk_insert(entries, [{"id": 1, "data": {"a": 1}}])
         ''')]),
    dict(name="a project's own JSON type (a TypeDecorator) is not sa.JSON", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("settings", JSON(), nullable=True))
             op.add_column("users", sa.Column("extra", myapp.db.JSON(), nullable=True))
         ''', header="from myapp.db import JSON\nimport myapp.db")]),
    dict(name="JSONB on PostgreSQL through with_variant", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column(
                 "settings", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")))
         ''', header="from sqlalchemy.dialects import postgresql")]),
]

CASES += [
    dict(name="two columns with the same JSON type: each replaced once", fires=True,
         names=['sa.Column("a", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),'],
         revisions=[revision("b2", None, '''
             op.create_table("pairs", sa.Column("id", sa.Integer()),
                             sa.Column("a", sa.JSON()),
                             sa.Column("b", sa.JSON()))
         ''')]),
]
