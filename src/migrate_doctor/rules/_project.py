"""What applies to every revision of a project: read once from env.py (and the project's
own modules env.py or the app pulls the models from), never from a revision.

- SQLite foreign keys: SQLite enforces them only on connections that run
  ``PRAGMA foreign_keys=ON``; env.py may also switch them off around the whole run.
- ``transaction_per_migration=True``: each revision commits on its own (otherwise one
  transaction holds every pending revision, PostgreSQL's default under Alembic).
- ``lock_timeout`` / ``statement_timeout`` set once for every revision.
- a naming convention on the target MetaData: ``op.create_*(None, ...)`` is then named
  by it, and autogenerate writes names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_FK_OFF = re.compile(r"foreign_keys\s*=\s*(?:OFF|0|FALSE|NO)\b", re.IGNORECASE)
_FK_ON = re.compile(r"foreign_keys\s*=\s*(?:ON|1|TRUE|YES)\b", re.IGNORECASE)
_PER_MIGRATION = re.compile(r"transaction_per_migration\s*=\s*True")
_NAMING = re.compile(r"naming_convention\s*=|naming_convention\s*\)|NAMING_CONVENTION")


@dataclass(frozen=True)
class ProjectFacts:
    env_source: str = ""  # env.py's text
    sqlite_fk: str = "default"  # "on", "off" (switched off around the run) or "default" (off)
    transaction_per_migration: bool = False
    lock_timeout: bool = False
    statement_timeout: bool = False
    names_constraints: bool = False

    @classmethod
    def read(cls, env_source: str = "", project_sources: str = "",
             metadata: Any = None) -> ProjectFacts:
        """From env.py's text, the text of the project's modules that set up the database
        (where an app turns SQLite foreign keys on or names its constraints), and the
        target MetaData when it is loaded."""
        text = env_source + "\n" + project_sources
        if _FK_OFF.search(env_source):
            fk = "off"
        elif _FK_ON.search(text):
            fk = "on"
        else:
            fk = "default"
        names = bool(_NAMING.search(text))
        convention = getattr(metadata, "naming_convention", None)
        if isinstance(convention, dict) and set(convention) - {"ix"}:
            names = True
        return cls(env_source=env_source, sqlite_fk=fk,
                   transaction_per_migration=bool(_PER_MIGRATION.search(env_source)),
                   lock_timeout="lock_timeout" in env_source,
                   statement_timeout="statement_timeout" in env_source,
                   names_constraints=names)
