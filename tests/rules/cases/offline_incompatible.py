from . import USERS, revision

CASES = [
    dict(name="op.get_bind() in upgrade", fires=True, names=["b2", "is_offline_mode"],
         revisions=[USERS, revision("b2", "a1", '''
             conn = op.get_bind()
             rows = conn.execute(sa.text("SELECT id FROM users")).fetchall()
         ''')]),
    dict(name="inspection", fires=True, names=["sa.inspect"],
         revisions=[USERS, revision("b2", "a1", '''
             if "phone" not in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("users")]:
                 op.add_column("users", sa.Column("phone", sa.String(20)))
         ''')]),
    dict(name="reflection with autoload_with", fires=True, names=["autoload_with"],
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.Table("users", sa.MetaData(), autoload_with=op.get_bind())
         ''')]),
    dict(name="guarded by is_offline_mode()", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             if not context.is_offline_mode():
                 conn = op.get_bind()
         ''', header="from alembic import context")]),
    dict(name="plain op.execute", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
         ''')]),
]
