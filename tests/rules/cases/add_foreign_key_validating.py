from . import USERS, revision

ORDERS = revision("b2", "a1", '''
    op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("user_id", sa.Integer()))
''')

CASES = [
    dict(name="foreign key validated at once", fires=True,
         names=["orders", "users", "fk_orders_user_id_users", "postgresql_not_valid=True"],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.create_foreign_key("fk_orders_user_id_users", "orders", "users",
                                   ["user_id"], ["id"])
         ''')]),
    dict(name="SQL foreign key without NOT VALID", fires=True,
         names=["orders", "fk_orders_user", "NOT VALID"],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.execute("ALTER TABLE orders ADD CONSTRAINT fk_orders_user "
                        "FOREIGN KEY (user_id) REFERENCES users (id)")
         ''')]),
    dict(name="NOT VALID but validated in the same transaction", fires=True,
         names=["orders", "fk_orders_user_id_users"],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.create_foreign_key("fk_orders_user_id_users", "orders", "users",
                                   ["user_id"], ["id"], postgresql_not_valid=True)
             op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user_id_users")
         ''')]),
    dict(name="op.f() name, NOT VALID, validated in the same transaction", fires=True,
         names=["orders", "fk_orders_user_id_users"],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.create_foreign_key(op.f("fk_orders_user_id_users"), "orders", "users",
                                   ["user_id"], ["id"], postgresql_not_valid=True)
             op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user_id_users")
         ''')]),
    dict(name="safe pattern: NOT VALID, then validated in a later revision", fires=False,
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.create_foreign_key("fk_orders_user_id_users", "orders", "users",
                                   ["user_id"], ["id"], postgresql_not_valid=True)
         '''), revision("d4", "c3", '''
             op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user_id_users")
         ''')]),
    dict(name="safe pattern, the NOT VALID revision itself", fires=False,
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.create_foreign_key("fk_orders_user_id_users", "orders", "users",
                                   ["user_id"], ["id"], postgresql_not_valid=True)
         ''')]),
    dict(name="foreign key on a table created in the same revision", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("carts", sa.Column("id", sa.Integer()),
                             sa.Column("user_id", sa.Integer()))
             op.create_foreign_key("fk_carts_user_id_users", "carts", "users", ["user_id"], ["id"])
         ''')]),
]

TEAMS = revision("a1", None, '''
    op.execute("CREATE SCHEMA crm")
    op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True), schema="crm")
    op.create_table("user", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("team_id", sa.Integer()), sa.Column("coach_id", sa.Integer()),
                    schema="crm")
''', 'op.drop_table("user", schema="crm")\nop.drop_table("teams", schema="crm")\n'
     'op.execute("DROP SCHEMA crm")')

CASES += [
    dict(name="two unnamed FKs on one table in a schema: PostgreSQL's names, schema and "
              "quotes kept", fires=True,
         names=['"user_team_id_fkey"', '"user_coach_id_fkey"', 'crm."user"',
                "autocommit_block"],
         revisions=[TEAMS, revision("b2", "a1", '''
             op.create_foreign_key(None, "user", "teams", ["team_id"], ["id"],
                                   source_schema="crm", referent_schema="crm")
             op.create_foreign_key(None, "user", "teams", ["coach_id"], ["id"],
                                   source_schema="crm", referent_schema="crm")
         ''')]),
    dict(name="SQL FK without a name: named as PostgreSQL would, then validated", fires=True,
         names=["ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY", "NOT VALID",
                "VALIDATE CONSTRAINT orders_user_id_fkey"],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.execute("ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id); "
                        "UPDATE orders SET user_id = NULL WHERE user_id = 0")
         ''')]),
    dict(name="batch mode on PostgreSQL: NOT VALID in the block, VALIDATE after it",
         fires=True, names=["postgresql_not_valid=True", "VALIDATE CONSTRAINT fk_orders_user"],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             with op.batch_alter_table("orders") as batch_op:
                 batch_op.create_foreign_key("fk_orders_user", "users", ["user_id"], ["id"])
         ''')]),
]

CASES += [
    dict(name="a project that also runs on SQLite: NOT VALID / VALIDATE behind a dialect test",
         fires=True, env="context.configure(connection=connection, render_as_batch=True)",
         names=['if op.get_bind().dialect.name == "postgresql":', "VALIDATE CONSTRAINT",
                'else:  # the other databases: as before'],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             op.create_foreign_key("fk_orders_user_id_users", "orders", "users",
                                   ["user_id"], ["id"])
         ''')]),
]
