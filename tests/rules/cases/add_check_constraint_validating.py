from . import USERS, revision

CASES = [
    dict(name="check constraint validated at once", fires=True,
         names=["users", "ck_users_email_lower", "postgresql_not_valid=True"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_check_constraint("ck_users_email_lower", "users", "email = lower(email)")
         ''')]),
    dict(name="SQL check without NOT VALID", fires=True, names=["users", "ck_phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD CONSTRAINT ck_phone CHECK (length(phone) > 5)")
         ''')]),
    dict(name="safe pattern: NOT VALID in SQL, validated in a later revision", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD CONSTRAINT ck_phone "
                        "CHECK (length(phone) > 5) NOT VALID")
         '''), revision("c3", "b2", '''
             op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_phone")
         ''')]),
    dict(name="safe pattern: postgresql_not_valid=True", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_check_constraint("ck_users_email_lower", "users", "email = lower(email)",
                                        postgresql_not_valid=True)
         ''')]),
    dict(name="validated in an autocommit block after NOT VALID", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_check_constraint("ck_users_email_lower", "users", "email = lower(email)",
                                        postgresql_not_valid=True)
             with op.get_context().autocommit_block():
                 op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_users_email_lower")
         ''')]),
]

CASES += [
    dict(name="SQL CHECK without a name, on a schema-qualified table", fires=True,
         names=["ADD CONSTRAINT accounts_balance_check CHECK", "NOT VALID",
                "ALTER TABLE bank.accounts VALIDATE CONSTRAINT accounts_balance_check"],
         revisions=[revision("a1", None, '''
             op.execute("CREATE SCHEMA bank")
             op.create_table("accounts", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("balance", sa.Numeric(10, 2)), schema="bank")
         ''', 'op.drop_table("accounts", schema="bank")\nop.execute("DROP SCHEMA bank")'),
                    revision("b2", "a1", '''
             op.execute("ALTER TABLE bank.accounts ADD CHECK (balance >= 0)")
         ''')]),
    dict(name="NOT VALID, then VALIDATE in the same transaction: the VALIDATE moves into an "
              "autocommit block", fires=True,
         names=["autocommit_block", "VALIDATE CONSTRAINT ck_users_email_lower"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_check_constraint("ck_users_email_lower", "users", "email = lower(email)",
                                        postgresql_not_valid=True)
             op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_users_email_lower")
         ''')]),
]
