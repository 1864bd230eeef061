from . import USERS, revision

CASES = [
    dict(name="schema change with an empty downgrade", fires=True,
         names=['op.drop_column("users", "nickname")', 'op.drop_index("ix_users_nickname"'],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50)))
             op.create_index("ix_users_nickname", "users", ["nickname"])
         ''', "pass")]),
    dict(name="downgrade function missing", fires=True, names=['op.drop_table("teams")'],
         revisions=[revision("b2", None, 'op.create_table("teams", sa.Column("id", sa.Integer()))',
                             downgrade=None)]),
    dict(name="a real downgrade", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50)))
         ''', 'op.drop_column("users", "nickname")')]),
    dict(name="irreversible on purpose", fires=False,
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")',
                                    'raise NotImplementedError("the phone numbers are gone")')]),
    dict(name="data only", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET name = 'x' WHERE name IS NULL")
         ''')]),
]
