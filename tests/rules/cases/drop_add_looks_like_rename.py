from . import USERS, revision

ORGS = revision("a0", None, '''
    op.create_table("orgs", sa.Column("id", sa.Integer(), primary_key=True))
''', 'op.drop_table("orgs")')

CASES = [
    dict(name="autogenerate's rename: drop name, add full_name (type from history)", fires=True,
         names=["users", "name", "full_name", "BETWEEN :lo AND :hi",
                'op.drop_column("users", "name")'],
         fix_quiet=["unbatched-data-migration", "rename-column"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
             op.drop_column("users", "name")
         ''', '''
             op.add_column("users", sa.Column("name", sa.VARCHAR(100), nullable=True))
             op.drop_column("users", "full_name")
         ''')]),
    dict(name="type of the dropped column from downgrade()", fires=True,
         names=["orders", "total", "total_amount"],
         revisions=[revision("a1", None, '''
             op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("total", sa.Numeric(10, 2)))
         ''', 'op.drop_table("orders")'), revision("b2", "a1", '''
             op.drop_column("orders", "total")
             op.add_column("orders", sa.Column("total_amount", sa.Numeric(10, 2)))
         ''', '''
             op.drop_column("orders", "total_amount")
             op.add_column("orders", sa.Column("total", sa.NUMERIC(10, 2)))
         ''')]),
    dict(name="one drop, two adds: paired with the similar one only", fires=True,
         names=["users", "phone", "phone_number"],
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.add_column("users", sa.Column("phone_number", sa.String(20)))
             op.add_column("users", sa.Column("nickname", sa.String(20)))
         ''')]),
    # -- not reported -------------------------------------------------------------------
    dict(name="different kinds of columns", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "name")
             op.add_column("users", sa.Column("name_changed_at", sa.DateTime()))
         ''')]),
    dict(name="different tables", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "name")
             op.add_column("teams", sa.Column("name", sa.String(100)))
         ''')]),
    dict(name="names that share nothing are not paired", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.add_column("users", sa.Column("bio", sa.String(20)))
         ''')]),
    dict(name="the values are copied before the drop", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
             op.execute("UPDATE users SET full_name = name")
             op.drop_column("users", "name")
         ''')]),
    dict(name="copied by a SQLAlchemy expression", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
             users = sa.table("users", sa.column("name"), sa.column("full_name"))
             op.execute(users.update().values(full_name=users.c.name))
             op.drop_column("users", "name")
         ''')]),
    dict(name="converted row by row in a loop", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("phone_hash", sa.String(64), nullable=True))
             conn = op.get_bind()
             for row in conn.execute(sa.text("SELECT id, phone FROM users")):
                 conn.execute(sa.text("UPDATE users SET phone_hash = md5(:p) WHERE id = :i"),
                              {"p": row.phone, "i": row.id})
             op.drop_column("users", "phone")
         ''')]),
    dict(name="the new column is filled by a default", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "phone")
             op.add_column("users", sa.Column("phone_status", sa.String(10),
                                              server_default="unknown", nullable=False))
         ''')]),
    dict(name="the new column refers to a table created here", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.create_table("orgs", sa.Column("id", sa.Integer(), primary_key=True))
             op.drop_column("users", "name")
             op.add_column("users", sa.Column("org_name_id", sa.Integer(),
                                              sa.ForeignKey("orgs.id")))
         ''')]),
    dict(name="a temporary column swapped into the old name", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("name_new", sa.Text(), nullable=True))
             op.drop_column("users", "name")
             op.alter_column("users", "name_new", new_column_name="name")
         ''')]),
    dict(name="the same name is drop-and-re-add-column's", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.drop_column("users", "name")
             op.add_column("users", sa.Column("name", sa.Text()))
         ''')]),
]
