from . import USERS, revision

WORKING = revision("a0", None, '''
    op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
''', 'op.drop_table("teams")')
USERS_AFTER_TEAMS = USERS.replace("down_revision = None", "down_revision = 'a0'")


def empty(rev: str, down: str | None, table: str) -> str:
    return revision(rev, down, f'op.create_table("{table}", sa.Column("id", sa.Integer()))')


CASES = [
    dict(name="schema change with an empty downgrade", fires=True,
         names=['op.drop_column("users", "nickname")', 'op.drop_index("ix_users_nickname"'],
         revisions=[WORKING, USERS_AFTER_TEAMS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50)))
             op.create_index("ix_users_nickname", "users", ["nickname"])
         ''', "pass")]),
    dict(name="a batch op, a rename and a constraint, undone last first", fires=True,
         names=['batch_op.drop_column("age")', 'op.rename_table("members", "users")',
                'op.drop_constraint("uq_members_email", "members", type_="unique")'],
         revisions=[WORKING, USERS_AFTER_TEAMS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("age", sa.Integer(), nullable=True))
             op.rename_table("users", "members")
             op.create_unique_constraint("uq_members_email", "members", ["email"])
         ''', '"""No downgrade."""')]),
    dict(name="a dropped column and table come back from the history", fires=True,
         names=['sa.Column("phone", sa.String(20), nullable=True)', 'op.create_table("teams"'],
         fix_quiet=["add-not-null-column-without-default"],
         revisions=[WORKING, USERS_AFTER_TEAMS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.drop_table("teams")
         ''', "pass")]),
    dict(name="what cannot be undone makes downgrade() raise", fires=True,
         names=["NotImplementedError", "execute"],
         roundtrip="the fix makes downgrade() raise on purpose: there is nothing to run back",
         revisions=[WORKING, USERS_AFTER_TEAMS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN score integer")
         ''', "pass")]),
    dict(name="a forward-only history: one finding, at the newest revision", fires=True,
         names=["NotImplementedError", "does not downgrade"],
         roundtrip="the fix makes downgrade() raise on purpose (the forward-only policy)",
         revisions=[empty("x1", None, "t1"), empty("x2", "x1", "t2"),
                    revision("x3", "x2", 'op.create_table("t3", sa.Column("id", sa.Integer()))',
                             downgrade=None),
                    empty("x4", "x3", "t4")]),
    dict(name="a VALIDATE beside a new column: the fix undoes the column, and nothing for the "
              "VALIDATE", fires=True, names=['op.drop_column("users", "score")'],
         fix_quiet=["add-check-constraint-validating"],
         revisions=[WORKING, USERS_AFTER_TEAMS, revision("b2", "a1", '''
             op.create_check_constraint("ck_users_email", "users", "email <> ''",
                                        postgresql_not_valid=True)
         ''', 'op.drop_constraint("ck_users_email", "users", type_="check")'),
                    revision("c3", "b2", '''
             op.execute("ALTER TABLE users VALIDATE CONSTRAINT ck_users_email")
             op.add_column("users", sa.Column("score", sa.Integer(), nullable=True))
         ''', "pass")]),
    # -- not reported -------------------------------------------------------------------
    dict(name="a forward-only history: reported at its newest empty downgrade() only",
         fires=False,
         revisions=[empty("x1", None, "t1"), empty("x2", "x1", "t2"), empty("x3", "x2", "t3"),
                    empty("x4", "x3", "t4"),
                    empty("x5", "x4", "t5").replace("\ndef downgrade():\n    pass\n", "\n")
                    .replace("def upgrade():\n    op.create_table(\"t5\", "
                             "sa.Column(\"id\", sa.Integer()))", "def upgrade():\n    pass")]),
    dict(name="downgrade function missing: Alembic stops before moving the version",
         fires=False,
         revisions=[WORKING, revision("b2", "a0",
                                      'op.create_table("boards", sa.Column("id", sa.Integer()))',
                                      downgrade=None)]),
    dict(name="steps that can run again: IF NOT EXISTS, a type set again, behind an inspection",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("CREATE INDEX IF NOT EXISTS ix_users_name ON users (name)")
             op.alter_column("users", "name", existing_type=sa.String(100), type_=sa.Text())
             if "fax" in [c["name"] for c in sa.inspect(op.get_bind()).get_columns("users")]:
                 op.drop_column("users", "fax")
         ''', "pass")]),
    dict(name="triggers switched off around a data fix, a table dropped and created again",
         fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users DISABLE TRIGGER ALL")
             op.execute("ALTER TABLE users ALTER COLUMN name TYPE text, "
                        "ALTER COLUMN phone SET DEFAULT ''")
             op.execute("UPDATE users SET name = 'x' WHERE name = ''")
             op.execute("ALTER TABLE users ENABLE TRIGGER ALL")
             op.drop_table("sessions")
             op.create_table("sessions", sa.Column("id", sa.Integer(), primary_key=True))
             op.create_index("ix_sessions_id", "sessions", ["id"])
         ''', "pass")]),
    dict(name="constraints dropped in a loop over what an inspection found", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             insp = sa.inspect(op.get_bind())
             for uq in insp.get_unique_constraints("users"):
                 if "email" in uq["column_names"]:
                     op.drop_constraint(uq["name"], "users", type_="unique")
         ''', "pass")]),
    dict(name="a real downgrade", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nickname", sa.String(50)))
         ''', 'op.drop_column("users", "nickname")')]),
    dict(name="irreversible on purpose", fires=False,
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")',
                                    'raise NotImplementedError("the phone numbers are gone")')]),
    dict(name="data only", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET name = 'x' WHERE name IS NULL")
         ''')]),
    dict(name="only VALIDATE CONSTRAINT: nothing to undo, the empty downgrade() is right",
         fires=False,
         revisions=[WORKING, USERS_AFTER_TEAMS, revision("b2", "a1", '''
             op.create_check_constraint("ck_users_email", "users", "email <> ''",
                                        postgresql_not_valid=True)
         ''', 'op.drop_constraint("ck_users_email", "users", type_="check")'),
                    revision("c3", "b2", '''
             op.execute('ALTER TABLE users VALIDATE CONSTRAINT "ck_users_email"')
         ''', "pass")]),
    dict(name="SET, ANALYZE, storage settings and a data fix change no schema", fires=False,
         revisions=[WORKING, USERS_AFTER_TEAMS, revision("b2", "a1", '''
             op.execute("SET statement_timeout = 0")
             op.execute("ALTER TABLE users SET (autovacuum_vacuum_scale_factor = 0.01)")
             op.execute("ALTER TABLE users ALTER COLUMN email SET STATISTICS 500")
             op.execute("UPDATE users SET name = '' WHERE name IS NULL")
             op.execute("ANALYZE users")
         ''', "pass")]),
]
