from . import USERS, revision

CASES = [
    dict(name="DELETE with no WHERE", fires=True, names=["users", "TRUNCATE"],
         revisions=[USERS, revision("b2", "a1", 'op.execute("DELETE FROM users")')]),
    dict(name="UPDATE of an existing column with no WHERE", fires=True,
         names=["users", "name"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET name = 'anonymous'")
         ''')]),
    dict(name="WHERE only in a subquery does not count", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users USING (SELECT 1 WHERE true) AS x")
         ''')]),
    dict(name="unparseable SQL falls back to text and does not crash", fires=True,
         names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users RETURNING ((( garbage")
         ''')]),
    dict(name="sa.delete() without where", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.table("users", sa.column("id"))
             op.execute(sa.delete(users))
         ''')]),
    dict(name="with a WHERE", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users WHERE email LIKE '%@test.invalid'")
         ''')]),
    dict(name="backfill of a column added in the same revision", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("active", sa.Boolean(), nullable=True))
             op.execute("UPDATE users SET active = true")
         ''')]),
    dict(name="a string that only mentions DELETE", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("COMMENT ON TABLE users IS 'DELETE FROM users is forbidden'")
         ''')]),
]
