from . import USERS, revision

CASES = [
    dict(name="unique constraint on an existing table", fires=True,
         names=["users", "uq_users_email", "email", "USING INDEX"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_unique_constraint("uq_users_email", "users", ["email"])
         ''')]),
    dict(name="SQL ADD CONSTRAINT UNIQUE", fires=True, names=["users", "uq_phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD CONSTRAINT uq_phone UNIQUE (phone)")
         ''')]),
    dict(name="safe pattern: concurrent unique index, then UNIQUE USING INDEX", fires=False,
         also_quiet=["create-index-not-concurrently", "concurrently-without-autocommit"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 op.create_index("uq_users_email", "users", ["email"], unique=True,
                                 postgresql_concurrently=True)
             op.execute("ALTER TABLE users ADD CONSTRAINT uq_users_email "
                        "UNIQUE USING INDEX uq_users_email")
         ''')]),
    dict(name="unique constraint on a new table", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("slug", sa.Text()))
             op.create_unique_constraint("uq_teams_slug", "teams", ["slug"])
         ''')]),
]

CASES += [
    dict(name="unnamed, in a schema, on a reserved-word table: PostgreSQL's name, quoted",
         fires=True, names=['"order_code_key"', 'schema="shop"', 'shop."order"'],
         revisions=[revision("a1", None, '''
             op.execute("CREATE SCHEMA shop")
             op.create_table("order", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("code", sa.String(20)), schema="shop")
         ''', 'op.drop_table("order", schema="shop")\nop.execute("DROP SCHEMA shop")'),
                    revision("b2", "a1", '''
             op.create_unique_constraint(None, "order", ["code"], schema="shop")
         ''')]),
    dict(name="batch mode on PostgreSQL", fires=True,
         names=["uq_users_phone", "USING INDEX uq_users_phone"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.create_unique_constraint("uq_users_phone", ["phone"])
                 batch_op.alter_column("name", nullable=True)
         ''')]),
    dict(name="SQL UNIQUE without a name among other statements", fires=True,
         names=["users_name_key", "UPDATE users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET name = NULL WHERE name = ''; "
                        "ALTER TABLE users ADD UNIQUE (name)")
         ''')]),
]

CASES += [
    dict(name="two unique constraints in one batch block: one finding, both moved", fires=True,
         names=['"uq_users_phone"', '"uq_users_name"', "batch_op.add_column"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("nickname", sa.String(50), nullable=True))
                 batch_op.create_unique_constraint("uq_users_phone", ["phone"])
                 batch_op.create_unique_constraint("uq_users_name", ["name"])
         ''')]),
]
