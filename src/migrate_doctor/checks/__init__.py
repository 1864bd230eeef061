"""Diagnosis checks: one module each, over the four states. See DESIGN.md."""

from __future__ import annotations

from ..registry import Hit, Registry
from ._context import Context

CHECKS: Registry[Context] = Registry(__name__)
check = CHECKS.register

__all__ = ["CHECKS", "Context", "Hit", "check"]
