from . import USERS, revision

TEAMS = revision("a1", None, '''
    op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
    )
''', 'op.drop_table("users")\nop.drop_table("teams")')
SQLITE = dict(dialect="sqlite", server_version=(3, 45, 1))
CONVENTION_ENV = '''
from myapp.models import db
target_metadata = db.metadata
db.metadata.naming_convention = {
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
}
'''
MULTI_ENV = '''
def run_migrations_online():
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
'''

CASES = [
    dict(name="drop_constraint(None, ...) in downgrade: PostgreSQL's name for the FK of upgrade",
         fires=True, names=['"users_team_id_fkey"', '"users"'],
         revisions=[TEAMS, revision("b2", "a1", '''
             op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''', 'op.drop_constraint(None, "users", type_="foreignkey")')]),
    dict(name="two unnamed unique constraints, dropped in reverse order", fires=True,
         names=['"users_email_key"', '"users_team_id_email_key"'],
         revisions=[TEAMS, revision("b2", "a1", '''
             op.create_unique_constraint(None, "users", ["email"])
             op.create_unique_constraint(None, "users", ["team_id", "email"])
         ''', '''
             op.drop_constraint(None, "users", type_="unique")
             op.drop_constraint(None, "users", type_="unique")
         ''')]),
    dict(name="drop_constraint(None, ...) in downgrade: the name the revision gave it",
         fires=True, names=["users", "uq_users_email"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_unique_constraint("uq_users_email", "users", ["email"])
         ''', 'op.drop_constraint(None, "users", type_="unique")')]),
    dict(name="the naming convention of env.py names what downgrade drops", fires=True,
         env=CONVENTION_ENV, names=['"fk_users_team_id_teams"'],
         roundtrip="the round trip's env.py has no naming convention",
         revisions=[TEAMS, revision("b2", "a1", '''
             op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''', 'op.drop_constraint(None, "users", type_="foreignkey")')]),
    dict(SQLITE, name="SQLite: batch mode drops the unnamed FK through a naming convention",
         fires=True, names=["naming_convention=", '"fk_users_team_id_teams"'],
         revisions=[TEAMS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.create_foreign_key(None, "teams", ["team_id"], ["id"])
         ''', '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.drop_constraint(None, type_="foreignkey")
         ''')]),
    dict(SQLITE, name="batch create_unique_constraint(None, ...) on SQLite", fires=True,
         names=["uq_users_email"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.create_unique_constraint(None, ["email"])
         ''')]),
    dict(name="a project on several databases (render_as_batch): the PostgreSQL name",
         fires=True, env=MULTI_ENV, names=['"users_team_id_fkey"', "naming_convention"],
         revisions=[TEAMS, revision("b2", "a1", '''
             op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''')]),
    dict(name="a revision that tests the dialect: the project runs on several", fires=True,
         names=['"users_email_key"'],
         revisions=[TEAMS, revision("b2", "a1", '''
             if op.get_bind().dialect.name == "sqlite":
                 pass
             else:
                 op.create_unique_constraint(None, "users", ["email"])
         ''')]),
    dict(name="PostgreSQL alone names an unnamed FK predictably", fires=False,
         revisions=[TEAMS, revision("b2", "a1", '''
             op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''')]),
    dict(name="a naming convention in env.py names the new constraint", fires=False,
         env=CONVENTION_ENV + MULTI_ENV,
         revisions=[TEAMS, revision("b2", "a1", '''
             op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''')]),
    dict(name="named constraints", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_foreign_key("fk_users_team_id_teams", "users", "teams", ["team_id"], ["id"])
         ''', 'op.drop_constraint("fk_users_team_id_teams", "users", type_="foreignkey")')]),
]

CASES += [
    dict(name="downgrade drops by None what upgrade created under a name (another FK of the "
              "table unnamed in the history)", fires=True,
         names=['"fk_users_household_id"'],
         revisions=[TEAMS.replace('sa.Column("team_id", sa.Integer(), nullable=True),',
                                  'sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id")),'),
                    revision("b2", "a1", '''
             op.create_table("households", sa.Column("id", sa.Integer(), primary_key=True))
             op.add_column("users", sa.Column("household_id", sa.Integer(), nullable=True))
             op.create_foreign_key("fk_users_household_id", "users", "households",
                                   ["household_id"], ["id"])
         ''', '''
             op.drop_constraint(None, "users", type_="foreignkey")
             op.drop_column("users", "household_id")
             op.drop_table("households")
         ''')]),
]

CASES += [
    dict(name="created only on MySQL, behind a dialect test: MySQL alone names it",
         fires=False, dialect="mysql", server_version=(8, 0),
         revisions=[TEAMS, revision("b2", "a1", '''
             if op.get_context().dialect.name in ("mysql", "mariadb"):
                 op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''')]),
]

CASES += [
    dict(name="another revision reads the models' naming convention: named by it", fires=False,
         env=MULTI_ENV,
         revisions=[TEAMS, revision("b1", "a1", header="from myapp import orm\n"
                                    "convention = orm.meta.naming_convention"),
                    revision("b2", "b1", '''
             op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''')]),
]
