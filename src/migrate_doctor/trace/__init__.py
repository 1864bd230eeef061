"""``lint --trace``: lint verdicts checked by running the revisions (PostgreSQL).

For each linted revision, in upgrade order, a scratch PostgreSQL is brought to just before
it by the project's own migrations (session.py), the tables it touches get a few generated
rows (database/rows.py), and its upgrade() runs in ONE transaction on a connection the
trace controls, statement by statement (run.py, recorder.py): after each statement the
locks the transaction holds, the relations rewritten (relfilenode), the indexes and
constraints that appeared, the time and any error are read (catalog.py); then the
transaction is rolled back. Each lint finding of a traced revision is then confirmed,
contradicted or not traced, by what it claims (claims.py, verdicts.py); what no finding
predicted is reported as ``trace-table-rewrite`` or ``trace-exclusive-lock``
(findings.py).
"""

from __future__ import annotations

from .findings import TRACE_FINDINGS, TRACE_IDS
from .judged import trace_findings

__all__ = ["TRACE_FINDINGS", "TRACE_IDS", "trace_findings"]
