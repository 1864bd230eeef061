from . import USERS, revision

# users.team_id and the teams table it refers to
TEAMS = revision("a2", "a1", '''
    op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
    op.add_column("users", sa.Column("team_id", sa.Integer(), nullable=True))
''', '''
    op.drop_column("users", "team_id")
    op.drop_table("teams")
''')

SQLITE = dict(dialect="sqlite", server_version=(3, 45, 1))

CASES = [
    dict(SQLITE, name="alter_column outside batch", fires=True,
         names=["users", 'batch_op.alter_column("phone", nullable=False)'],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", nullable=False)
         ''')]),
    dict(SQLITE, name="create_foreign_key outside batch", fires=True,
         names=["users", 'batch_op.create_foreign_key("fk_users_team", "teams"'],
         revisions=[USERS, TEAMS, revision("b2", "a2", '''
             op.create_foreign_key("fk_users_team", "users", "teams", ["team_id"], ["id"])
         ''')]),
    dict(name="drop_column on SQLite older than 3.35", fires=True, dialect="sqlite",
         server_version=(3, 31, 1), names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")')]),
    dict(SQLITE, name="drop_column on SQLite 3.35+", fires=False,
         revisions=[USERS, revision("b2", "a1", 'op.drop_column("users", "phone")')]),
    dict(SQLITE, name="in batch mode", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", nullable=False)
                 batch_op.create_unique_constraint("uq_users_email", ["email"])
         ''')]),
    dict(SQLITE, name="a pure rename works on SQLite 3.25+", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", new_column_name="full_name")
         ''')]),
    dict(SQLITE, name="behind a dialect guard that SQLite fails", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             if not _is_sqlite():
                 op.alter_column("users", "phone", nullable=False)
             if op.get_context().dialect.name in ("postgresql", "mysql"):
                 op.create_foreign_key("fk_users_team", "users", "teams", ["team_id"], ["id"])
         ''', header="def _is_sqlite():\n    return op.get_context().dialect.name == 'sqlite'")]),
    dict(SQLITE, name="in the SQLite branch of a dialect guard", fires=True,
         names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             if op.get_context().dialect.name != "sqlite":
                 pass
             else:
                 op.alter_column("users", "phone", nullable=False)
         ''')]),
    dict(name="not SQLite", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", nullable=False)
         ''')]),
]

CASES += [
    dict(SQLITE, name="SQL ALTER COLUMN ... SET NOT NULL: in batch form", fires=True,
         names=['with op.batch_alter_table("users") as batch_op:',
                'batch_op.alter_column("phone", nullable=False)'],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
             op.execute("ALTER TABLE users ALTER COLUMN phone SET NOT NULL")
         ''')]),
    dict(SQLITE, name="drop_constraint(None) in downgrade: by the name upgrade gave it",
         fires=True, names=['batch_op.drop_constraint("fk_users_team", type_="foreignkey")'],
         revisions=[USERS, TEAMS, revision("b2", "a2", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.create_foreign_key("fk_users_team", "teams", ["team_id"], ["id"])
         ''', 'op.drop_constraint(None, "users", type_="foreignkey")')]),
]
