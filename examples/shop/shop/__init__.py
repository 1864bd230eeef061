"""A small shop application used to demonstrate migrate-doctor."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Give every constraint a deterministic name so migrations can refer to it
# (SQLite batch mode needs names to drop or alter constraints).
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The project directory (the parent of this package); a copied project gets its own database.
PROJECT_DIR: Path = Path(__file__).resolve().parent.parent


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def default_database_url() -> str:
    return f"sqlite:///{PROJECT_DIR / 'shop.db'}"


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL") or default_database_url()

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)

    from . import models  # noqa: F401  (register the models on db.metadata)

    return app
