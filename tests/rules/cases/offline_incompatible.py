from . import USERS, revision

CASES = [
    dict(name="rows read from op.get_bind()", fires=True, names=["b2", "is_offline_mode"],
         revisions=[USERS, revision("b2", "a1", '''
             conn = op.get_bind()
             rows = conn.execute(sa.text("SELECT id FROM users")).fetchall()
             for row in rows:
                 conn.execute(sa.text("UPDATE users SET name = 'x' WHERE id = :i"), {"i": row.id})
         ''')]),
    dict(name="inspection", fires=True, names=["sa.inspect"],
         revisions=[USERS, revision("b2", "a1", '''
             if "nick" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("users")]:
                 op.add_column("users", sa.Column("nick", sa.String(20)))
         ''')]),
    dict(name="reflection with autoload_with", fires=True, names=["autoload_with"],
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.Table("users", sa.MetaData(), autoload_with=op.get_bind())
             op.execute(users.update().where(users.c.name.is_(None)).values(name=""))
         ''')]),
    dict(name="in a helper called with the connection, and a result iterated", fires=True,
         names=["RuntimeError"],
         revisions=[USERS, revision("b2", "a1", '''
             _copy(op.get_bind())
         ''', header='''
             def _copy(conn):
                 for row in conn.execute(sa.text("SELECT id, email FROM users")):
                     pass
         ''')]),
    dict(name="an ORM session on the migration's connection", fires=True, names=["Session"],
         revisions=[USERS, revision("b2", "a1", '''
             session = sa.orm.Session(bind=op.get_bind())
             session.execute(sa.text("UPDATE users SET name = 'x' WHERE name IS NULL"))
         ''', header="import sqlalchemy.orm")]),
    # -- not reported -------------------------------------------------------------------
    dict(name="guarded by is_offline_mode()", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             if not context.is_offline_mode():
                 conn = op.get_bind()
                 conn.execute(sa.text("SELECT 1")).scalar()
         ''', header="from alembic import context")]),
    dict(name="after an early return in offline mode", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             if context.is_offline_mode():
                 return
             print(sa.inspect(op.get_bind()).get_table_names())
         ''', header="from alembic import context")]),
    dict(name="the dialect, writes and types: all work offline", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             bind = op.get_bind()
             if bind.dialect.name == "postgresql":
                 bind.execute(sa.text("SET statement_timeout = '60s'"))
             status = sa.Enum("on", "off", name="status")
             status.create(bind, checkfirst=True)
             bind.execute(sa.text("UPDATE users SET name = :n WHERE name IS NULL"), {"n": ""})
         ''')]),
    dict(name="plain op.execute", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
         ''')]),
]
