"""missing-lock-timeout's env.py fix, pasted into a generic env.py and run by Alembic on a real
PostgreSQL: the upgrade applies its revision (table and version row are there) with the
lock_timeout in force, with one transaction for the run and with transaction_per_migration.

The control shows what the fix guards against: under SQLAlchemy 2 a bare SET right after
connecting begins a transaction, Alembic takes it for one its caller manages, and the upgrade
reports success while the database is left as it was."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from migrate_doctor.rules.missing_lock_timeout import ENV_FIX

ENV_PY = '''\
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config


def run_migrations_online():
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
{snippet}
            context.configure(connection=connection, target_metadata=None{options})
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations_online()
'''

REVISION = '''\
"""probe

Revision ID: p1
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "p1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("probe", sa.Column("setting", sa.Text()))
    op.execute("INSERT INTO probe SELECT current_setting('lock_timeout')")


def downgrade():
    op.drop_table("probe")
'''


def fix_lines() -> list[str]:
    """The code lines of the env.py fix, as the finding gives them (``#     `` comments)."""
    lines = [line[len("#     "):] for line in ENV_FIX.splitlines() if line.startswith("#     ")]
    assert lines and "lock_timeout" in lines[0], ENV_FIX
    return lines


def _upgrade(tmp_path: Path, postgres: Any, snippet: list[str], options: str = "") -> list[Any]:
    """alembic upgrade head through the env.py with ``snippet`` after the connect; the
    probe table's rows ([] when the table is not there) and the version rows."""
    from alembic import command
    from alembic.config import Config

    database = postgres.create_database()
    url = postgres.url(database)
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "p1_probe.py").write_text(REVISION, encoding="utf-8")
    (tmp_path / "env.py").write_text(ENV_PY.format(
        snippet=textwrap.indent("\n".join(snippet), " " * 12), options=options), encoding="utf-8")
    (tmp_path / "alembic.ini").write_text(
        f"[alembic]\nscript_location = {tmp_path}\npath_separator = os\n"
        f"sqlalchemy.url = {url.replace('%', '%%')}\n", encoding="utf-8")
    command.upgrade(Config(str(tmp_path / "alembic.ini")), "head")
    rows = postgres.admin("SELECT to_regclass('probe') IS NOT NULL", database=database)
    probe = postgres.admin("SELECT setting FROM probe", database=database) if rows[0][0] else []
    versions = postgres.admin("SELECT to_regclass('alembic_version') IS NOT NULL",
                              database=database)
    version_rows = postgres.admin("SELECT version_num FROM alembic_version",
                                  database=database) if versions[0][0] else []
    return [probe, version_rows]


@pytest.mark.parametrize("options", ["", ", transaction_per_migration=True"],
                         ids=["one-transaction", "transaction-per-migration"])
def test_the_env_fix_applies_the_upgrade_with_the_timeout(tmp_path: Path, postgres: Any,
                                                          options: str) -> None:
    probe, versions = _upgrade(tmp_path, postgres, fix_lines(), options)
    assert probe == [("5s",)], "the upgrade did not run with the lock_timeout"
    assert versions == [("p1",)]


def test_control_a_bare_set_under_sqlalchemy_2_applies_nothing(tmp_path: Path,
                                                               postgres: Any) -> None:
    import sqlalchemy

    if int(sqlalchemy.__version__.split(".")[0]) < 2:
        pytest.skip("SQLAlchemy 1.4's legacy connection begins no transaction for the SET")
    probe, versions = _upgrade(tmp_path, postgres,
                               ["connection.exec_driver_sql(\"SET lock_timeout = '5s'\")"])
    assert (probe, versions) == ([], []), "the unguarded SET no longer loses the upgrade"
