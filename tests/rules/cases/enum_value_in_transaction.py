from . import revision

STATUS = revision("a1", None, '''
    op.create_table("orders", sa.Column("id", sa.Integer()),
                    sa.Column("status", sa.Enum("new", "paid", name="order_status")))
''', 'op.drop_table("orders")\nop.execute("DROP TYPE order_status")')

CASES = [
    dict(name="ADD VALUE, then an UPDATE that writes it, in one transaction", fires=True,
         names=["order_status", "refunded", "autocommit_block", "IF NOT EXISTS"],
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")
             op.execute("UPDATE orders SET status = 'refunded' WHERE id < 0")
         ''')]),
    dict(name="ADD VALUE, then a server default that uses it", fires=True,
         names=["order_status", "draft"],
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status ADD VALUE 'draft'")
             op.alter_column("orders", "status", server_default="draft")
         ''')]),
    dict(name="ADD VALUE on PostgreSQL 11", fires=True, server_version=(11, 5),
         names=["order_status", "shipped"],
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute(sa.text("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped'"))
         ''')], roundtrip="the database of the round trip is PostgreSQL 12 or later"),
    dict(name="a later revision uses the value, without transaction_per_migration", fires=True,
         names=["autocommit_block", "UPDATE orders SET status = 'refunded'"],
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")
         '''), revision("c3", "b2", '''
             op.execute("UPDATE orders SET status = 'refunded' WHERE id < 0")
         ''')], roundtrip="the round trip upgrades to the revision before the last first"),
    dict(name="ADD VALUE alone (PostgreSQL 12+ runs it in the transaction)", fires=False,
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded'")
         ''')]),
    dict(name="a later revision uses it, env.py commits per migration", fires=False,
         env="context.configure(connection=connection, transaction_per_migration=True)",
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")
         '''), revision("c3", "b2", '''
             op.execute("UPDATE orders SET status = 'refunded' WHERE id < 0")
         ''')]),
    dict(name="in an autocommit block, then used", fires=False,
         revisions=[STATUS, revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 op.execute("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded'")
             op.execute("UPDATE orders SET status = 'refunded' WHERE id < 0")
         ''')]),
    dict(name="other ALTER TYPE", fires=False,
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status RENAME VALUE 'paid' TO 'settled'")
         ''')]),
]
