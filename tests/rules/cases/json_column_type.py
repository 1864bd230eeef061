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
