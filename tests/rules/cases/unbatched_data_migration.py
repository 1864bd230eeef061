from . import USERS, revision

GROUPS = revision("a1", None, '''
    op.create_table("group", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("name", sa.String(100), nullable=True),
                    sa.Column("type", sa.String(20), nullable=True),
                    schema="public")
    op.create_table("member", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("group_id", sa.Integer(), nullable=True),
                    sa.Column("group_name", sa.String(100), nullable=True))
''', 'op.drop_table("member")\nop.drop_table("group", schema="public")')

CASES = [
    dict(name="backfill of a whole table in one statement", fires=True,
         names=["users", "phone", "BETWEEN :lo AND :hi", "is_offline_mode"],
         fix_quiet=["offline-incompatible", "update-or-delete-without-where"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
         ''')]),
    dict(name="connection.execute(sa.text(...)) DELETE", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             conn = op.get_bind()
             conn.execute(sa.text("DELETE FROM users WHERE email LIKE '%@test.invalid'"))
         ''')]),
    dict(name="a SQLAlchemy update() expression", fires=True,
         names=["users", "users.update().values(name=\"\")"],
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.table("users", sa.column("name", sa.String))
             op.execute(users.update().values(name=""))
         ''')]),
    dict(name="a WHERE that stays true after the update: the loop still ends", fires=True,
         names=["users", "name = 'declined'"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET name = 'declined' WHERE phone IS NOT NULL")
         ''')]),
    dict(name="a value computed from itself (not idempotent): each row once", fires=True,
         names=["users", "phone || '0'"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = phone || '0' WHERE phone IS NOT NULL")
         ''')]),
    dict(name="UPDATE ... FROM another table, a reserved and schema-qualified table",
         fires=True, names=['public."group"', "member", 'm.id BETWEEN'],
         revisions=[GROUPS, revision("b2", "a1", '''
             op.execute('UPDATE member AS m SET group_name = g.name FROM public."group" g '
                        'WHERE g.id = m.group_id')
         ''')]),
    dict(name="a reserved table name in a schema", fires=True,
         names=['"group"', "schema=\"public\""],
         revisions=[GROUPS, revision("b2", "a1", '''
             op.execute('UPDATE public."group" SET type = \\'team\\' WHERE type IS NULL')
         ''')]),
    # -- not reported -------------------------------------------------------------------
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
    dict(name="rows picked by their keys", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users WHERE id IN (1, 2, 3)")
             op.execute("UPDATE users SET name = 'root' WHERE id = 1")
             op.execute("DELETE FROM users WHERE name = 'Debug'")
         ''')]),
    dict(name="one row picked by its key in a SQLAlchemy expression", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.table("users", sa.column("id"), sa.column("name"))
             row_id = 1
             op.execute(users.update().where(users.c.id == row_id).values(name="root"))
         ''')]),
    dict(name="the single statement written for --sql only", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             if context.is_offline_mode():
                 op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
         ''', header="from alembic import context")]),
]

TOKENS = revision("a1", None, '''
    op.create_table("tokens", sa.Column("id", sa.Uuid(), primary_key=True),
                    sa.Column("kind", sa.String(20), nullable=True))
''', 'op.drop_table("tokens")')

CASES += [
    dict(name="a uuid key: the batches are read with ORDER BY ... LIMIT (no min(uuid))",
         fires=True, names=["tokens.id", "order_by(keys.c.k.desc()).limit(1)"],
         revisions=[TOKENS, revision("b2", "a1", '''
             op.execute("UPDATE tokens SET kind = 'api' WHERE kind IS NULL")
         ''')]),
    dict(name="a table object a helper loads (load_table(\"users\", ...)): named, no "
              "placeholder", fires=True, names=['sa.table("users"', "users_table.update()"],
         revisions=[USERS, revision("b2", "a1", '''
             def load_table(name, connection):
                 return sa.Table(name, sa.MetaData(), autoload_with=connection)

             users_table = load_table("users", op.get_bind())
             op.execute(users_table.update().values({"name": "x"}))
         ''')]),
    dict(name="sa.update(sa.table(\"users\", ...)) inline", fires=True,
         names=['sa.table("users"', "between(lo, hi)"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute(sa.update(sa.table("users", sa.column("name"))).values(name="y"))
         ''')]),
    dict(name="a SQL script of several statements: one finding, every statement kept",
         fires=True, names=["DELETE FROM users WHERE name LIKE", 'op.execute(sa.text("ANALYZE users"))',
                            "UPDATE users SET phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("""
                 DELETE FROM users WHERE name LIKE 'bot-%';
                 ANALYZE users;
                 UPDATE users SET phone = '' WHERE phone IS NULL;
             """)
         ''')]),
]
