from . import USERS, revision

CASES = [
    dict(name="narrowing a string", fires=True, names=["users", "name", "sa.String(50)"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sa.String(50), existing_type=sa.String(100))
         ''')]),
    dict(name="integer to bigint rewrites on PostgreSQL", fires=True, names=["users", "id"],
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "id", type_=sa.BigInteger())
         ''')]),
    dict(name="SQL type change", fires=True, names=["users", "phone"],
         revisions=[USERS, revision("b2", "a1", '''
             op.execute("ALTER TABLE users ALTER COLUMN phone TYPE varchar(10)")
         ''')]),
    dict(name="widening a varchar on PostgreSQL is free (old type from history)", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sa.String(200))
         ''')]),
    dict(name="varchar to text on PostgreSQL", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.alter_column("users", "name", type_=sa.Text(), existing_type=sa.String(100))
         ''')]),
]
