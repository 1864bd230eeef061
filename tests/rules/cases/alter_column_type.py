from . import USERS, revision

AMOUNTS = revision("a1", None, '''
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("amount", sa.Numeric(8, 2), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        schema="billing",
    )
''', 'op.drop_table("payments", schema="billing")', header="")
BILLING = revision("a0", None, 'op.execute("CREATE SCHEMA billing")', 'op.execute("DROP SCHEMA billing")')
AMOUNTS_IN_SCHEMA = AMOUNTS.replace("down_revision = None", "down_revision = 'a0'")
MYSQL = dict(dialect="mysql", server_version=(8, 0, 36))

CASES = [
    dict(name="narrowing a string", fires=True, names=["users", "name", "sa.String(50)"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sa.String(50), existing_type=sa.String(100))
         ''')]),
    dict(name="integer to bigint rewrites on PostgreSQL", fires=True,
         names=["users", "phone", "bigint"],
         revisions=[USERS.replace('sa.Column("phone", sa.String(20)',
                                  'sa.Column("phone", sa.Integer()'),
                    revision("b2", "a1", '''
             op.alter_column("users", "phone", type_=sa.BigInteger())
         ''')]),
    dict(name="SQL type change", fires=True, names=["users", "phone", "varchar(10)"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ALTER COLUMN phone TYPE varchar(10)")
         ''')]),
    dict(name="SQL type change in a schema: the fix keeps the schema", fires=True,
         names=["billing.payments", "amount_new", "integer"],
         revisions=[BILLING, AMOUNTS_IN_SCHEMA, revision("b2", "a1", '''
             op.execute("ALTER TABLE billing.payments ALTER COLUMN amount TYPE integer")
         ''')]),
    dict(name="text to jsonb with postgresql_using, in a schema", fires=True,
         names=['schema="billing"', "note::jsonb"],
         revisions=[BILLING, AMOUNTS_IN_SCHEMA, revision("b2", "a1", '''
             op.alter_column("payments", "note", type_=postgresql.JSONB(), schema="billing",
                             existing_type=sa.Text(), postgresql_using="note::jsonb")
         ''', header="from sqlalchemy.dialects import postgresql")]),
    dict(name="a reserved word as the table name", fires=True, names=['"user"', "age_new"],
         revisions=[revision("a1", None, '''
             op.create_table("user", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("age", sa.Integer()))
         '''), revision("b2", "a1", '''
             op.alter_column("user", "age", type_=sa.Numeric(10, 2), existing_type=sa.Integer())
         ''')]),
    dict(name="batch mode: the new column is added in the batch, copied after it", fires=True,
         names=['batch_op.add_column(sa.Column("phone_new", sa.BigInteger()'],
         revisions=[USERS.replace('sa.Column("phone", sa.String(20)',
                                  'sa.Column("phone", sa.Integer()'), revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("phone", type_=sa.BigInteger(), existing_type=sa.Integer())
                 batch_op.alter_column("name", nullable=True)
         ''')]),
    dict(name="the old type read from downgrade() when the history has none", fires=True,
         names=["settings", "value_new"],
         revisions=[revision("b2", None, '''
             op.execute("ALTER TABLE settings ALTER COLUMN value TYPE integer USING value::integer")
         ''', '''
             op.execute("ALTER TABLE settings ALTER COLUMN value TYPE varchar(20)")
         ''')], roundtrip="the table comes from outside the history"),
    dict(name="widening a varchar on PostgreSQL is free (old type from history)", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sa.String(200))
         ''')]),
    dict(name="varchar to text on PostgreSQL", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sa.Text(), existing_type=sa.String(100))
         ''')]),
    dict(name="TEXT to unbounded String on PostgreSQL: the same storage", fires=False,
         revisions=[AMOUNTS, revision("b2", "a1", '''
             op.alter_column("payments", "note", type_=sa.String(), existing_type=sa.TEXT(),
                             schema="billing")
         ''')]),
    dict(name="numeric with more digits at the same scale is free", fires=False,
         revisions=[AMOUNTS, revision("b2", "a1", '''
             op.alter_column("payments", "amount", type_=sa.Numeric(precision=11, scale=2),
                             existing_type=sa.NUMERIC(precision=8, scale=2), schema="billing")
         ''')]),
    dict(name="numeric widened in SQL, old type read from downgrade()", fires=False,
         revisions=[revision("b2", None, '''
             op.execute("ALTER TABLE forms ALTER COLUMN price SET DATA TYPE numeric(11,2)")
         ''', '''
             op.execute("ALTER TABLE forms ALTER COLUMN price SET DATA TYPE numeric(8,2)")
         ''')]),
    dict(name="a project TypeDecorator of unknown storage", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=myapp.types.Slug(),
                             existing_type=sa.String(100))
         ''', header="import myapp.types")]),
    dict(name="reflected old type, new type text: PostgreSQL widening", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             table = sa.Table("users", sa.MetaData(), autoload_with=op.get_bind())
             op.alter_column("users", "name", type_=sa.Text(),
                             existing_type=table.c.name.type)
         ''')]),
    dict(MYSQL, name="MySQL VARCHAR widening within 255 bytes is in place", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "phone", type_=sa.String(40), existing_type=sa.String(20))
         ''')]),
    dict(MYSQL, name="MySQL VARCHAR widening across 255 bytes copies the table", fires=True,
         names=["users", "name_new"], roundtrip="MySQL",
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sa.String(100), existing_type=sa.String(30))
         ''')]),
    dict(MYSQL, name="MySQL: a utf8 table widens 36 -> 64 characters in place", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("cache", sa.Column("user_id", sa.String(36)),
                             mysql_charset="utf8")
         '''), revision("b2", "a1", '''
             op.alter_column("cache", "user_id", type_=sa.String(64), existing_type=sa.String(36))
         ''')]),
    dict(name="with_variant: the PostgreSQL type is the one that counts", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", existing_type=sa.String(100),
                             type_=sa.Integer().with_variant(sa.Text(), "postgresql"))
         ''')]),
    dict(name="SQLite: a length change keeps the text affinity", fires=False,
         dialect="sqlite",
         revisions=[USERS, revision("b2", "a1", '''
             with op.batch_alter_table("users") as batch_op:
                 batch_op.alter_column("name", type_=sa.String(50), existing_type=sa.String(100))
         ''')]),
]

TEAMS = revision("a1", None, '''
    op.create_table("teams", sa.Column("code", sa.String(20), primary_key=True),
                    sa.Column("name", sa.Text()))
    op.create_table("members", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("team_code", sa.String(20), sa.ForeignKey("teams.code")))
''', 'op.drop_table("members")\nop.drop_table("teams")')

CASES += [
    dict(name="a primary key: no copy column (the key and its foreign keys would have to be "
              "rebuilt); changed in place on purpose, and the way for a big table said",
         fires=True, names=["is the primary key", "ignore[alter-column-type]",
                            'op.alter_column("users", "id"', "USING INDEX"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
         ''')]),
    dict(name="a column other tables' foreign keys point at (declared by sa.ForeignKey)",
         fires=True, names=["referenced by foreign keys from members", "ignore[alter-column-type]"],
         revisions=[TEAMS, revision("b2", "a1", '''
             op.alter_column("teams", "code", type_=sa.String(10), existing_type=sa.String(20))
         ''')]),
    dict(name="a column that becomes a foreign key target later in the same upgrade()",
         fires=True, names=["referenced by foreign keys from members"],
         revisions=[TEAMS, revision("b2", "a1", '''
             op.alter_column("teams", "name", type_=sa.String(50), existing_type=sa.Text())
             op.create_unique_constraint("uq_teams_name", "teams", ["name"])
             op.add_column("members", sa.Column("team_name", sa.String(50)))
             op.create_foreign_key("fk_members_team_name", "members", "teams", ["team_name"],
                                   ["name"])
         ''')]),
    dict(name="the revision imports sqlalchemy as sqla: the fix writes sqla.", fires=True,
         names=['sqla.Column("name_new"', "sqla.text("],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sqla.String(50),
                             existing_type=sqla.String(100))
         ''').replace("import sqlalchemy as sa\n", "import sqlalchemy as sqla\n")]),
    dict(name="the revision imports no sqlalchemy module: the fix imports it", fires=True,
         names=["import sqlalchemy as sa", 'sa.Column("name_new", String(50)'],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=String(50), existing_type=String(100))
         ''').replace("import sqlalchemy as sa\n", "from sqlalchemy import String\n")]),
    dict(name="a primary key's varchar widened: the catalog only", fires=False,
         revisions=[TEAMS, revision("b2", "a1", '''
             op.alter_column("teams", "code", type_=sa.String(40), existing_type=sa.String(20))
         ''')]),
]

CASES += [
    dict(name="a column altered to its own enum under the name ALTER TYPE ... RENAME TO gave "
              "it: the same type", fires=False,
         revisions=[revision("a1", None, '''
             op.create_table("configs", sa.Column("id", sa.Integer(), primary_key=True),
                             sa.Column("kind", sa.Enum("a", "b", name="kind")))
         ''', 'op.drop_table("configs")\nop.execute("DROP TYPE kind")'), revision("b2", "a1", '''
             op.execute("ALTER TYPE kind RENAME TO kind_old")
             op.execute("ALTER TABLE configs ALTER COLUMN kind TYPE kind_old USING kind::text::kind_old")
         ''')]),
]
