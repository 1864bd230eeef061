from . import USERS, revision

CASES = [
    dict(name="add a column and drop another", fires=True,
         names=["users", "email_verified", 'op.drop_column("users", "phone")'],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
             op.drop_column("users", "phone")
         ''')]),
    dict(name="create a table and set NOT NULL", fires=True, names=["teams", "users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("teams", sa.Column("id", sa.Integer()))
             op.alter_column("users", "name", nullable=False)
         ''')]),
    dict(name="expand only", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
             op.create_index("ix_users_name", "users", ["name"])
         ''')]),
    dict(name="contract only", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.drop_column("users", "name")
         ''')]),
]
