"""The output formats, end to end: a real lint of a copy of examples/shop with one new,
unsafe revision, rendered as SARIF (validated against the official OASIS SARIF 2.1.0
schema), JSON, GitHub annotations and text; the console script's SARIF; and the
pre-commit hook that lints only the files it is given."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # the test extra: a missing validator must fail, not skip
import pytest

from _support import BIN, clean_env, describe, run
from migrate_doctor.model import Finding, Report, Severity

REPO = Path(__file__).resolve().parent.parent
SHOP = REPO / "examples" / "shop"
SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"

OLD_HEAD = "9b13db13fce7"
NEW_REV = "e5f6a7b8c9d0"
NEW_FILE = f"{NEW_REV}_orders_drop_status_add_channel.py"
NEW_SOURCE = f'''"""drop orders.status, add orders.channel

Revision ID: {NEW_REV}
Revises: {OLD_HEAD}
Create Date: 2027-02-22 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '{NEW_REV}'
down_revision = '{OLD_HEAD}'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_column('orders', 'status')
    op.add_column('orders', sa.Column('channel', sa.String(length=20), nullable=False))


def downgrade():
    op.drop_column('orders', 'channel')
    op.add_column('orders', sa.Column('status', sa.String(length=20),
                                      server_default='pending', nullable=False))
'''


def _line_of(text: str) -> int:
    """The 1-based line of NEW_SOURCE that contains text (in upgrade())."""
    lines = NEW_SOURCE.splitlines()
    start = lines.index("def upgrade():")
    return next(i + 1 for i, line in enumerate(lines) if i > start and text in line)


DROP_LINE = _line_of("op.drop_column('orders', 'status')")
ADD_LINE = _line_of("op.add_column('orders', sa.Column('channel'")

SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


# -- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sarif_validator() -> Any:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


def _forget_shop() -> None:
    for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
        del sys.modules[name]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of examples/shop whose history gains one new head revision, NEW_REV."""
    root = tmp_path / "shop_project"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.db"))
    versions = root / "migrations" / "versions"
    assert (versions / f"{OLD_HEAD}_index_on_orders_created_at.py").is_file()
    (versions / NEW_FILE).write_text(NEW_SOURCE, encoding="utf-8")
    return root


@pytest.fixture
def shop_loaded(shop: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The copy as the current project of this process: cwd, FLASK_APP and sys.path; the
    module `shop` is imported fresh from the copy and forgotten afterwards."""
    monkeypatch.chdir(shop)
    monkeypatch.setenv("FLASK_APP", "shop")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.syspath_prepend(str(shop))
    _forget_shop()
    try:
        yield shop
    finally:
        _forget_shop()


@pytest.fixture
def report(shop_loaded: Path) -> Report:
    from migrate_doctor.api import Target, lint

    report = lint(Target(app="shop"), dialect="postgresql")
    assert report.command == "lint"
    assert report.findings, "lint of the unsafe revision found nothing"
    return report


def _render(report: Report, fmt: str) -> str:
    from migrate_doctor.render import render

    out = io.StringIO()
    render(report, fmt, out)
    return out.getvalue()


def _validate(validator: Any, doc: Any) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "SARIF does not validate against the 2.1.0 schema:\n" + "\n".join(
        f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20])


def _key(f: Finding) -> tuple[str, str | None, int | None]:
    return (f.id, f.location.path if f.location else None, f.location.line if f.location else None)


def _sarif_results(doc: dict[str, Any]) -> list[dict[str, Any]]:
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    return doc["runs"][0]["results"]


def _sarif_key(result: dict[str, Any]) -> tuple[str, str | None, int | None]:
    locations = result.get("locations") or []
    if not locations:
        return (result["ruleId"], None, None)
    physical = locations[0]["physicalLocation"]
    return (result["ruleId"], physical["artifactLocation"]["uri"],
            physical.get("region", {}).get("startLine"))


# -- the schema itself ----------------------------------------------------------------------

def test_schema_is_the_draft07_sarif_210_schema(sarif_validator: Any) -> None:
    schema = sarif_validator.schema
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert {"run", "result", "tool", "toolComponent", "reportingDescriptor",
            "physicalLocation", "region"} <= set(schema["definitions"])
    # it does reject what is not SARIF
    assert not sarif_validator.is_valid({"version": "2.1.0"})
    assert not sarif_validator.is_valid({"version": "2.1.0", "runs": [{"results": []}]})
    assert sarif_validator.is_valid(
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": []}]})


# -- the real report, in process -----------------------------------------------------------

def test_lint_finds_the_unsafe_operations_of_the_new_revision(report: Report) -> None:
    new = f"migrations/versions/{NEW_FILE}"
    keys = {_key(f) for f in report.findings}
    assert ("add-not-null-column-without-default", new, ADD_LINE) in keys, describe(report)
    assert ("drop-column", new, DROP_LINE) in keys, describe(report)
    assert report.has_errors
    assert report.project is not None
    assert report.project.heads == (NEW_REV,)
    assert report.extra["lint"]["dialect"] == "postgresql"


def test_sarif_validates_and_matches_the_findings(report: Report, sarif_validator: Any) -> None:
    doc = json.loads(_render(report, "sarif"))
    _validate(sarif_validator, doc)
    results = _sarif_results(doc)
    assert len(results) == len(report.findings)
    assert Counter(r["ruleId"] for r in results) == Counter(f.id for f in report.findings)
    assert Counter(_sarif_key(r) for r in results) == Counter(_key(f) for f in report.findings)
    assert Counter((r["ruleId"], r["level"]) for r in results) == Counter(
        (f.id, SARIF_LEVEL[f.severity]) for f in report.findings)
    for f in report.findings:
        assert f.location is not None and f.location.line, f"{f.id} has no line"
    # every result's rule is described in the driver, at its ruleIndex
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert {r["id"] for r in rules} == {f.id for f in report.findings}


def test_json_has_the_report_contract_and_true_counts(report: Report, shop_loaded: Path) -> None:
    doc = json.loads(_render(report, "json"))
    assert {"tool", "project", "database", "findings", "summary"} <= set(doc)
    assert doc["tool"]["name"] == "migrate-doctor"
    assert doc["tool"]["command"] == "lint"
    project = doc["project"]
    assert {"kind", "migrations", "revisions", "heads"} <= set(project)
    assert project["kind"] == "flask"
    assert Path(project["migrations"]).resolve() == (shop_loaded / "migrations").resolve()
    assert project["revisions"] == 5
    assert project["heads"] == [NEW_REV]
    assert doc["database"] is None  # lint reads no database

    counted = Counter(f["severity"] for f in doc["findings"])
    expected = {s.value: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    assert doc["summary"] == expected
    assert doc["summary"] == {s.value: counted.get(s.value, 0) for s in Severity}
    assert sum(doc["summary"].values()) == len(doc["findings"]) == len(report.findings)
    located = Counter((f["id"], f["location"]["path"], f["location"]["line"])
                      for f in doc["findings"])
    assert located == Counter(_key(f) for f in report.findings)


_GITHUB_LINE = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape(text: str) -> str:
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ",")):
        text = text.replace(code, char)
    return text.replace("%25", "%")


def test_github_has_one_annotation_per_finding(report: Report) -> None:
    lines = _render(report, "github").splitlines()
    assert len(lines) == len(report.findings)
    seen = []
    for line in lines:
        m = _GITHUB_LINE.match(line)
        assert m, f"not a workflow command: {line!r}"
        level, props_text, body = m.groups()
        props = dict(p.split("=", 1) for p in props_text.split(","))
        assert set(props) == {"file", "line", "title"}, props
        rule_id = _unescape(props["title"]).split(": ", 1)[0]
        seen.append((level, rule_id, _unescape(props["file"]), int(props["line"])))
        assert body
    expected = []
    for f in report.findings:
        assert f.location is not None
        expected.append((GITHUB_LEVEL[f.severity], f.id, f.location.path, f.location.line))
    assert Counter(seen) == Counter(expected)


def test_text_names_every_finding(report: Report) -> None:
    text = _render(report, "text")
    assert "\x1b[" not in text  # a StringIO is no terminal: no colour codes
    for f in report.findings:
        assert f.id in text
        assert f"at {f.location}" in text
    s = report.summary()
    assert f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info" in text


# -- the console script -----------------------------------------------------------------------

def test_cli_sarif_validates_and_fails_on_an_error(shop: Path, sarif_validator: Any) -> None:
    env = clean_env()
    assert "FLASK_APP" not in env
    result = run([str(BIN / "migrate-doctor"), "--app", "shop", "lint", "--dialect", "postgresql",
                  "--format", "sarif"], shop, env)
    doc = json.loads(result.stdout)
    _validate(sarif_validator, doc)
    results = _sarif_results(doc)
    new = f"migrations/versions/{NEW_FILE}"
    keys = {_sarif_key(r) for r in results}
    assert ("add-not-null-column-without-default", new, ADD_LINE) in keys
    assert any(r["level"] == "error" for r in results)
    assert result.code == 1, result.stderr


# -- the pre-commit hook ----------------------------------------------------------------------

def _hooks() -> list[dict[str, str]]:
    """The hooks of .pre-commit-hooks.yaml: a list of `- key: value` blocks."""
    hooks: list[dict[str, str]] = []
    for raw in HOOKS_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- "):
            hooks.append({})
            line = line[2:]
        key, sep, value = line.strip().partition(":")
        assert sep and hooks, f"cannot read {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        hooks[-1][key.strip()] = value
    return hooks


def test_pre_commit_hook_lints_only_the_files_it_is_given(shop: Path) -> None:
    hook = next((h for h in _hooks() if h.get("entry") == "migrate-doctor lint"), None)
    assert hook is not None, f"no hook with entry `migrate-doctor lint` in {HOOKS_FILE}"
    assert hook.get("pass_filenames") == "true"
    rel = f"migrations/versions/{NEW_FILE}"
    if "files" in hook:
        assert re.search(hook["files"], rel), f"files: {hook['files']} does not match {rel}"

    exe, *entry_args = hook["entry"].split()
    cmd = [str(BIN / exe), *entry_args]
    env = clean_env(FLASK_APP="shop")  # the entry cannot carry --app: the project sets FLASK_APP

    def findings(*args: str) -> tuple[int, list[dict[str, Any]]]:
        result = run([*cmd, *args, "--format", "json"], shop, env)
        return result.code, json.loads(result.stdout)["findings"]

    new_file = (shop / rel).resolve()

    def located_in_new_file(f: dict[str, Any]) -> bool:
        return f["location"] is not None and (shop / f["location"]["path"]).resolve() == new_file

    # the whole history has findings in other revisions too (postgresql target)...
    _, everything = findings("--dialect", "postgresql")
    assert any(not located_in_new_file(f) for f in everything)
    # ...the hook's run on one file reports only that file's
    code, only_new = findings("--dialect", "postgresql", rel)
    assert only_new and all(located_in_new_file(f) for f in only_new), only_new
    # (a cause in env.py is one finding at env.py for the whole history, and the file's
    # own finding when only the file is linted)
    from migrate_doctor.rules import RULES

    per_file = {e.id for e in RULES.all() if e.options.get("cause") == "env.py"}
    assert Counter(json.dumps(f, sort_keys=True) for f in only_new if f["id"] not in per_file) \
        == Counter(json.dumps(f, sort_keys=True) for f in everything if located_in_new_file(f))
    assert any(f["id"] in per_file for f in everything if f["location"]["path"].endswith("env.py"))
    assert code == 1

    # exactly as pre-commit runs it: the entry, then the file names
    result = run([*cmd, rel], shop, env)
    assert result.code == 1, result.stderr
    places = re.findall(r"^\s+at (\S+?):(\d+)$", result.stdout, flags=re.M)
    assert places, result.stdout
    assert {(shop / p).resolve() for p, _ in places} == {new_file}
    assert ("add-not-null-column-without-default" in result.stdout
            and f"{rel}:{ADD_LINE}" in result.stdout), result.stdout
