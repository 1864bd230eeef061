from . import USERS, revision

CASES = [
    dict(name="gen_random_uuid() default on an existing table", fires=True,
         names=["users", "token", "gen_random_uuid()"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("token", sa.Uuid(),
                                              server_default=sa.text("gen_random_uuid()")))
         ''')]),
    dict(name="sa.func.random()", fires=True, dialect="mysql", names=["users", "score"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("score", sa.Float(), server_default=sa.func.random()))
         ''')]),
    dict(name="SQL ADD COLUMN with clock_timestamp()", fires=True, names=["users", "seen_at"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN seen_at timestamptz "
                        "DEFAULT clock_timestamp()")
         ''')]),
    dict(name="now() is stable: no rewrite on PostgreSQL 11+", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("created_at", sa.DateTime(),
                                              server_default=sa.func.now(), nullable=False))
         ''')]),
    dict(name="CURRENT_TIMESTAMP", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("created_at", sa.DateTime(),
                                              server_default=sa.text("CURRENT_TIMESTAMP")))
         ''')]),
    dict(name="volatile default on a new table", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("keys", sa.Column("id", sa.Integer()))
             op.add_column("keys", sa.Column("token", sa.Uuid(),
                                             server_default=sa.text("gen_random_uuid()")))
         ''')]),
]
