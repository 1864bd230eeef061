from . import USERS, revision

CASES = [
    dict(name="DELETE with no WHERE", fires=True, names=["users", "DELETE FROM users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
             op.execute("DELETE FROM users")
         ''')]),
    dict(name="UPDATE of an existing column with one value, no WHERE", fires=True,
         names=["users", "name", "UPDATE users SET name = 'anonymous'"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET name = 'anonymous'")
         ''')]),
    dict(name="WHERE only in a subquery does not count", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users USING (SELECT 1 WHERE true) AS x")
         ''')]),
    dict(name="unparseable SQL falls back to text and does not crash", fires=True,
         names=["users"], roundtrip="the case's SQL is broken on purpose",
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users RETURNING ((( garbage")
         ''')]),
    dict(name="sa.delete() without where", fires=True, names=["users", "sa.delete(users)"],
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.table("users", sa.column("id"))
             op.execute(sa.delete(users))
         ''')]),
    dict(name="a constant poured over an existing column by a SQLAlchemy expression",
         fires=True, names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.table("users", sa.column("phone", sa.String))
             op.execute(users.update().values(phone=""))
         ''')]),
    dict(name="a reserved table name, schema-qualified", fires=True,
         names=['public."user"', "active"],
         revisions=[revision("a1", None, '''
             op.create_table("user", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("active", sa.Boolean(), nullable=True))
         ''', 'op.drop_table("user")'), revision("b2", "a1", '''
             op.execute('UPDATE public."user" SET active = false')
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="with a WHERE", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users WHERE email LIKE '%@test.invalid'")
         ''')]),
    dict(name="backfill of a column added in the same revision", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("active", sa.Boolean(), nullable=True))
             op.execute("UPDATE users SET active = true")
         ''')]),
    dict(name="backfill by a SQLAlchemy expression of a column added in batch mode",
         fires=False, dialect="sqlite", server_version=(3, 45),
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("hidden", sa.Boolean(), nullable=True))
             users = sa.sql.table("users", sa.sql.column("hidden", sa.Boolean()))
             op.execute(users.update().values(hidden=False))
         ''')]),
    dict(name="backfill by expression with a dict of values, copied from another column",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("old_name", sa.String(100), nullable=True))
             users = sa.table("users", sa.column("name"), sa.column("old_name"))
             op.execute(users.update().values({"old_name": users.c.name}))
         ''')]),
    dict(name="every value computed from the row: lower(), NOT, coalesce(), a subquery",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET email = lower(email)")
             op.execute("UPDATE users SET name = coalesce(name, ''), phone = COALESCE(phone, '')")
             op.execute("UPDATE users SET name = "
                        "(SELECT u.email FROM users u WHERE u.id = users.id)")
         ''')]),
    dict(name="a flag inverted on purpose", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("rooms", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("is_active", sa.Boolean(), nullable=False))
         ''', 'op.drop_table("rooms")'), revision("b2", "a1", '''
             op.alter_column("rooms", "is_active", new_column_name="is_deleted")
             op.execute("UPDATE rooms SET is_deleted = NOT is_deleted")
         ''')]),
    dict(name="rows copied elsewhere before the DELETE", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("users_archive", sa.Column("id", sa.Integer()),
                             sa.Column("email", sa.String(255)))
             op.execute("INSERT INTO users_archive (id, email) SELECT id, email FROM users")
             op.execute("DELETE FROM users")
         ''')]),
    dict(name="rows read into Python first, then the old table is cleared", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             conn = op.get_bind()
             rows = conn.execute(sa.text("SELECT id, email FROM users")).fetchall()
             for row in rows:
                 conn.execute(sa.text("INSERT INTO accounts (id) VALUES (:id)"), {"id": row.id})
             conn.execute(sa.text("DELETE FROM users"))
         ''')]),
    dict(name="the author says every row is meant", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             # any existing phone number is unverified under the new rules: clear them
             op.execute("UPDATE users SET phone = NULL")
         ''')]),
    dict(name="the revision's message says so", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users")
         ''').replace('"""b2\n', '"""Clear the users table\n')]),
    dict(name="emptied before the table is reshaped", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users")
             op.drop_column("users", "phone")
         ''')]),
    dict(name="a string that only mentions DELETE", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("COMMENT ON TABLE users IS 'DELETE FROM users is forbidden'")
         ''')]),
]
