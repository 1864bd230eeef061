"""`test`: the project's migrations tested the way production runs them, on a scratch
database with rows (the command's engine), and the same checks as a pytest plugin."""

from __future__ import annotations

from .checks import TEST_CHECKS, TestCheck

__all__ = ["TEST_CHECKS", "TestCheck"]
