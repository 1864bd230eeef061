"""env.py of the plain Alembic test project: `alembic init`'s template, with the URL
read from DATABASE_URL (falling back to sqlalchemy.url) and the models loaded from
models.py next to alembic.ini."""

import importlib.util
import os
from logging.config import fileConfig
from pathlib import Path

from sqlalchemy import create_engine, pool

from alembic import context

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

PROJECT_DIR = Path(__file__).resolve().parent.parent


def load_models():
    # Loaded by path, so that every copy of the project gets its own models module.
    spec = importlib.util.spec_from_file_location("library_models", PROJECT_DIR / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


target_metadata = load_models().metadata


def database_url():
    return os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or None


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = create_engine(database_url(), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
