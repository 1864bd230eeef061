from . import revision

VOTES = revision("a1", None, '''
    op.create_table("votes", sa.Column("user_id", sa.Integer(), nullable=False),
                    sa.Column("post_id", sa.Integer(), nullable=True))
''', 'op.drop_table("votes")')

CASES = [
    dict(name="create_primary_key on an existing table", fires=True,
         names=['"votes_pkey"', "postgresql_concurrently=True",
                "PRIMARY KEY USING INDEX votes_pkey", "votes_post_id_not_null"],
         also_quiet=["set-not-null", "create-index-not-concurrently",
                     "concurrently-without-autocommit"],
         revisions=[VOTES, revision("b2", "a1", '''
             op.create_primary_key("votes_pkey", "votes", ["user_id", "post_id"])
         ''')]),
    dict(name="unnamed, in SQL: PostgreSQL's name", fires=True,
         names=["ADD CONSTRAINT votes_pkey PRIMARY KEY USING INDEX votes_pkey"],
         revisions=[VOTES.replace('nullable=True', 'nullable=False'), revision("b2", "a1", '''
             op.execute("ALTER TABLE votes ADD PRIMARY KEY (user_id, post_id)")
         ''')]),
    dict(name="safe pattern: a concurrent unique index, then PRIMARY KEY USING INDEX",
         fires=False,
         revisions=[VOTES.replace('nullable=True', 'nullable=False'), revision("b2", "a1", '''
             with op.get_context().autocommit_block():
                 op.create_index("votes_pkey", "votes", ["user_id", "post_id"], unique=True,
                                 postgresql_concurrently=True)
             op.execute("ALTER TABLE votes ADD CONSTRAINT votes_pkey PRIMARY KEY USING INDEX "
                        "votes_pkey")
         ''')]),
    dict(name="a table created in the same revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("likes", sa.Column("user_id", sa.Integer(), nullable=False))
             op.create_primary_key("likes_pkey", "likes", ["user_id"])
         ''')]),
]
