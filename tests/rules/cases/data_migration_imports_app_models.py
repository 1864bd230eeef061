from . import USERS, revision

CASES = [
    dict(name="from app.models import User, queried (not installed: linted all the same)",
         fires=True, names=["User", "users", "app.models", 'sa.column("email"'],
         roundtrip="the queries of User must be rewritten by hand: the fix declares the table",
         revisions=[USERS, revision("b2", "a1", '''
             for user in User.query.all():
                 pass
         ''', header="from app.models import User")]),
    dict(name="the app's db.session runs statements: rewritten onto the migration's connection",
         fires=True, names=["op.execute(", "UPDATE users"],
         fix_quiet=["offline-incompatible"],
         revisions=[USERS, revision("b2", "a1", '''
             from myapp.extensions import db
             db.session.execute(sa.text("UPDATE users SET name = 'x' WHERE name IS NULL"))
             db.session.commit()
         ''')]),
    dict(name="relative import of a model, passed to a session query", fires=True,
         names=["Order"], roundtrip="the module is not installed: the fix is a declaration",
         revisions=[revision("b2", None, '''
             session = sa.orm.Session(bind=op.get_bind())
             for order in session.query(Order):
                 pass
         ''', header="from ..models import Order")]),
    dict(name="the app's metadata walked", fires=True, names=["db"],
         roundtrip="the module is not installed",
         revisions=[revision("b2", None, '''
             for table in db.metadata.sorted_tables:
                 pass
         ''', header="from myapp import db")]),
    # -- not reported -------------------------------------------------------------------
    dict(name="library and standard library imports", fires=False,
         revisions=[revision("b2", None, "pass", header='''
             import json
             from datetime import datetime
             from sqlalchemy.dialects import postgresql
             from sqlalchemy.orm import Session
             import sqlalchemy_utils
         ''')]),
    dict(name="a constant and an enum from a models module", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("role", sa.Enum(*ROLE_TYPES, name="role")))
             op.execute(f"UPDATE users SET name = '{Status.active.value}' WHERE name IS NULL")
         ''', header="from app.models.person import ROLE_TYPES, Status")]),
    dict(name="a column type from the app", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.add_column("users", sa.Column("uid", GUID(), nullable=True))
         ''', header="from app.db.models._utils import GUID")]),
    dict(name="db only for column types in a lightweight table", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             users = sa.table("users", db.Column("id", db.Integer), db.Column("name", db.Text))
             op.execute(users.update().where(users.c.name.is_(None)).values(name=""))
         ''', header="from app.models import db")]),
    dict(name="the app's session only committed", fires=False,
         revisions=[USERS, revision("b2", "a1", "pass", "db.session.commit()",
                                    header="from app.models import db")]),
    dict(name="an import the revision never uses", fires=False,
         revisions=[USERS, revision("b2", "a1", "pass", header="from app import models")]),
    dict(name="a helper that builds SQL", fires=False,
         revisions=[USERS, revision("b2", "a1", '''
             op.execute(build_restart_sequence_sql("users_id_seq"))
         ''', header="from app.models.db import build_restart_sequence_sql")]),
]
