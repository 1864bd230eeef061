from . import USERS, revision

CASES = [
    dict(name="drop an existing table", fires=True, names=["users"],
         revisions=[USERS, revision("b2", "a1", 'op.drop_table("users")')]),
    dict(name="SQL DROP TABLE", fires=True, names=["legacy_events"],
         revisions=[revision("b2", None,
                             'op.execute("DROP TABLE IF EXISTS legacy_events CASCADE")')]),
    dict(name="create then drop a scratch table in one revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("tmp_ids", sa.Column("id", sa.Integer()))
             op.drop_table("tmp_ids")
         ''')]),
    dict(name="drop only in downgrade", fires=False,
         revisions=[USERS]),
]
