"""Lint rules: one module each, over a revision's operations. See DESIGN.md.

A rule registers itself with ``@rule(id, severity, title, dialects=(...))``; ``dialects``
names the targets the rule is about (Alembic's dialect names). A rule with dialects does
not run when the target is unknown.
"""

from __future__ import annotations

from ..registry import Hit, Registry
from ._context import RuleContext

RULES: Registry[RuleContext] = Registry(__name__)
rule = RULES.register

from ._engine import active_rules, run_rules  # noqa: E402 - the engine reads RULES

__all__ = ["RULES", "Hit", "RuleContext", "active_rules", "rule", "run_rules"]
