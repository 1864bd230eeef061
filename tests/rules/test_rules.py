"""Every lint rule against its fixture cases (tests/rules/cases/<rule_id>.py), and every rule
documented and covered."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from migrate_doctor.model import Finding
from migrate_doctor.rules import RULES, run_rules
from migrate_doctor.scripts.revision_file import RevisionFile

from . import cases as cases_package

SECTIONS = ("What it finds:", "Why it matters:", "Example:", "Use instead:")


def _load_cases() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for info in pkgutil.iter_modules(cases_package.__path__):
        module = importlib.import_module(f"{cases_package.__name__}.{info.name}")
        found[info.name.replace("_", "-")] = list(module.CASES)
    return found


CASES = _load_cases()
PARAMS = [pytest.param(rule_id, case, id=f"{rule_id}::{case['name']}")
          for rule_id, rule_cases in sorted(CASES.items()) for case in rule_cases]


def selection(rule_id: str | None) -> set[str] | None:
    """The rules that run for a case of ``rule_id``: the default ones, and the rule itself
    when it is opt-in (``default=False``)."""
    entry = RULES.get(rule_id) if rule_id else None
    if entry is None or entry.options.get("default", True):
        return None
    return {e.id for e in RULES.all() if e.options.get("default", True)} | {rule_id}


def lint_case(case: dict[str, Any], tmp_path: Path,
              rule_id: str | None = None) -> tuple[list[Finding], RevisionFile]:
    versions = tmp_path / "versions"
    versions.mkdir()
    files = []
    for index, text in enumerate(case["revisions"]):
        path = versions / f"{index:03d}_case.py"
        path.write_text(text, encoding="utf-8")
        files.append(RevisionFile(path))
    last = files[-1]
    assert last.problem is None, last.problem
    assert last.revision is not None
    findings = run_rules(files, report_on={last.revision},
                         dialect=case.get("dialect", "postgresql"),
                         server_version=case.get("server_version", (16,)),
                         env_source=case.get("env", ""), select=selection(rule_id),
                         deploy=case.get("deploy", "online"))
    return findings, last


@pytest.mark.parametrize(("rule_id", "case"), PARAMS)
def test_rule_case(rule_id: str, case: dict[str, Any], tmp_path: Path) -> None:
    findings, last = lint_case(case, tmp_path, rule_id)
    fired = [f for f in findings if f.id == rule_id]
    computed = sorted({f.id for f in findings})
    assert bool(fired) is case["fires"], (
        f"{rule_id} {'did not fire' if case['fires'] else 'fired'}; all ids: {computed}; "
        f"messages: {[f.message for f in fired]}")
    for other in case.get("also_quiet", ()):
        assert other not in computed, f"{other} fired too: {computed}"
    entry = RULES.get(rule_id)
    assert entry is not None
    for f in findings:  # every finding, of every rule, keeps the contract
        assert f.evidence["revision"] == last.revision
        assert f.location is not None and f.location.path.endswith(last.path.name)
        assert f.location.line is not None
        assert 1 <= f.location.line <= len(last.text.splitlines())
        assert f.message and f.fix and f.title
        json.dumps(f.to_dict())  # evidence is plain JSON
    if case["fires"]:
        fixes = "\n".join(f.fix or "" for f in fired)
        for name in case["names"]:
            assert name in fixes, f"{name!r} missing from the fix:\n{fixes}"


def _sections(doc: str) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in doc.splitlines():
        if line.strip() in SECTIONS and not line.startswith(" "):
            current = found.setdefault(line.strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip() for name, lines in found.items()}


@pytest.mark.parametrize("entry", sorted(RULES.all(), key=lambda e: e.id), ids=lambda e: e.id)
def test_rule_is_documented_and_covered(entry: Any) -> None:
    sections = _sections(entry.doc)
    for name in SECTIONS:
        assert sections.get(name), f"{entry.id}: docstring section {name!r} missing or empty"
    assert "op." in sections["Use instead:"], f"{entry.id}: 'Use instead:' has no op. line"
    assert entry.doc.splitlines()[0].strip(), f"{entry.id}: no one-line summary"
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", entry.id)
    rule_cases = CASES.get(entry.id, [])
    assert any(c["fires"] for c in rule_cases), f"{entry.id}: no firing case"
    assert any(not c["fires"] for c in rule_cases), f"{entry.id}: no non-firing case"
    for case in rule_cases:
        if case["fires"]:
            assert case.get("names"), f"{entry.id}: firing case {case['name']!r} names nothing"


def test_every_case_file_is_a_rule() -> None:
    ids = {e.id for e in RULES.all()}
    assert set(CASES) <= ids, set(CASES) - ids
    assert len(ids) == 30


def test_select_and_ignore(tmp_path: Path) -> None:
    findings, _ = lint_case(CASES["drop-column"][0], tmp_path)
    files = [RevisionFile(p) for p in sorted((tmp_path / "versions").glob("*.py"))]
    assert "drop-column" in {f.id for f in findings}
    only = run_rules(files, report_on=None, dialect="postgresql", server_version=None,
                     select={"drop-column"})
    assert {f.id for f in only} == {"drop-column"}
    ignored = run_rules(files, report_on=None, dialect="postgresql", server_version=None,
                        ignore={"drop-column"})
    assert ignored and "drop-column" not in {f.id for f in ignored}


def test_lint_without_sql_imports_neither_sqlalchemy_nor_sqlglot(tmp_path: Path) -> None:
    (tmp_path / "a1.py").write_text(CASES["drop-column"][0]["revisions"][1], encoding="utf-8")
    (tmp_path / "b2.py").write_text(CASES["drop-column"][2]["revisions"][1].replace(
        "'b2'", "'c3'").replace("'a1'", "'b2'"), encoding="utf-8")
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from migrate_doctor.rules import run_rules
        from migrate_doctor.scripts.revision_file import RevisionFile
        base = Path({str(tmp_path)!r})
        first = RevisionFile(base / "a1.py")
        findings = run_rules([first], report_on=None, dialect="postgresql", server_version=None)
        assert findings, "no findings"
        assert "sqlglot" not in sys.modules, "sqlglot imported without SQL"
        assert "sqlalchemy" not in sys.modules, "sqlalchemy imported"
        run_rules([first, RevisionFile(base / "b2.py")], report_on=None, dialect="postgresql",
                  server_version=None)
        assert "sqlglot" in sys.modules, "SQL was not parsed"
        assert "sqlalchemy" not in sys.modules, "sqlalchemy imported"
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("entry", sorted((e for e in RULES.all() if e.options.get("online")),
                                         key=lambda e: e.id), ids=lambda e: e.id)
def test_online_rules_do_not_run_for_a_stopped_deploy(entry: Any, tmp_path: Path) -> None:
    """A rule registered online=True (its claims are about the running release or queries
    waiting on locks) is quiet on its own firing cases when the services are stopped."""
    firing = [c for c in CASES[entry.id] if c["fires"]]
    for index, case in enumerate(firing):
        folder = tmp_path / str(index)
        folder.mkdir()
        findings, _ = lint_case({**case, "deploy": "stopped"}, folder, entry.id)
        assert entry.id not in {f.id for f in findings}, case["name"]

