"""Lint rules: one module each, over a revision's operations. See DESIGN.md.

A rule registers itself with ``@rule(id, severity, title, dialects=(...), default=True)``;
``dialects`` names the targets the rule is about (Alembic's dialect names); a rule with
dialects does not run when the target is unknown. ``default=False`` makes it opt-in (run
only when selected by id): a rule whose precision on real histories stays below the
target of its severity (docs/precision.md). ``online=True`` marks a rule whose every claim
is about a deploy with the application running: locks that queue its queries, the release
still running during the deploy, the order of deploy and migrate. A project that migrates
with its services stopped (``deploy = "stopped"`` in ``[tool.migrate-doctor]``) does not run
them; a rule with only some such claims reads ``ctx.online``.

What a rule sees (RuleContext): the revision's operations as they run (helpers called
from upgrade(), literal loops unrolled, constants resolved), minus code behind a dialect
test the target fails; the schema the earlier revisions built (``history``,
``state_at(op)``); what this upgrade() does with the data (``flow``); what env.py and the
project say for every revision (``facts``); the author's own words (``says``).

A fix is code that runs when pasted, and is tested that way (tests/rules/test_fix_roundtrip):
- its first part replaces the flagged lines of the revision (the finding's location,
  ``line``..``end_line``), or what ``fix_at`` names in the evidence (``insert`` before a
  line, or ``replace`` other lines such as downgrade()'s body);
- an optional second part, after the line ``_values.LATER``, is the upgrade() body of a new
  revision that runs after the deploy;
- comments are fine; placeholders are not (``<value>`` only where no value can be known,
  and then in a comment or a string the user must edit, never as bare code);
- SQL quotes identifiers for the target (``_quote.ident``), keeps the schema, and prefers
  ``sa.table()``/``sa.column()`` constructs; loops terminate; constraint names are those
  the database really has; it never triggers another rule that asks for the opposite.
"""

from __future__ import annotations

from ..registry import Hit, Registry
from ._context import RuleContext

RULES: Registry[RuleContext] = Registry(__name__)
rule = RULES.register

from ._engine import active_rules, run_rules  # noqa: E402 - the engine reads RULES

__all__ = ["RULES", "Hit", "RuleContext", "active_rules", "rule", "run_rules"]
