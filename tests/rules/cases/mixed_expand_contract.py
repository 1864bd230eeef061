from . import USERS, revision

QUIET = ["drop-column", "rename-column"]

CASES = [
    dict(name="add a column and drop another", fires=True,
         names=["users", "email_verified", 'op.drop_column("users", "phone")'],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
             op.drop_column("users", "phone")
         ''')]),
    dict(name="create a table and set NOT NULL", fires=True, names=["teams", "users"],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("teams", sa.Column("id", sa.Integer()))
             op.execute("UPDATE users SET name = '' WHERE name IS NULL")
             op.alter_column("users", "name", existing_type=sa.String(100), nullable=False)
         ''')]),
    dict(name="batch blocks keep their table; an index on a renamed column moves with it",
         fires=True, names=['with op.batch_alter_table("users") as batch_op:',
                            'batch_op.alter_column("phone", new_column_name="mobile")',
                            "ix_users_mobile"],
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("bio", sa.Text(), nullable=True))
                 batch_op.alter_column("phone", new_column_name="mobile")
             op.create_index("ix_users_mobile", "users", ["mobile"])
         ''')]),
    dict(name="a multi-line SQL string that starts at the left margin stays valid", fires=True,
         names=["UPDATE users", 'op.drop_column("users", "phone")'],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("verified", sa.Boolean(), nullable=True))
             op.execute("""
             UPDATE users SET verified = false WHERE verified IS NULL
             """.replace("             ", ""))
             op.drop_column("users", "phone")
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="expand only", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
             op.create_index("ix_users_name", "users", ["name"])
         ''')]),
    dict(name="contract only", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.drop_column("users", "name")
         ''')]),
    dict(name="a foreign key replaced to change ON DELETE", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("posts", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("user_id", sa.Integer()))
             op.drop_constraint("posts_user_id_fkey", "posts", type_="foreignkey")
             op.create_foreign_key("posts_user_id_fkey", "posts", "users", ["user_id"], ["id"],
                                   ondelete="CASCADE")
         ''')]),
    dict(name="an index dropped while a column is added", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("nick", sa.String(20)))
             op.drop_index("ix_users_email", table_name="users")
         ''')]),
    dict(name="a rebuild under the same name", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.rename_table("users", "users_tmp")
             op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("email", sa.String(255), nullable=False))
             op.execute("INSERT INTO users (id, email) SELECT id, email FROM users_tmp")
             op.drop_table("users_tmp")
         ''')]),
    dict(name="a table created here and then altered", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer()), sa.Column("n", sa.Text()))
             op.alter_column("teams", "n", existing_type=sa.Text(), nullable=False)
         ''')]),
    dict(name="a trigger dropped and created again, seed rows inserted", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DROP TRIGGER IF EXISTS users_touch ON users")
             op.execute("CREATE TRIGGER users_touch BEFORE UPDATE ON users "
                        "FOR EACH ROW EXECUTE FUNCTION touch()")
         ''')]),
    dict(name="integer to float, the old type read from the history", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("recipes", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("rating", sa.Integer()))
         ''', 'op.drop_table("recipes")'), revision("b2", "a1", '''
             op.add_column("recipes", sa.Column("notes", sa.Text()))
             op.alter_column("recipes", "rating", type_=sa.Float())
         ''')]),
    dict(name="NOT NULL on a column added here, and a widening", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("tier", sa.String(10), server_default="free"))
             op.alter_column("users", "tier", nullable=False)
             op.alter_column("users", "name", existing_type=sa.String(100), type_=sa.Text())
         ''')]),
]

MOODS = revision("a1", None, '''
    op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh')")
    op.create_table("people", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("mood", postgresql.ENUM(name="mood", create_type=False)))
''', 'op.drop_table("people")\nop.execute("DROP TYPE mood")',
    header="from sqlalchemy.dialects import postgresql")

CASES += [
    dict(name="PostgreSQL's recipe for a new enum value (rename aside, create, alter, drop) "
              "beside a new column: the type keeps its name and gains values", fires=False,
         revisions=[MOODS, revision("b2", "a1", '''
             op.execute("ALTER TYPE mood RENAME TO mood_old")
             op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh', 'calm')")
             op.execute("ALTER TABLE people ALTER COLUMN mood TYPE mood USING mood::text::mood")
             op.execute("DROP TYPE mood_old")
             op.add_column("people", sa.Column("nickname", sa.Text(), nullable=True))
         ''')]),
    dict(name="the same recipe taking a value away is a contract step: its split keeps the "
              "new type in the first revision and moves the column change with the drop of "
              "the old type", fires=True,
         names=["the old release is gone:\nop.execute(\"ALTER TABLE people ALTER COLUMN mood",
                'op.execute("DROP TYPE mood_old")', 'op.execute("CREATE TYPE mood AS ENUM'],
         fix_quiet=QUIET,
         revisions=[MOODS, revision("b2", "a1", '''
             op.execute("UPDATE people SET mood = 'sad' WHERE mood = 'meh'")
             op.execute("ALTER TYPE mood RENAME TO mood_old")
             op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
             op.execute("ALTER TABLE people ALTER COLUMN mood TYPE mood USING mood::text::mood")
             op.execute("DROP TYPE mood_old")
             op.add_column("people", sa.Column("nickname", sa.Text(), nullable=True))
         ''')]),
    dict(name="a key's type changed with its sequence and constraint dropped first and the key "
              "made again after: they all move together", fires=True,
         names=['the old release is gone:\nop.execute("DROP SEQUENCE users_id_seq CASCADE")',
                'op.create_primary_key("users_pkey", "users", ["id"])'],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
             op.execute("DROP SEQUENCE users_id_seq CASCADE")
             op.execute("ALTER TABLE users DROP CONSTRAINT users_pkey CASCADE")
             op.alter_column("users", "id", existing_type=sa.Integer(), type_=sa.String(255),
                             nullable=False)
             op.create_primary_key("users_pkey", "users", ["id"])
         ''')]),
    dict(name="an enum column turned into unbounded text (every value fits) and its type "
              "dropped, beside a new column", fires=False,
         revisions=[MOODS, revision("b2", "a1", '''
             op.alter_column("people", "mood", existing_type=sa.Enum(name="mood"),
                             type_=sa.String())
             op.execute("DROP TYPE mood")
             op.add_column("people", sa.Column("mood_note", sa.String(), nullable=True))
         ''')]),
]

CASES += [
    dict(name="the values before the swap are read from the revision's own downgrade() (a "
              "sibling branch added one earlier in upgrade order): nothing is taken away",
         fires=False,
         revisions=[MOODS, revision("b2", "a1", '''
             op.execute("ALTER TYPE mood RENAME TO mood_old")
             op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh', 'calm')")
             op.execute("ALTER TABLE people ALTER COLUMN mood TYPE mood USING mood::text::mood")
             op.execute("DROP TYPE mood_old")
         '''), revision("c3", "a1", '''
             op.execute("ALTER TYPE mood RENAME TO mood_old")
             op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh', 'tired')")
             op.execute("ALTER TABLE people ALTER COLUMN mood TYPE mood USING mood::text::mood")
             op.execute("DROP TYPE mood_old")
             op.add_column("people", sa.Column("nickname", sa.Text(), nullable=True))
         ''', '''
             op.drop_column("people", "nickname")
             op.execute("ALTER TYPE mood RENAME TO mood_old")
             op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh')")
             op.execute("ALTER TABLE people ALTER COLUMN mood TYPE mood USING mood::text::mood")
             op.execute("DROP TYPE mood_old")
         ''')]),
]

CASES += [
    dict(name="the primary key dropped in SQL and made again under another name: the drop "
              "moves with the key column's type change", fires=True,
         names=['the old release is gone:\nop.execute("ALTER TABLE users DROP CONSTRAINT users_pkey")',
                'op.create_primary_key("pk_users", "users", ["id"])'],
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
             op.execute("ALTER TABLE users DROP CONSTRAINT users_pkey")
             op.alter_column("users", "id", existing_type=sa.Integer(), type_=sa.String(255))
             op.create_primary_key("pk_users", "users", ["id"])
         ''')]),
]
