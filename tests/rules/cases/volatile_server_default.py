from . import USERS, revision

CASES = [
    dict(name="gen_random_uuid() default on an existing table", fires=True,
         names=["users", "token", "gen_random_uuid()"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("token", sa.Uuid(),
                                              server_default=sa.text("gen_random_uuid()")))
         ''')]),
    dict(name="sa.func.random()", fires=True, dialect="mysql", names=["users", "score"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("score", sa.Float(), server_default=sa.func.random()))
         ''')]),
    dict(name="SQL ADD COLUMN with clock_timestamp()", fires=True, names=["users", "seen_at"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN seen_at timestamptz "
                        "DEFAULT clock_timestamp()")
         ''')]),
    dict(name="now() is stable: no rewrite on PostgreSQL 11+", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("created_at", sa.DateTime(),
                                              server_default=sa.func.now(), nullable=False))
         ''')]),
    dict(name="CURRENT_TIMESTAMP", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("created_at", sa.DateTime(),
                                              server_default=sa.text("CURRENT_TIMESTAMP")))
         ''')]),
    dict(name="volatile default on a new table", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("keys", sa.Column("id", sa.Integer()))
             op.add_column("keys", sa.Column("token", sa.Uuid(),
                                             server_default=sa.text("gen_random_uuid()")))
         ''')]),
]

ASSOC = revision("a1", None, '''
    op.create_table("tags", sa.Column("post_id", sa.Integer(), nullable=False),
                    sa.Column("tag", sa.String(50), nullable=False))
''', 'op.drop_table("tags")')

CASES += [
    dict(name="a NOT NULL uuid key with gen_random_uuid(): NOT NULL restored without a scan",
         fires=True, names=["gen_random_uuid()", "roles_id_not_null", "nullable=False"],
         also_quiet=["set-not-null"],
         revisions=[revision("a1", None, '''
             op.create_table("roles", sa.Column("name", sa.String(50)))
         ''', 'op.drop_table("roles")'), revision("b2", "a1", '''
             op.add_column("roles", sa.Column("id", sa.Uuid(),
                                              server_default=sa.text("gen_random_uuid()"),
                                              nullable=False))
         ''')]),
    dict(name="an integer primary key with autoincrement is SERIAL: a rewrite", fires=True,
         names=["CREATE SEQUENCE tags_id_seq", "nextval('tags_id_seq')"],
         revisions=[ASSOC, revision("b2", "a1", '''
             op.add_column("tags", sa.Column("id", sa.Integer, primary_key=True,
                                             autoincrement=True))
         ''')]),
    dict(name="ADD COLUMN id SERIAL PRIMARY KEY in SQL", fires=True,
         names=["tags_id_seq", "PRIMARY KEY USING INDEX tags_pkey"],
         revisions=[ASSOC, revision("b2", "a1", '''
             op.execute("ALTER TABLE tags ADD COLUMN id SERIAL PRIMARY KEY")
         ''')]),
    dict(name="a multi-line DEFAULT expression stays one valid string", fires=True,
         names=["signing_secret", "gen_random_uuid"],
         revisions=[USERS, revision("b2", "a1", """
             op.add_column("users", sa.Column("signing_secret", sa.String(), nullable=False,
                           server_default=sa.text('''
                               md5(gen_random_uuid()::text)
                           ''')))
         """)]),
    dict(name="SQLite refuses it: batch mode re-creates the table", fires=True,
         dialect="sqlite", server_version=(3, 45),
         names=['recreate="always"', "randomblob"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("salt", sa.String(),
                                              server_default=sa.text("(hex(randomblob(8)))")))
         ''')]),
    dict(name="an integer column that is not a key", fires=False,
         revisions=[ASSOC, revision("b2", "a1", '''
             op.add_column("tags", sa.Column("rank", sa.Integer(), nullable=True))
         ''')]),
]

CASES += [
    dict(name="SQLite batch with recreate='never' cannot add it: recreate the table instead",
         fires=True, dialect="sqlite", server_version=(3, 45), names=['recreate="always"'],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table(
                 "users", recreate="never"
             ) as batch_op:
                 batch_op.add_column(sa.Column("salt", sa.String(),
                                               server_default=sa.text("(hex(randomblob(8)))")))
         ''')]),
]

CASES += [
    dict(name="services stopped: SQLite still refuses it", fires=True, deploy="stopped",
         dialect="sqlite", server_version=(3, 45), names=['recreate="always"', "randomblob"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("salt", sa.String(),
                                              server_default=sa.text("(hex(randomblob(8)))")))
         ''')]),
    dict(name="services stopped: a PostgreSQL rewrite nobody waits for", fires=False,
         deploy="stopped",
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("token", sa.Uuid(),
                                              server_default=sa.text("gen_random_uuid()")))
         ''')]),
]

COLUMN_EXISTS = '''
def column_exists(table, column):
    return column in [c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)]
'''

CASES += [
    dict(name="a key added under a condition inside a batch block: its sequence, default and "
              "key steps run under the same condition", fires=True,
         names=["added_id = False", "added_id = True", "if added_id:", "CREATE SEQUENCE tags_id_seq"],
         revisions=[ASSOC, revision("b2", "a1", '''
             with op.batch_alter_table("tags") as batch_op:
                 if not column_exists("tags", "id"):
                     batch_op.add_column(sa.Column("id", sa.Integer, primary_key=True))
         ''', header=COLUMN_EXISTS)]),
    dict(name="the same guarded batch on a table this revision creates", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("labels", sa.Column("name", sa.String(50)))
             with op.batch_alter_table("labels") as batch_op:
                 if not column_exists("labels", "id"):
                     batch_op.add_column(sa.Column("id", sa.Integer, primary_key=True))
         ''', header=COLUMN_EXISTS)]),
]
