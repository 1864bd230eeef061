"""Time `migrate-doctor lint` against today's pipeline `alembic upgrade --sql | squawk`.

    python bench/lint_vs_squawk.py [--dir DIR] [--revisions 1000] [--seed 1] [--runs 7] [--stages] [--no-git] [--json]

The project is generated with a PostgreSQL URL; nothing connects, since both
sides only render offline SQL.  squawk reads the SQL on stdin (no path
argument; `squawk -` is refused) and exits 1 when it reports problems, which
is expected.  Target: the lint median is at most 25% of the pipeline median.
Figures only: the exit status is 0 whatever the times are.
"""

from __future__ import annotations

import argparse
import re
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

from _common import (
    ANSI,
    Command,
    ini_url,
    last_line,
    log,
    machine,
    probe,
    project,
    report,
    summary,
    time_interleaved,
    tool,
)

TITLE = "migrate-doctor lint vs alembic upgrade --sql | squawk"
PG_URL = "postgresql://bench@localhost/bench"
PIPELINE = "alembic upgrade --sql | squawk"
LINT = "migrate-doctor lint"
TARGET = 0.25


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="project dir to reuse (generated there if missing)")
    ap.add_argument("--revisions", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--stages", action="store_true", help="also time the two pipeline stages alone")
    ap.add_argument("--no-git", action="store_true", help="do not make the project a git repo")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    alembic, squawk, doctor = tool("alembic"), tool("squawk"), tool("migrate-doctor")
    if alembic is None or squawk is None:
        log(
            f"need alembic and squawk next to {sys.executable}: run this with the project's venv python"
        )
        return 2
    with project(args.dir, args.revisions, args.seed, PG_URL, "pg", not args.no_git) as proj:
        if not ini_url(proj).startswith("postgresql"):
            log(f"warning: {proj}/alembic.ini has sqlalchemy.url {ini_url(proj)!r}, not PostgreSQL")
        a, s = shlex.quote(str(alembic)), shlex.quote(str(squawk))
        # bash without pipefail: the pipeline's status is squawk's.
        cmds = [
            Command(PIPELINE, ["bash", "-c", f"{a} -c alembic.ini upgrade base:head --sql | {s}"])
        ]
        if args.stages:
            sql = proj / "upgrade.sql"
            subprocess.run(
                [str(alembic), "-c", "alembic.ini", "upgrade", "base:head", "--sql"],
                cwd=proj,
                stdout=sql.open("w"),
                stderr=subprocess.DEVNULL,
                check=True,
            )
            cmds += [
                Command(
                    "stage: alembic --sql > /dev/null",
                    ["bash", "-c", f"{a} -c alembic.ini upgrade base:head --sql"],
                ),
                Command("stage: squawk < upgrade.sql", ["bash", "-c", f"{s} < upgrade.sql"]),
            ]
        skipped: dict[str, str] = {}
        lint = (
            [str(doctor), "-c", "alembic.ini", "lint", "--dialect", "postgresql"] if doctor else []
        )
        why = (
            "not installed next to " + sys.executable
            if not doctor
            else probe(lint + ["--help"], proj)
        )
        if why:
            skipped[LINT] = why
            log(f"{LINT}: SKIPPED ({why})")
        else:
            cmds.insert(1, Command(LINT, lint))

        log(
            f"timing {len(cmds)} command(s), {args.runs} run(s) each after {args.warmup} warm-up ..."
        )
        first = time_interleaved(cmds, proj, args.runs, args.warmup)
        extra: dict[str, object] = {}
        found = re.search(r"Found (\d+) issues? in (\d+) file", ANSI.sub("", first[PIPELINE]))
        extra["squawk_parsed_the_sql"] = (
            f"yes, {found.group(1)} issues in {found.group(2)} file(s)"
            if found
            else "NO: no 'Found N issues' line, check how it reads stdin"
        )
        extra["target"] = f"lint <= {TARGET:.0%} of the pipeline: n/a (lint skipped)"
        if LINT in first:
            extra["lint_output"] = last_line(first[LINT])
            med = {c.name: statistics.median(c.times) for c in cmds}
            share = med[LINT] / med[PIPELINE]
            verdict = "MET" if share <= TARGET else "NOT MET"
            if "CRASHED" in str(extra["lint_output"]):
                verdict = "n/a (lint crashed)"
            extra.pop("target")
            extra["target"] = f"lint <= {TARGET:.0%} of the pipeline: {verdict}"
        info = {
            "machine": machine(),
            "project": summary(proj),
            "runs": args.runs,
            "warmup": args.warmup,
        }
        report(TITLE, info, cmds, skipped, (LINT, PIPELINE), args.json, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
