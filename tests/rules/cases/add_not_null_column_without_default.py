from . import USERS, revision

CASES = [
    dict(name="not null column without server default on an existing table", fires=True,
         names=["users", "phone_verified", "sa.Boolean()"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("phone_verified", sa.Boolean(), nullable=False))
         ''')]),
    dict(name="batch mode on SQLite fails the same way", fires=True, dialect="sqlite",
         server_version=(3, 45), names=["users", "age"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("age", sa.Integer(), nullable=False))
         ''')]),
    dict(name="a python-side default does not help", fires=True, dialect=None,
         names=["users", "karma"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("karma", sa.Integer(), default=0, nullable=False))
         ''')]),
    dict(name="SQL ADD COLUMN ... NOT NULL without DEFAULT", fires=True,
         names=["users", "ALTER TABLE users ADD COLUMN tier text"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN tier text NOT NULL")
         ''')]),
    dict(name="SQL ADD COLUMN ... NOT NULL DEFAULT", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'free'")
         ''')]),
    dict(name="with a server default", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("karma", sa.Integer(), nullable=False,
                                              server_default="0"))
         ''')]),
    dict(name="table created in the same revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
             op.add_column("teams", sa.Column("slug", sa.String(50), nullable=False))
         ''')]),
    dict(name="safe pattern: nullable add, backfill, then NOT NULL later", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("country", sa.String(2), nullable=True))
             op.execute("UPDATE users SET country = 'NL' WHERE country IS NULL")
         '''), revision("c3", "b2", '''
             op.alter_column("users", "country", existing_type=sa.String(2), nullable=False)
         ''')]),
    dict(name="nullable column", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("bio", sa.Text()))
         ''')]),
]
