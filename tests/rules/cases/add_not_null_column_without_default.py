from . import USERS, revision

QUIET = ["set-not-null", "unbatched-data-migration", "volatile-server-default",
         "add-check-constraint-validating"]


def dated(text: str, date: str) -> str:
    """The revision with Alembic's ``Create Date:`` line."""
    return text.replace("\nRevises:", f"\nCreate Date: {date} 10:00:00\nRevises:", 1)


ORGS = revision("a0", None, '''
    op.create_table("orgs", sa.Column("id", sa.Integer(), primary_key=True))
''', 'op.drop_table("orgs")')

CASES = [
    dict(name="not null column without server default on an existing table", fires=True,
         names=["users", "phone_verified", "sa.Boolean()", "server_default=sa.false()"],
         fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("phone_verified", sa.Boolean(), nullable=False))
         ''')]),
    dict(name="batch mode on SQLite fails the same way", fires=True, dialect="sqlite",
         server_version=(3, 45), names=["users", "age", "batch_op.add_column"],
         fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.add_column(sa.Column("age", sa.Integer(), nullable=False))
         ''')]),
    dict(name="a python-side default does not help", fires=True, dialect=None,
         names=["users", "karma"], fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("karma", sa.Integer(), default=0, nullable=False))
         ''')]),
    dict(name="SQL ADD COLUMN ... NOT NULL without DEFAULT", fires=True,
         names=["users", "ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT"],
         fix_quiet=QUIET,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN tier text NOT NULL")
         ''')]),
    dict(name="a table created three months before", fires=True, names=["users", "locale"],
         fix_quiet=QUIET,
         revisions=[dated(USERS, "2024-01-02"), dated(revision("b2", "a1", '''
             op.add_column("users", sa.Column("locale", sa.String(8), nullable=False))
         '''), "2024-04-10")]),
    dict(name="a foreign key: no constant suits, nullable now, CHECK NOT VALID later",
         fires=True, names=["users", "org_id", "nullable=True", "NOT VALID"],
         fix_quiet=QUIET,
         revisions=[ORGS, revision("a1", "a0", USERS.split("def upgrade():")[1].split(
             "def downgrade():")[0].replace("\n    ", "\n")), revision("b2", "a1", '''
             op.add_column("users", sa.Column("org_id", sa.Integer(),
                                              sa.ForeignKey("orgs.id"), nullable=False))
         ''')]),
    dict(name="a UUID column in a schema, on a reserved table name", fires=True,
         names=['"group"', "token", "schema=\"public\""], fix_quiet=QUIET,
         revisions=[revision("a1", None, '''
             op.create_table("group", sa.Column("id", sa.Integer(), primary_key=True),
                             schema="public")
         ''', 'op.drop_table("group", schema="public")'), revision("b2", "a1", '''
             op.add_column("group", sa.Column("token", sa.Uuid(), nullable=False),
                           schema="public")
         ''')]),
    dict(name="a column re-added NOT NULL by downgrade()", fires=True,
         names=["users", "phone", "server_default"],
         revisions=[revision("a1", None, '''
             op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("phone", sa.String(20), nullable=False))
         ''', 'op.drop_table("users")'), revision("b2", "a1", '''
             op.drop_column("users", "phone")
         ''', '''
             op.add_column("users", sa.Column("phone", sa.String(20), nullable=False))
         ''')]),
    dict(name="on MySQL it does not fail, but the implicit values are a warning", fires=True,
         dialect="mysql", server_version=(8, 0), names=["users", "score"],
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("score", sa.Integer(), nullable=False))
         ''')]),
    dict(name="a table created seven weeks before: a warning", fires=True,
         names=["users", "locale"], fix_quiet=QUIET,
         revisions=[dated(USERS, "2024-01-02"), dated(revision("b2", "a1", '''
             op.add_column("users", sa.Column("locale", sa.String(8), nullable=False))
         '''), "2024-02-20")]),
    # -- not reported -------------------------------------------------------------------
    dict(name="SQL ADD COLUMN ... NOT NULL DEFAULT", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'free'")
         ''')]),
    dict(name="with a server default", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("karma", sa.Integer(), nullable=False,
                                              server_default="0"))
         ''')]),
    dict(name="table created in the same revision", fires=False,
         revisions=[revision("b2", None, '''
             op.create_table("teams", sa.Column("id", sa.Integer(), primary_key=True))
             op.add_column("teams", sa.Column("slug", sa.String(50), nullable=False))
         ''')]),
    dict(name="a table created ten days before, in the same release", fires=False,
         revisions=[dated(USERS, "2024-03-01"), dated(revision("b2", "a1", '''
             op.add_column("users", sa.Column("locale", sa.String(8), nullable=False))
         '''), "2024-03-11")]),
    dict(name="the table is emptied just before", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("DELETE FROM users")
             op.add_column("users", sa.Column("locale", sa.String(8), nullable=False))
         ''')]),
    dict(name="the author says the table has no rows yet", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             # We don't have any records in the users table yet (feature not released)
             op.add_column("users", sa.Column("locale", sa.String(8), nullable=False))
         ''').replace("We don't have any records", "There are no records")]),
    dict(name="an integer primary key: SERIAL fills the rows", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("links", sa.Column("a", sa.Integer()), sa.Column("b", sa.Integer()))
         ''', 'op.drop_table("links")'), revision("b2", "a1", '''
             op.add_column("links", sa.Column("id", sa.Integer(), primary_key=True,
                                              autoincrement=True))
         ''')]),
    dict(name="an identity column", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("seq", sa.BigInteger(), sa.Identity(),
                                              nullable=False))
         ''')]),
    dict(name="safe pattern: nullable add, backfill, then NOT NULL later", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("country", sa.String(2), nullable=True))
             op.execute("UPDATE users SET country = 'NL' WHERE country IS NULL")
         '''), revision("c3", "b2", '''
             op.alter_column("users", "country", existing_type=sa.String(2), nullable=False)
         ''')]),
    dict(name="nullable column", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("bio", sa.Text()))
         ''')]),
]

NO_KEY = revision("a1", None, '''
    op.create_table("announcements", sa.Column("hash", sa.String(32)),
                    sa.Column("text", sa.Text()))
''', 'op.drop_table("announcements")')
SQLITE = dict(dialect="sqlite", server_version=(3, 45))
PORTS = revision("a1", None, '''
    op.create_table("ports", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("socket", sa.String(64), nullable=False))
''', 'op.drop_table("ports")')
MYSQL = dict(dialect="mysql", server_version=(8, 0))

CASES += [
    # -- SQLite: an Integer primary key added by a batch that re-creates the table ---------
    dict(name="SQLite: a batch with nothing else adds the key with ALTER TABLE, which fails: "
              "the fix re-creates the table", fires=True, **SQLITE,
         names=["announcements", 'recreate="always"', "rowid"],
         revisions=[NO_KEY, revision("b2", "a1", '''
             with op.batch_alter_table("announcements") as batch_op:
                 batch_op.add_column(sa.Column("id", sa.Integer, primary_key=True))
         ''')]),
    dict(name="SQLite: recreate='always' makes the key the rowid, filled by the copy",
         fires=False, **SQLITE,
         revisions=[NO_KEY, revision("b2", "a1", '''
             with op.batch_alter_table("announcements", recreate="always") as batch_op:
                 batch_op.add_column(sa.Column("id", sa.Integer, primary_key=True))
         ''')]),
    dict(name="SQLite: recreate decided per database by a module name", fires=False, **SQLITE,
         revisions=[NO_KEY, revision("b2", "a1", '''
             with op.batch_alter_table("announcements", recreate=should_recreate) as batch_op:
                 batch_op.add_column(sa.Column("id", sa.Integer, primary_key=True))
         ''', header='''
             from alembic import context
             should_recreate = "always" if context.get_context().dialect.name == "sqlite" else "auto"
         ''')]),
    dict(name="SQLite: another operation of the block re-creates the table", fires=False,
         **SQLITE,
         revisions=[NO_KEY, revision("b2", "a1", '''
             with op.batch_alter_table("announcements") as batch_op:
                 batch_op.alter_column("text", existing_type=sa.Text(), nullable=True)
                 batch_op.add_column(sa.Column("id", sa.Integer, primary_key=True))
         ''')]),
    # -- MySQL: the implicit value overwritten at once, or the intended one ---------------
    dict(name="MySQL: filled with a WHERE that leaves rows at the implicit 0", fires=True,
         **MYSQL, names=["ports", "port_start"],
         revisions=[PORTS, revision("b2", "a1", '''
             op.add_column("ports", sa.Column("port_start", sa.Integer(), nullable=False))
             op.execute("UPDATE ports SET port_start = 80 WHERE socket LIKE '%:80'")
         ''')]),
    dict(name="MySQL: every row filled right after (UPDATE without WHERE)", fires=False,
         **MYSQL,
         revisions=[PORTS, revision("b2", "a1", '''
             op.add_column("ports", sa.Column("port_start", sa.Integer(), nullable=False))
             op.execute("UPDATE ports SET port_start = CAST(SUBSTRING_INDEX(socket, ':', -1) "
                        "AS UNSIGNED)")
         ''')]),
    dict(name="MySQL: every row filled right after, row by row through an ORM Session",
         fires=False, **MYSQL,
         revisions=[PORTS, revision("b2", "a1", '''
             op.add_column("ports", sa.Column("port_start", sa.Integer(), nullable=False))
             migrate_values()
         ''', header='''
             ports_table = sa.Table("ports", sa.MetaData(), sa.Column("id", sa.Integer()),
                                    sa.Column("socket", sa.String(64)),
                                    sa.Column("port_start", sa.Integer()))


             def migrate_values():
                 session = sa.orm.Session(bind=op.get_bind())
                 for row in session.query(ports_table).all():
                     port = int(row.socket.split(":")[1])
                     session.execute(ports_table.update().values(port_start=port)
                                     .where(ports_table.c.id == row.id))
                 session.commit()
         ''')]),
    dict(name="MySQL: the implicit 0 is the column's own default (default=False)",
         fires=False, **MYSQL,
         revisions=[PORTS, revision("b2", "a1", '''
             op.add_column("ports", sa.Column("busy", sa.Boolean(), nullable=False,
                                              default=False))
         ''')]),
]

CASES += [
    dict(name="MySQL: filled row by row through a table object named by a constant",
         fires=False, **MYSQL,
         revisions=[PORTS, revision("b2", "a1", '''
             op.add_column(PORTS_TABLE, sa.Column("port_end", sa.Integer(), nullable=False))
             session = sa.orm.Session(bind=op.get_bind())
             for row in session.query(ports_table).all():
                 session.execute(ports_table.update().values(port_end=1)
                                 .where(ports_table.c.id == row.id))
         ''', header='''
             PORTS_TABLE = "ports"
             ports_table = sa.Table(PORTS_TABLE, sa.MetaData(), sa.Column("id", sa.Integer()),
                                    sa.Column("port_end", sa.Integer()))
         ''')]),
]
