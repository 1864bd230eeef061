from . import USERS, revision

SESSIONS = revision("a1", None, '''
    op.execute("CREATE TABLE public.session (id serial PRIMARY KEY, \\"end\\" timestamp, "
               "end_at timestamp)")
''', 'op.execute("DROP TABLE public.session")')

QUIET = ["unbatched-data-migration", "drop-column", "offline-incompatible"]

CASES = [
    dict(name="rename with alter_column", fires=True,
         names=["users", "phone", "phone_number", "sa.String(20)", "BETWEEN :lo AND :hi"],
         fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", new_column_name="phone_number")
         ''')]),
    dict(name="rename in SQL", fires=True, names=["users", "name", "full_name"],
         fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users RENAME COLUMN name TO full_name")
         ''')]),
    dict(name="a reserved column name, a table in a schema, the type unknown", fires=True,
         names=['"end"', "public.session", "format_type"], fix_quiet=QUIET,
         revisions=[SESSIONS, revision("b2", "a1", '''
             op.alter_column("session", "end", new_column_name="ends_at", schema="public")
         ''')]),
    dict(name="in batch mode on SQLite", fires=True, dialect="sqlite", server_version=(3, 45),
         names=["users", "phone", "batch_op.drop_column"], fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", new_column_name="mobile")
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="other alter_column changes", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", nullable=True, comment="E.164")
         ''')]),
    dict(name="renaming a column of a table created just now", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer()), sa.Column("nm", sa.Text()))
             op.alter_column("teams", "nm", new_column_name="name")
         ''')]),
    dict(name="a temporary column swapped into the dropped one's name", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("new_id", sa.String(36), nullable=True))
             op.execute("UPDATE users SET new_id = md5(id::text)")
             op.drop_column("users", "id")
             op.alter_column("users", "new_id", new_column_name="id")
         ''')]),
    dict(name="the old name is taken by a new column at once", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", new_column_name="legacy_name")
             op.add_column("users", sa.Column("name", sa.String(200), nullable=True))
         ''')]),
    dict(name="a column made nullable in an earlier revision (retired) renamed aside",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "email", existing_type=sa.String(255), nullable=True)
         '''), revision("c3", "b2", '''
             op.alter_column("users", "email", new_column_name="email_unused")
         ''')]),
    dict(name="a column of the code renamed: the claim is about the release running then",
         fires=True, names=["users", "phone_number"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", new_column_name="phone_number")
         ''')]),
]
