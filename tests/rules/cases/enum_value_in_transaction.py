from . import revision

STATUS = revision("a1", None, '''
    op.create_table("orders", sa.Column("id", sa.Integer()),
                    sa.Column("status", sa.Enum("new", "paid", name="order_status")))
''', 'op.drop_table("orders")\nop.execute("DROP TYPE order_status")')

CASES = [
    dict(name="ADD VALUE in the transaction (PostgreSQL 16)", fires=True,
         names=["order_status", "refunded", "autocommit_block"],
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")
         ''')]),
    dict(name="ADD VALUE on PostgreSQL 11", fires=True, server_version=(11, 5),
         names=["order_status", "shipped"],
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute(sa.text("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'shipped'"))
         ''')]),
    dict(name="in an autocommit block", fires=False,
         revisions=[STATUS, revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 op.execute("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded'")
         ''')]),
    dict(name="other ALTER TYPE", fires=False,
         revisions=[STATUS, revision("b2", "a1", '''
             op.execute("ALTER TYPE order_status RENAME VALUE 'paid' TO 'settled'")
         ''')]),
]
