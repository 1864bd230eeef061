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
