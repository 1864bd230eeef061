from . import USERS, revision

CASES = [
    dict(name="from app.models import User (not installed: linted all the same)", fires=True,
         names=["User", "users", "app.models"],
         revisions=[USERS, revision("b2", "a1", '''
             for user in User.query.all():
                 pass
         ''', header="from app.models import User")]),
    dict(name="from myapp import db", fires=True, names=["myapp", "db"],
         revisions=[revision("b2", None, "pass", header="from myapp import db")]),
    dict(name="relative import of models", fires=True, names=["Order"],
         revisions=[revision("b2", None, "pass", header="from ..models import Order")]),
    dict(name="library and standard library imports", fires=False,
         revisions=[revision("b2", None, "pass", header='''
             import json
             from datetime import datetime
             from sqlalchemy.dialects import postgresql
             from sqlalchemy.orm import Session
             import sqlalchemy_utils
         ''')]),
]
