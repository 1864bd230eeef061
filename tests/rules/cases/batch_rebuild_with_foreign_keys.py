from . import USERS, revision

FK_ON_ENV = '''
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _fk_on(dbapi_connection, record):
    dbapi_connection.execute("PRAGMA foreign_keys=ON")
'''
FK_OFF_ENV = '''
def run_migrations_online():
    with connectable.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
'''
SQLITE = dict(dialect="sqlite", server_version=(3, 45, 1), env=FK_ON_ENV)
ORDERS = revision("b2", "a1", '''
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE")),
    )
''')

CASES = [
    dict(SQLITE, name="rebuild of a table with ON DELETE CASCADE children", fires=True,
         names=["users", "foreign_keys=OFF", 'batch_op.alter_column("email", nullable=True)'],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("email", nullable=True)
         ''')]),
    dict(SQLITE, name="cascade from create_foreign_key and recreate=always", fires=True,
         names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("posts", sa.Column("id", sa.Integer()),
                             sa.Column("author_id", sa.Integer()))
             with op.batch_alter_table("posts") as batch_op:
                 batch_op.create_foreign_key("fk_posts_author", "users", ["author_id"], ["id"],
                                             ondelete="CASCADE")
         '''), revision("c3", "b2", '''
             with op.batch_alter_table("users", recreate="always") as batch_op:
                 batch_op.add_column(sa.Column("bio", sa.Text()))
         ''')]),
    dict(SQLITE, name="add_column only: no rebuild", fires=False,
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("bio", sa.Text()))
         ''')]),
    dict(SQLITE, name="no cascading children", fires=False,
         revisions=[USERS, revision("c3", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("email", nullable=True)
         ''')]),
    dict(SQLITE, name="the whole block kept: assignments, kwargs, a dialect branch", fires=True,
         names=['table_kwargs={"sqlite_autoincrement": True}', "flags = sa.table(",
                'if op.get_bind().dialect.name == "sqlite":'],
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
                 flags = sa.table("users", sa.column("email"))
                 if op.get_bind().dialect.name == "sqlite":
                     batch_op.alter_column("email", nullable=True)
                 batch_op.execute(flags.update().where(flags.c.email == "").values(email="-"))
         ''')]),
    dict(SQLITE, name="nothing turns foreign keys on: DROP TABLE cascades nothing",
         fires=False, env="",
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("email", nullable=True)
         ''')]),
    dict(SQLITE, name="env.py turns foreign keys off around the run", fires=False,
         env=FK_OFF_ENV,
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("email", nullable=True)
         ''')]),
    dict(SQLITE, name="foreign keys turned off first", fires=False,
         revisions=[USERS, ORDERS, revision("c3", "b2", '''
             with op.get_context().autocommit_block():
                 op.execute("PRAGMA foreign_keys=OFF")
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("email", nullable=True)
             with op.get_context().autocommit_block():
                 op.execute("PRAGMA foreign_keys=ON")
         ''')]),
]
