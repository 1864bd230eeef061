"""Every diagnosis check is documented, and every diagnose finding id has a test that
makes it fire.

The ids come from the check registry and the load errors (not a hand-kept list); the
tests that fire them are found by their `@pytest.mark.fires(...)` markers, read from the
test modules' syntax trees, so this holds whichever tests are selected. A marked test
itself fails unless a report it was given really has the id (see `fired` in conftest).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from migrate_doctor.checks import CHECKS
from migrate_doctor.errors import LOAD_ERRORS

TESTS_DIR = Path(__file__).resolve().parent

# The finding ids issue 2 names for `diagnose`; ids are public API, never renamed.
ISSUE_2_IDS = {
    "target-database", "app-not-found", "app-import-error", "database-url-missing",
    "database-url-invalid", "database-unreachable", "migrations-dir-missing",
    "script-syntax-error", "script-missing-revision", "duplicate-revision-id",
    "dangling-down-revision", "revision-cycle", "multiple-heads", "revision-id-too-long",
    "script-not-in-git", "empty-migration", "database-behind", "database-unknown-revision",
    "database-not-versioned", "database-empty", "version-table-inconsistent",
    "models-not-registered", "schema-drift",
}

SECTIONS = ("What it finds", "Why it matters", "Fix")


def diagnose_checks() -> list:
    return [e for e in CHECKS.all() if e.options.get("command", "diagnose") == "diagnose"]


def diagnose_ids() -> set[str]:
    return {e.id for e in diagnose_checks()} | {cls.id for cls in LOAD_ERRORS}


def fired_by_markers() -> dict[str, list[str]]:
    """finding id -> the tests marked `@pytest.mark.fires(id)` in tests/*.py."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS_DIR.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr == "fires"
                        and ast.unparse(decorator.func.value) == "pytest.mark"):
                    for arg in decorator.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            found.setdefault(arg.value, []).append(f"{path.name}::{node.name}")
    return found


def test_issue_ids_are_all_registered():
    assert ISSUE_2_IDS <= diagnose_ids(), sorted(ISSUE_2_IDS - diagnose_ids())


def test_every_diagnose_id_has_a_test_that_fires_it():
    markers = fired_by_markers()
    missing = sorted(diagnose_ids() - set(markers))
    assert not missing, f"no test marked @pytest.mark.fires(...) for: {', '.join(missing)}"
    unknown = sorted(set(markers) - diagnose_ids())
    assert not unknown, f"tests marked with ids that are not registered: {unknown}"


def test_markers_are_found():
    """The scan itself works (a scan that finds nothing would pass the test above vacuously
    only if there were no ids, so check it finds this project's markers)."""
    assert "database-behind" in fired_by_markers()


@pytest.mark.parametrize("entry", diagnose_checks(), ids=lambda e: e.id)
def test_check_is_documented(entry):
    assert entry.title and not entry.title.endswith(".")
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", entry.id)
    for section in SECTIONS:
        assert entry.section(section), f"{entry.module} has no '{section}:' section"
    assert entry.doc.splitlines()[0].strip(), f"{entry.module} has no summary line"


@pytest.mark.parametrize("cls", LOAD_ERRORS, ids=lambda c: c.id)
def test_load_error_is_documented(cls):
    doc = cls.__doc__ or ""
    for section in SECTIONS:
        assert re.search(rf"(?m)^\s*{section}:", doc), f"{cls.__name__} has no '{section}:' section"
    assert cls.title and not cls.title.endswith(".")


def test_ids_are_unique():
    check_ids = [e.id for e in CHECKS.all()]
    error_ids = [cls.id for cls in LOAD_ERRORS]
    assert len(set(check_ids)) == len(check_ids)
    assert not set(check_ids) & set(error_ids)
