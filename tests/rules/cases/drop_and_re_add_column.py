from . import USERS, revision

SCORES = revision("a1", None, '''
    op.create_table("players", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("score", sa.Integer(), nullable=True),
                    sa.Column("rank", sa.String(10), nullable=True))
''', 'op.drop_table("players")')

CASES = [
    dict(name="a type change by drop and re-add", fires=True,
         names=["players", "score", "sa.Numeric(10, 2)", "postgresql_using"],
         fix_quiet=["drop-add-looks-like-rename"],
         revisions=[SCORES, revision("b2", "a1", '''
             op.drop_column("players", "score")
             op.add_column("players", sa.Column("score", sa.Numeric(10, 2), nullable=True))
         ''')]),
    dict(name="lines between the drop and the add are kept", fires=True,
         names=["players", "rank", "ix_players_id"],
         revisions=[SCORES, revision("b2", "a1", '''
             op.drop_column("players", "rank")
             op.create_index("ix_players_id", "players", ["id"])
             op.add_column("players", sa.Column("rank", sa.String(40), nullable=True))
         ''')]),
    dict(name="in batch mode on SQLite", fires=True, dialect="sqlite", server_version=(3, 45),
         names=["batch_op.alter_column", "rank"],
         revisions=[SCORES, revision("b2", "a1", '''
             with op.batch_alter_table("players") as batch_op:
                 batch_op.drop_column("rank")
                 batch_op.add_column(sa.Column("rank", sa.Text(), nullable=True))
         ''')]),
    dict(name="in SQL", fires=True, names=["players", "score"],
         revisions=[SCORES, revision("b2", "a1", '''
             op.execute("ALTER TABLE players DROP COLUMN score, ADD COLUMN score numeric")
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="the values are copied aside first and written back", fires=False,
         revisions=[SCORES, revision("b2", "a1", '''
             op.add_column("players", sa.Column("score_old", sa.Integer(), nullable=True))
             op.execute("UPDATE players SET score_old = score")
             op.drop_column("players", "score")
             op.add_column("players", sa.Column("score", sa.Numeric(10, 2), nullable=True))
             op.execute("UPDATE players SET score = score_old")
             op.drop_column("players", "score_old")
         ''')]),
    dict(name="the new column is filled after it is added", fires=False,
         revisions=[SCORES, revision("b2", "a1", '''
             op.drop_column("players", "rank")
             op.add_column("players", sa.Column("rank", sa.String(10), nullable=True))
             op.execute("UPDATE players SET rank = 'bronze' WHERE rank IS NULL")
         ''')]),
    dict(name="the author says the values are reset on purpose", fires=False,
         revisions=[SCORES, revision("b2", "a1", '''
             # reset: scores of the old season are meaningless under the new scale
             op.drop_column("players", "score")
             op.add_column("players", sa.Column("score", sa.Numeric(10, 2), nullable=True))
         ''')]),
    dict(name="a table created just now", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer()), sa.Column("n", sa.Integer()))
             op.drop_column("teams", "n")
             op.add_column("teams", sa.Column("n", sa.Text()))
         ''')]),
    dict(name="a different column added", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.add_column("users", sa.Column("mobile", sa.String(20)))
         ''')]),
]
