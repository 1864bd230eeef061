from . import USERS, revision

CASES = [
    dict(name="backfill of a whole table in one statement", fires=True,
         names=["users", "phone", "LIMIT 5000"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
         ''')]),
    dict(name="connection.execute(sa.text(...)) DELETE", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             conn = op.get_bind()
             conn.execute(sa.text("DELETE FROM users WHERE email LIKE '%@test.invalid'"))
         ''')]),
    dict(name="a SQLAlchemy update() expression", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.table("users", sa.column("name", sa.String))
             op.execute(users.update().values(name=""))
         ''')]),
    dict(name="batched with LIMIT in a subquery", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = '' WHERE id IN "
                        "(SELECT id FROM users WHERE phone IS NULL LIMIT 1000)")
         ''')]),
    dict(name="batched in a loop with bound ranges, committed per batch", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 conn = op.get_bind()
                 for start in range(0, 1_000_000, 5000):
                     conn.execute(sa.text("UPDATE users SET phone = '' "
                                          "WHERE id >= :a AND id < :b AND phone IS NULL"),
                                  {"a": start, "b": start + 5000})
         ''')]),
    dict(name="on a table created in the same revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("flags", sa.Column("id", sa.Integer()), sa.Column("on", sa.Boolean()))
             op.execute("UPDATE flags SET on = true")
         ''')]),
    dict(name="an INSERT of seed rows", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("INSERT INTO users (email) VALUES ('admin@example.com')")
         ''')]),
]
