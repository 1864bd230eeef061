from . import USERS, revision

CASES = [
    dict(name="autogenerate's rename: drop name, add full_name (type from history)", fires=True,
         names=["users", "name", "full_name"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
             op.drop_column("users", "name")
         ''', '''
             op.add_column("users", sa.Column("name", sa.VARCHAR(100), nullable=True))
             op.drop_column("users", "full_name")
         ''')]),
    dict(name="type of the dropped column from downgrade()", fires=True,
         names=["orders", "total", "amount"],
         revisions=[revision("b2", None, '''
             op.drop_column("orders", "total")
             op.add_column("orders", sa.Column("amount", sa.Numeric(10, 2)))
         ''', '''
             op.drop_column("orders", "amount")
             op.add_column("orders", sa.Column("total", sa.NUMERIC(10, 2)))
         ''')]),
    dict(name="different kinds of columns", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "name")
             op.add_column("users", sa.Column("last_login", sa.DateTime()))
         ''')]),
    dict(name="different tables", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "name")
             op.add_column("teams", sa.Column("title", sa.String(100)))
         ''')]),
]
