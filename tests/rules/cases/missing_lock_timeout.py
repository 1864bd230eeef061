from . import USERS, revision

ENV = '''
def run_migrations_online():
    with connectable.connect() as connection:
        connection.execute(text("SET lock_timeout = '4s'"))
        context.configure(connection=connection, target_metadata=target_metadata)
'''

ENV_SQLALCHEMY_2 = '''
def run_migrations_online():
    with connectable.connect() as connection:
        connection.exec_driver_sql("SET lock_timeout = '5s'")
        if connection.in_transaction():
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata)
'''

CASES = [
    dict(name="the env.py way in the fix ends the transaction the SET began (SQLAlchemy 2)",
         fires=True, names=["exec_driver_sql", "connection.commit()", "before context.configure"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", new_column_name="full_name")
         ''')]),
    dict(name="add_column on an existing table with no lock_timeout", fires=True,
         names=["users", "lock_timeout"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
             op.create_index("ix_users_nickname", "users", ["nickname"])
         ''')]),
    dict(name="lock_timeout set after the locking operation", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.execute("SET lock_timeout = '5s'")
         ''')]),
    dict(name="SET LOCAL lock_timeout first", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("SET LOCAL lock_timeout TO '5s'")
             op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
         ''')]),
    dict(name="safe pattern: lock_timeout set in env.py", fires=False, env=ENV,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
         ''')]),
    dict(name="only a new table", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer()))
             op.create_index("ix_teams_id", "teams", ["id"])
         ''')]),
    dict(name="not PostgreSQL", fires=False, dialect="sqlite",
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
         ''')]),
    dict(name="lock_timeout set in env.py and committed", fires=False, env=ENV_SQLALCHEMY_2,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", new_column_name="full_name")
         ''')]),
]
