from . import USERS, revision

QUIET = ["drop-table", "mixed-expand-contract"]

CASES = [
    dict(name="rename_table", fires=True, names=["users", "accounts", "CREATE VIEW users"],
         fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", 'op.rename_table("users", "accounts")')]),
    dict(name="SQL rename", fires=True, names=["users", "members"], fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1",
                                    'op.execute("ALTER TABLE users RENAME TO members")')]),
    dict(name="a reserved name in a schema, columns renamed before: the view maps them back",
         fires=True, names=['public."group"', "teams", "title AS name"],
         revisions=[revision("a1", None, '''
             op.create_table("group", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("name", sa.String(50)), schema="public")
         ''', 'op.drop_table("group", schema="public")'), revision("b2", "a1", '''
             op.alter_column("group", "name", new_column_name="title", schema="public")
             op.rename_table("group", "teams", schema="public")
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="rename of a column is not a table rename", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users RENAME COLUMN name TO full_name")
         ''')]),
    dict(name="renamed away and back (to refresh foreign keys on SQLite)", fires=False,
         dialect="sqlite", server_version=(3, 45),
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users RENAME TO users_old")
             op.execute("ALTER TABLE users_old RENAME TO users")
         ''')]),
    dict(name="the old name kept as a view", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.rename_table("users", "accounts")
             op.execute("CREATE VIEW users AS SELECT * FROM accounts")
         ''')]),
    dict(name="a rebuild under the same name (rename to _tmp, re-create, copy, drop)",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.rename_table("users", "users_tmp")
             op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("email", sa.String(255), nullable=False),
                             sa.Column("uuid", sa.String(36), nullable=True))
             op.execute("INSERT INTO users (id, email) SELECT id, email FROM users_tmp")
             op.drop_table("users_tmp")
         ''')]),
]
