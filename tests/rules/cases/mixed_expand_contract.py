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
