from . import USERS, revision

CASES = [
    dict(name="postgresql_concurrently=True in the transaction", fires=True,
         names=["users", "ix_users_email", "autocommit_block"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
         ''')]),
    dict(name="CREATE INDEX CONCURRENTLY in SQL", fires=True, names=["users", "ix_users_name"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("CREATE INDEX CONCURRENTLY ix_users_name ON users (name)")
         ''')]),
    dict(name="concurrent drop in downgrade", fires=True, names=["ix_users_email"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 op.create_index("ix_users_email", "users", ["email"],
                                 postgresql_concurrently=True)
         ''', '''
             op.drop_index("ix_users_email", table_name="users", postgresql_concurrently=True)
         ''')]),
    dict(name="safe pattern: inside an autocommit block", fires=False,
         also_quiet=["create-index-not-concurrently"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 op.execute("CREATE INDEX CONCURRENTLY ix_users_name ON users (name)")
         ''')]),
]

CASES += [
    dict(name="an assignment and a multi-line call are kept as written", fires=True,
         names=["index = op.create_index(", "postgresql_where="],
         revisions=[USERS, revision("b2", "a1", '''
             index = op.create_index(
                 "ix_users_phone", "users", ["phone"],
                 postgresql_concurrently=True,
                 postgresql_where=sa.text("phone IS NOT NULL"),  # partial
             )
         ''')]),
]
