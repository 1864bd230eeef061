from . import USERS, revision

CASES = [
    dict(name="set NOT NULL on an existing column", fires=True, names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", existing_type=sa.String(20), nullable=False)
         ''')]),
    dict(name="raw SQL SET NOT NULL", fires=True, names=["users", "name"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ALTER COLUMN name SET NOT NULL")
         ''')]),
    dict(name="PostgreSQL 11 gains nothing from a validated CHECK", fires=True,
         server_version=(11, 9), names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD CONSTRAINT users_phone_nn "
                        "CHECK (phone IS NOT NULL) NOT VALID")
         '''), revision("c3", "b2", '''
             op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_phone_nn")
             op.alter_column("users", "phone", nullable=False)
         ''')]),
    dict(name="a CHECK that is not validated yet does not help", fires=True,
         names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_check_constraint("users_phone_nn", "users", "phone IS NOT NULL",
                                        postgresql_not_valid=True)
         '''), revision("c3", "b2", '''
             op.alter_column("users", "phone", nullable=False)
         ''')]),
    dict(name="SQLite batch rebuild fails on NULLs too", fires=True, dialect="sqlite",
         server_version=(3, 45), names=["users", "phone", 'batch_op.alter_column("phone"'],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
         ''')]),
    dict(name="safe pattern: validated CHECK (col IS NOT NULL) in an earlier revision, PG 12+",
         fires=False, server_version=(14, 2),
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD CONSTRAINT users_phone_nn "
                        "CHECK (phone IS NOT NULL) NOT VALID")
         '''), revision("c3", "b2", '''
             op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_phone_nn")
         '''), revision("d4", "c3", '''
             op.alter_column("users", "phone", nullable=False)
             op.drop_constraint("users_phone_nn", "users", type_="check")
         ''')]),
    dict(name="safe pattern: Alembic NOT VALID check validated in the same revision first",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_check_constraint("users_phone_nn", "users", "phone IS NOT NULL",
                                        postgresql_not_valid=True)
         '''), revision("c3", "b2", '''
             op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_phone_nn")
             op.alter_column("users", "phone", nullable=False)
         ''')]),
    dict(name="column of a table created in the same revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer()),
                             sa.Column("slug", sa.String(9)))
             op.alter_column("teams", "slug", nullable=False)
         ''')]),
    dict(name="making a column nullable", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "email", nullable=True)
         ''')]),
]

CASES += [
    dict(name="a schema and a reserved word: kept and quoted; the op's type change kept",
         fires=True, names=['crm."user"', 'schema="crm"', "type_=sa.String(40)",
                            "user_phone_not_null"],
         revisions=[revision("a1", None, '''
             op.execute("CREATE SCHEMA crm")
             op.create_table("user", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("phone", sa.String(20)), schema="crm")
         ''', 'op.drop_table("user", schema="crm")\nop.execute("DROP SCHEMA crm")'),
                    revision("b2", "a1", '''
             op.alter_column("user", "phone", existing_type=sa.String(20), type_=sa.String(40),
                             nullable=False, schema="crm")
         ''')]),
    dict(name="two columns in one batch block: one finding, both proven", fires=True,
         names=["users_phone_not_null", "users_name_not_null", "batch_op.alter_column"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
                 batch_op.alter_column("name", nullable=False)
         ''')]),
    dict(name="the primary key is already NOT NULL", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "id", nullable=False, type_=sa.BigInteger())
         ''')]),
    dict(name="SQLite: the NULLs are filled just before the rebuild", fires=False,
         dialect="sqlite", server_version=(3, 45),
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
         ''')]),
]

CASES += [
    dict(name="SQLite: the rows without a value are deleted first", fires=False,
         dialect="sqlite", server_version=(3, 45),
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users WHERE phone IS NULL")
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
         ''')]),
]

CASES += [
    dict(name="SQLite: filled row by row in a loop over a reflected table", fires=False,
         dialect="sqlite", server_version=(3, 45),
         revisions=[USERS, revision("b2", "a1", '''
             connection = op.get_bind()
             meta = sa.MetaData()
             meta.reflect(bind=connection, only=["users"])
             USERS = meta.tables["users"]
             for user_id, email in connection.execute(sa.select(USERS.c.id, USERS.c.email)):
                 connection.execute(
                     sa.update(USERS).where(USERS.c.id == user_id).values(phone=email)
                 )
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
         ''')]),
]

CASES += [
    dict(name="SQLite: filled through an ORM Session first", fires=False,
         dialect="sqlite", server_version=(3, 45),
         revisions=[USERS, revision("b2", "a1", '''
             session = orm.Session(bind=op.get_bind())
             with session:
                 session.execute(sa.text("UPDATE users SET phone = '' WHERE phone IS NULL"))
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
         ''', header="from sqlalchemy import orm")]),
]

CASES += [
    dict(name="SQLite: NULLs handled in a loop over table names (f-string SQL)", fires=False,
         dialect="sqlite", server_version=(3, 45),
         revisions=[USERS, revision("b2", "a1", '''
             for table in ("users",):
                 op.get_bind().execute(sa.text(f"DELETE FROM {table} WHERE phone IS NULL"))
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
         ''')]),
]

SEVERAL = '''
def run_migrations_online():
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
'''

CASES += [
    dict(name="a project that also runs on SQLite: the PostgreSQL steps behind a dialect test",
         fires=True, env=SEVERAL,
         names=['if op.get_bind().dialect.name == "postgresql":', "else:",
                "users_phone_not_null"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
         ''')]),
]

CASES += [
    # -- PostgreSQL: a column added earlier in the same upgrade() --------------------------
    dict(name="PostgreSQL: added and filled in this upgrade(): ADD COLUMN holds the lock, "
              "no other session writes a NULL", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("crown", sa.Boolean(), nullable=True))
             op.execute("UPDATE users SET crown = true WHERE name IS NULL")
             op.execute("UPDATE users SET crown = false WHERE crown IS NULL")
             op.alter_column("users", "crown", nullable=False)
         ''')]),
    dict(name="PostgreSQL: added in this upgrade() and set NOT NULL with nothing filling it: "
              "the rows are NULL; added NOT NULL with a server default instead", fires=True,
         names=['op.add_column("users", sa.Column(\'verified\'', "server_default=sa.false()",
                "nullable=False"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("verified", sa.Boolean(), nullable=True))
             op.alter_column("users", "verified", nullable=False)
         ''')]),
    dict(name="PostgreSQL: added, then a commit (autocommit_block) before NOT NULL: the lock "
              "is gone, old code may write NULLs", fires=True, names=["users", "score"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("score", sa.Integer(), nullable=True))
             with op.get_context().autocommit_block():
                 op.execute("UPDATE users SET score = 0 WHERE score IS NULL")
             op.alter_column("users", "score", nullable=False)
         ''')]),
]

CASES += [
    dict(name="PostgreSQL: the swap of a type change (new column added, filled, renamed into "
              "the old name) set NOT NULL: the new column's lock is still held", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("new_name", sa.Text(), nullable=True))
             op.execute("UPDATE users SET new_name = coalesce(name, '')")
             op.alter_column("users", "name", new_column_name="old_name")
             op.alter_column("users", "new_name", new_column_name="name")
             op.drop_column("users", "old_name")
             op.alter_column("users", "name", nullable=False)
         ''')]),
]
