from . import USERS, revision

CASES = [
    dict(name="create_foreign_key(None, ...)", fires=True,
         names=["fk_users_team_id_teams", "naming_convention"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_foreign_key(None, "users", "teams", ["team_id"], ["id"])
         ''')]),
    dict(name="drop_constraint(None, ...) in downgrade: the name the revision gave it",
         fires=True, names=["users", "uq_users_email"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_unique_constraint("uq_users_email", "users", ["email"])
         ''', 'op.drop_constraint(None, "users", type_="unique")')]),
    dict(name="batch create_unique_constraint(None, ...)", fires=True, dialect="sqlite",
         names=["uq_users_email"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.create_unique_constraint(None, ["email"])
         ''')]),
    dict(name="named constraints", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_foreign_key("fk_users_team_id_teams", "users", "teams", ["team_id"], ["id"])
         ''', 'op.drop_constraint("fk_users_team_id_teams", "users", type_="foreignkey")')]),
]
