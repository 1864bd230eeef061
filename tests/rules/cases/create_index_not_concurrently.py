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

CASES += [
    dict(name="batch mode: the new column stays in the block, the index is built after it",
         fires=True, names=['batch_op.add_column(sa.Column("nickname"',
                            'op.create_index("ix_users_nickname", "users", ["nickname"]'],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("nickname", sa.String(50), nullable=True))
                 batch_op.create_index("ix_users_nickname", ["nickname"], unique=False)
         ''')]),
    dict(name="a schema and a partial index: both kept", fires=True,
         names=['schema="app"', "postgresql_where=", "postgresql_concurrently=True"],
         revisions=[revision("a1", None, '''
             op.execute("CREATE SCHEMA app")
             op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("email", sa.String(255)), schema="app")
         ''', 'op.drop_table("users", schema="app")\nop.execute("DROP SCHEMA app")'),
                    revision("b2", "a1", '''
             op.create_index("ix_users_email", "users", ["email"], schema="app",
                             postgresql_where=sa.text("email IS NOT NULL"))
         ''')]),
    dict(name="CREATE INDEX among other statements: they are kept", fires=True,
         names=["UPDATE users", "CREATE INDEX CONCURRENTLY ix_users_phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = NULL WHERE phone = ''; "
                        "CREATE INDEX ix_users_phone ON users (phone)")
         ''')]),
]

CASES += [
    dict(name="a batch block with a multi-line header and only the index in it", fires=True,
         names=['op.create_index("ix_users_phone", "users", ["phone"]'],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table(
                 "users", schema=None
             ) as batch_op:
                 batch_op.create_index("ix_users_phone", ["phone"], unique=False)
         ''')]),
]

CASES += [
    dict(name="the index under an if in the batch block: the if keeps a body", fires=True,
         names=['op.create_index("ix_users_name", "users", ["name"]'],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("nickname", sa.String(50), nullable=True))
                 if op.get_context().opts.get("with_indexes", True):
                     batch_op.create_index("ix_users_name", ["name"])
         ''')]),
]
