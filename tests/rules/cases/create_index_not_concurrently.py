from . import USERS, revision

CASES = [
    dict(name="plain create_index on an existing table", fires=True,
         names=["users", "ix_users_email", "email"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_index("ix_users_email", "users", ["email"], unique=True)
         ''')]),
    dict(name="autogenerate's op.f() name, in batch mode", fires=True,
         names=["users", 'op.create_index(op.f("ix_users_name"), "users"', "drop_index"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users", schema=None) as batch_op:
                 batch_op.create_index(batch_op.f('ix_users_name'), ['name'], unique=False)
         ''')]),
    dict(name="CREATE INDEX in SQL", fires=True, names=["users", "ix_users_name"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("CREATE INDEX ix_users_name ON users (name)")
         ''')]),
    dict(name="safe pattern: concurrent index inside an autocommit block", fires=False,
         also_quiet=["concurrently-without-autocommit", "missing-lock-timeout"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 op.create_index("ix_users_email", "users", ["email"],
                                 postgresql_concurrently=True)
         ''', '''
             with op.get_context().autocommit_block():
                 op.drop_index("ix_users_email", table_name="users",
                               postgresql_concurrently=True)
         ''')]),
    dict(name="index on a table created in the same revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer()), sa.Column("slug", sa.Text()))
             op.create_index("ix_teams_slug", "teams", ["slug"])
         ''')]),
    dict(name="not PostgreSQL", fires=False, dialect="mysql",
         revisions=[USERS, revision("b2", "a1", '''
             op.create_index("ix_users_email", "users", ["email"])
         ''')]),
    dict(name="unknown target: PostgreSQL rules do not run", fires=False, dialect=None,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_index("ix_users_email", "users", ["email"])
         ''')]),
]
