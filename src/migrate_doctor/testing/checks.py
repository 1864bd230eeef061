"""The built-in checks of `test`, each a finding id. Their docstrings are their docs.

The ids are public API (see DESIGN.md, "Findings"): documented here, never renamed.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..model import Severity


@dataclass(frozen=True)
class TestCheck:
    id: str
    severity: Severity
    title: str
    doc: str
    per_revision: bool = True

    __test__ = False  # not a pytest test class, whatever module imports it

    def section(self, name: str) -> str:
        out: list[str] = []
        inside = False
        for line in self.doc.splitlines():
            stripped = line.strip()
            if stripped.endswith(":") and stripped[:-1].lower() in (
                    "what it finds", "why it matters", "example", "fix"):
                inside = stripped[:-1].lower() == name.lower()
                continue
            if inside:
                out.append(line)
        return textwrap.dedent("\n".join(out)).strip()


def _check(id: str, severity: Severity, title: str, doc: str, per_revision: bool = True) -> TestCheck:
    return TestCheck(id, severity, title, textwrap.dedent(doc).strip(), per_revision)


UPGRADE_FAILS = _check("upgrade-fails", Severity.ERROR, "A revision's upgrade fails", """
    What it finds:
        Upgrading from base to head one revision at a time, in a scratch database of the
        project's dialect, a revision's upgrade() raises even on empty tables.

    Why it matters:
        `flask db upgrade` on a fresh database (CI, a new developer, a new environment)
        stops at that revision; every revision above it is never run.

    Fix:
        The message names the statement and the database's error; fix the revision, then
        `migrate-doctor test --since <the revision below it>`.
    """)

FAILS_WITH_ROWS = _check("fails-with-rows", Severity.ERROR,
                         "A revision fails on tables that hold rows", """
    What it finds:
        A revision whose upgrade() works on empty tables but fails when every table holds
        a few generated rows (respecting types, NOT NULL, uniques, foreign keys and simple
        CHECKs): a NOT NULL column without a default, a cast the values refuse, a unique
        index over duplicates.

    Why it matters:
        Tested on an empty database it passes; in production, where the tables have rows,
        the deploy fails half-way.

    Fix:
        Add the column nullable (or with a server default), backfill, then set NOT NULL;
        convert with a USING clause; deduplicate before a unique index. The finding shows
        the failing statement and a row it failed on.
    """)

DOWNGRADE_FAILS = _check("downgrade-fails", Severity.ERROR, "A revision's downgrade fails", """
    What it finds:
        Right after its upgrade, a revision's downgrade() raises (other than a deliberate
        `raise NotImplementedError`).

    Why it matters:
        The rollback of a failed deploy (`flask db downgrade`) stops there, leaving the
        database between two versions of the code.

    Fix:
        Make downgrade() undo exactly what upgrade() did (in reverse order), or make the
        revision irreversible on purpose with `raise NotImplementedError("...")`.
    """)

DOWNGRADE_LEAVES_TRACE = _check("downgrade-leaves-trace", Severity.ERROR,
                                "A revision's downgrade does not restore the schema", """
    What it finds:
        After upgrade then downgrade, the schema differs from the one before the upgrade
        (tables, columns, indexes, constraints, enum types, sequences, views, triggers,
        functions): something the upgrade made or changed is left behind, or something
        that was there is gone; upgrading again then fails or differs.

    Why it matters:
        After a rollback the database matches no revision: the next upgrade fails (an
        enum type or table "already exists") or runs against a different schema.

    Fix:
        Undo the listed differences in downgrade(), e.g. `op.execute("DROP TYPE status")`
        after dropping the table that used it.
    """)

DATA_LOST = _check("data-lost-on-round-trip", Severity.WARNING,
                   "Rows are lost by an upgrade and its downgrade", """
    What it finds:
        Rows present before a revision's upgrade are gone (by primary key) after its
        downgrade, in a table the revision did not mean to drop or empty.

    Why it matters:
        A rollback that deletes rows loses production data silently.

    Fix:
        Keep the rows through the round trip: copy them aside in upgrade() and back in
        downgrade(), or rebuild the table with its rows (batch mode copies them), instead
        of dropping and re-creating it.
    """)

NO_DOWNGRADES = _check("downgrades-not-supported", Severity.WARNING,
                       "Revisions cannot be downgraded, by policy", """
    What it finds:
        Revisions whose downgrade() deliberately does nothing or raises
        NotImplementedError. Reported once for the history, not once per revision.

    Why it matters:
        A failed deploy can only be rolled forward past these revisions; downgrade-based
        rollback in the deploy tooling will stop at them.

    Fix:
        Nothing, if rolling forward is the policy (say so in the deploy runbook). Else
        write the downgrades; `migrate-doctor test` then checks them.
    """, per_revision=False)

MODELS_DIFFER = _check("models-differ-from-head", Severity.ERROR,
                       "The schema at head differs from the models", """
    What it finds:
        The schema the migrations make at head is not what the models describe, judged by
        Alembic's autogenerate with the project's own settings (compare_type,
        include_object, ...): `flask db migrate` would write a revision.

    Why it matters:
        Either the models changed without a migration (the deploy will lack the change) or
        a migration changed the schema the models do not know.

    Fix:
        `flask db migrate -m "..."` (or `alembic revision --autogenerate`), review it, and
        commit it with the model change.
    """, per_revision=False)

SINGLE_HEAD = _check("single-head", Severity.ERROR, "The history has more than one head", """
    What it finds:
        More than one head revision: two branches were created (usually two pull requests)
        and never merged.

    Why it matters:
        `flask db upgrade` refuses to run ("Multiple head revisions are present").

    Fix:
        `flask db merge heads -m "merge"` (or `alembic merge heads`), then commit it.
    """, per_revision=False)

MODULE_NOT_IMPORTED = _check("model-module-not-imported", Severity.WARNING,
                             "A model module is never imported by the app", """
    What it finds:
        Importing every module of the app's package maps tables the app itself never
        registers on its metadata: the module defining them is imported by nothing the
        app (or env.py) loads.

    Why it matters:
        Autogenerate cannot see those models: `migrate` writes no migration for them, or
        a revision that drops their tables.

    Fix:
        Import the module where the app is created (`from . import models` inside
        create_app()) or in env.py before target_metadata is set.
    """, per_revision=False)

PER_REVISION = (UPGRADE_FAILS, FAILS_WITH_ROWS, DOWNGRADE_FAILS, DOWNGRADE_LEAVES_TRACE, DATA_LOST)
WHOLE_HISTORY = (SINGLE_HEAD, MODELS_DIFFER, MODULE_NOT_IMPORTED, NO_DOWNGRADES)
TEST_CHECKS = {c.id: c for c in PER_REVISION + WHOLE_HISTORY}


def get(check_id: str) -> TestCheck:
    return TEST_CHECKS[check_id]
