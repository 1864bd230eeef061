from . import USERS, revision

CASES = [
    dict(name="rename_table", fires=True, names=["users", "accounts"],
         revisions=[USERS, revision("b2", "a1", 'op.rename_table("users", "accounts")')]),
    dict(name="SQL rename", fires=True, names=["users", "members"],
         revisions=[USERS, revision("b2", "a1",
                                    'op.execute("ALTER TABLE users RENAME TO members")')]),
    dict(name="rename of a column is not a table rename", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users RENAME COLUMN name TO full_name")
         ''')]),
]
