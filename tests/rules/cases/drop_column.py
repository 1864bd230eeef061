from . import USERS, revision

CASES = [
    dict(name="drop a column of an existing table", fires=True, names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")')]),
    dict(name="batch drop", fires=True, dialect="sqlite", server_version=(3, 45),
         names=["users", "name"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.drop_column("name")
         ''')]),
    dict(name="SQL drop column", fires=True, names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users DROP COLUMN IF EXISTS phone")
         ''')]),
    dict(name="a revision importing a module that is not installed is linted all the same",
         fires=True, names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")',
                                    header="import not_installed_anywhere_xyz")]),
    dict(name="drop only in downgrade", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50)))
         ''', 'op.drop_column("users", "nickname")')]),
    dict(name="dropping a default is not dropping a column", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ALTER COLUMN name DROP DEFAULT")
         ''')]),
]
