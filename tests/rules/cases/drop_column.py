from . import USERS, revision

CASES = [
    dict(name="drop a column of an existing table", fires=True,
         names=["users", "phone", "no longer used"],
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")')]),
    dict(name="batch drop", fires=True, dialect="sqlite", server_version=(3, 45),
         names=["users", "name", "batch_op.drop_column"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.drop_column("name")
         ''')]),
    dict(name="SQL drop column", fires=True, names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users DROP COLUMN IF EXISTS phone")
         ''')]),
    dict(name="SQL drop among other actions: the rest of the statement stays", fires=True,
         names=["ALTER TABLE users ADD COLUMN locale text", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN locale text, DROP COLUMN phone")
         ''')]),
    dict(name="a revision importing a module that is not installed is linted all the same",
         fires=True, names=["users", "phone"],
         roundtrip="the revision imports a module that is not installed, on purpose",
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")',
                                    header="import not_installed_anywhere_xyz")]),
    dict(name="MySQL: a column dropped beside an index, in one ALTER TABLE", fires=True,
         dialect="mysql", names=["users", "phone", "DROP INDEX ix_users_name"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users DROP INDEX ix_users_name, DROP COLUMN phone")
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="drop only in downgrade", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50)))
         ''', 'op.drop_column("users", "nickname")')]),
    dict(name="dropping a default is not dropping a column", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ALTER COLUMN name DROP DEFAULT")
         ''')]),
    dict(name="a temporary column of the same upgrade", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("name_tmp", sa.Text(), nullable=True))
             op.execute("UPDATE users SET name_tmp = upper(name)")
             op.drop_column("users", "name_tmp")
         ''')]),
    dict(name="a type change by swap: the name survives", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("phone_new", sa.Text(), nullable=True))
             op.execute("UPDATE users SET phone_new = phone")
             op.drop_column("users", "phone")
             op.alter_column("users", "phone_new", new_column_name="phone")
         ''')]),
    dict(name="the author says the columns are unused", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
         ''').replace('"""b2\n', '"""remove unused columns\n')]),
    dict(name="a column put aside earlier under an old_ name", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", new_column_name="old_phone")
         '''), revision("c3", "b2", 'op.drop_column("users", "old_phone")')]),
    dict(name="a drift clean-up behind an inspection", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             columns = [c["name"] for c in sa.inspect(op.get_bind()).get_columns("users")]
             if "phone" in columns:
                 op.drop_column("users", "phone")
         ''')]),
    dict(name="MySQL: DROP PRIMARY KEY / INDEX / KEY / FOREIGN KEY / CHECK drop no column",
         fires=False, dialect="mysql",
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users DROP PRIMARY KEY, ADD PRIMARY KEY (id, email)")
             op.execute("ALTER TABLE users DROP INDEX uq_users_email, ADD UNIQUE KEY uq (email)")
             op.execute("ALTER TABLE users DROP KEY k_name, DROP FOREIGN KEY fk_x, DROP CHECK ck")
         ''')]),
    dict(name="renamed aside in an earlier revision while a new column took its name",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", new_column_name="phone_legacy")
             op.add_column("users", sa.Column("phone", sa.String(32), nullable=True))
         '''), revision("c3", "b2", 'op.drop_column("users", "phone_legacy")')]),
    dict(name="made nullable in an earlier revision (the first step of retiring it)",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "email", existing_type=sa.String(255), nullable=True)
         '''), revision("c3", "b2", 'op.drop_column("users", "email")')]),
    dict(name="renamed in an earlier revision without a new column taking the name: still "
              "the code's column", fires=True, names=["users", "mobile"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", new_column_name="mobile")
         '''), revision("c3", "b2", 'op.drop_column("users", "mobile")')]),
]
