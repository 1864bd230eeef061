from . import USERS, revision

CASES = [
    dict(name="drop an existing table", fires=True,
         names=["users", "no longer used", 'op.drop_table("users")'],
         revisions=[USERS, revision("b2", "a1", 'op.drop_table("users")')]),
    dict(name="SQL DROP TABLE", fires=True, names=["legacy_events"],
         revisions=[revision("a1", None, '''
             op.create_table("legacy_events", sa.Column("id", sa.Integer(), primary_key=True))
         ''', 'op.drop_table("legacy_events")'), revision("b2", "a1",
                             'op.execute("DROP TABLE IF EXISTS legacy_events CASCADE")')]),
    dict(name="a reserved name in a schema", fires=True, names=['public."order"', "schema="],
         revisions=[revision("a1", None, '''
             op.create_table("order", sa.Column("id", sa.Integer(), primary_key=True),
                             schema="public")
         ''', 'op.drop_table("order", schema="public")'), revision("b2", "a1", '''
             op.drop_table("order", schema="public")
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="create then drop a scratch table in one revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("tmp_ids", sa.Column("id", sa.Integer()))
             op.drop_table("tmp_ids")
         ''')]),
    dict(name="the _tmp copy of a rebuild", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.rename_table("users", "users_tmp")
             op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("email", sa.String(255), nullable=False))
             op.execute("INSERT INTO users (id, email) SELECT id, email FROM users_tmp")
             op.drop_table("users_tmp")
         ''')]),
    dict(name="a new table swapped into the name", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("users_new", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("email", sa.String(255), nullable=False))
             op.drop_table("users")
             op.rename_table("users_new", "users")
         ''')]),
    dict(name="a pre-Alembic relic, in the author's words", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_table("users")
         ''').replace('"""b2\n', '"""drop the users table, a pre-Alembic relic\n')]),
    dict(name="the author says the table is no longer used", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             # users was replaced by accounts two releases ago and is no longer used
             op.drop_table("users")
         ''')]),
    dict(name="sqlalchemy-migrate's bookkeeping table", fires=False,
         revisions=[revision("b2", None, 'op.execute("DROP TABLE IF EXISTS migrate_version")')]),
    dict(name="drop only in downgrade", fires=False,
         revisions=[USERS]),
    dict(name="renamed aside in an earlier revision while a new table took its name",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.rename_table("users", "users_v1")
             op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("email", sa.String(255), nullable=False))
         '''), revision("c3", "b2", 'op.drop_table("users_v1")')]),
    dict(name="renamed in an earlier revision with no new table under the old name: still "
              "the code's table", fires=True, names=["members"],
         revisions=[USERS, revision("b2", "a1", 'op.rename_table("users", "members")'),
                    revision("c3", "b2", 'op.drop_table("members")')]),
]
