"""A tiny blog: the Flask test project (app factory, Flask-SQLAlchemy, Flask-Migrate)."""

import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


def create_app():
    app = Flask(__name__)
    # Like most deployed apps: the URL comes from the environment, with no default.
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]

    db.init_app(app)
    migrate.init_app(app, db)

    from . import models  # noqa: F401  (register the models on db.metadata)

    return app
