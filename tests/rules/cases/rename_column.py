from . import USERS, revision

CASES = [
    dict(name="rename with alter_column", fires=True,
         names=["users", "phone", "phone_number", "sa.String(20)"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", new_column_name="phone_number")
         ''')]),
    dict(name="rename in SQL", fires=True, names=["users", "name", "full_name"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users RENAME COLUMN name TO full_name")
         ''')]),
    dict(name="other alter_column changes", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", nullable=True, comment="E.164")
         ''')]),
    dict(name="renaming a column of a table created just now", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer()), sa.Column("nm", sa.Text()))
             op.alter_column("teams", "nm", new_column_name="name")
         ''')]),
]
