from . import revision

CASES = [
    dict(name="drop_table in downgrade leaves the enum type", fires=True,
         names=["orders", "order_status", "DROP TYPE"],
         revisions=[revision("a1", None, '''
             op.create_table("orders", sa.Column("id", sa.Integer()),
                             sa.Column("status", sa.Enum("new", "paid", name="order_status")))
         ''', 'op.drop_table("orders")')]),
    dict(name="enum defined in a module variable, added in an earlier revision", fires=True,
         names=["tickets", "priority"],
         roundtrip="its upgrade() adds a column of a PostgreSQL ENUM it never creates "
                   "(op.add_column emits no CREATE TYPE): the revision cannot run as written",
         revisions=[revision("a1", None, '''
             op.create_table("tickets", sa.Column("id", sa.Integer()))
         '''), revision("b2", "a1", '''
             op.add_column("tickets", sa.Column("prio", priority))
         ''', 'op.drop_table("tickets")',
             header='from sqlalchemy.dialects import postgresql\n'
                    'priority = postgresql.ENUM("low", "high", name="priority")')]),
    dict(name="downgrade drops the type with DROP TYPE", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("orders", sa.Column("id", sa.Integer()),
                             sa.Column("status", sa.Enum("new", "paid", name="order_status")))
         ''', 'op.drop_table("orders")\nop.execute("DROP TYPE IF EXISTS order_status")')]),
    dict(name="downgrade drops the type with Enum.drop(bind)", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("orders", sa.Column("id", sa.Integer()),
                             sa.Column("status", sa.Enum("new", "paid", name="order_status")))
         ''', 'op.drop_table("orders")\n'
              'sa.Enum(name="order_status").drop(op.get_bind(), checkfirst=False)')]),
    dict(name="non-native enum makes no type", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("orders", sa.Column("id", sa.Integer()),
                             sa.Column("status", sa.Enum("a", "b", name="st", native_enum=False)))
         ''', 'op.drop_table("orders")')]),
]

CASES += [
    dict(name="a type another table still uses is left alone", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("orders", sa.Column("id", sa.Integer()),
                             sa.Column("status", sa.Enum("new", "paid", name="order_status")))
         ''', 'op.drop_table("orders")\nop.execute("DROP TYPE order_status")'),
                    revision("b2", "a1", '''
             op.create_table("returns", sa.Column("id", sa.Integer()),
                             sa.Column("status", postgresql.ENUM(name="order_status",
                                                                 create_type=False)))
         ''', 'op.drop_table("returns")', header="from sqlalchemy.dialects import postgresql")]),
    dict(name="the type name is a reserved word: quoted", fires=True, names=['DROP TYPE IF EXISTS "order"'],
         revisions=[revision("a1", None, '''
             op.create_table("purchases", sa.Column("id", sa.Integer()),
                             sa.Column("kind", sa.Enum("a", "b", name="order")))
         ''', 'op.drop_table("purchases")')]),
]
