"""Time `alembic heads` against `migrate-doctor diagnose` on a 1,000-revision project.

    python bench/diagnose_vs_heads.py [--dir DIR] [--revisions 1000] [--seed 1] [--runs 7] [--no-git] [--json]

Whole processes are timed, interleaved, after a warm-up run of each.  The SQLite
database of the project is brought to head first.  Figures only: the exit
status is 0 whatever the times are.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from _common import (
    Command,
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
from gen_history import upgrade

TITLE = "migrate-doctor diagnose vs alembic heads"
DIAG = "migrate-doctor diagnose"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, help="project dir to reuse (generated there if missing)")
    ap.add_argument("--revisions", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--no-git", action="store_true", help="do not make the project a git repo")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    alembic, doctor = tool("alembic"), tool("migrate-doctor")
    if alembic is None:
        log(f"no alembic next to {sys.executable}: run this with the project's venv python")
        return 2
    with project(args.dir, args.revisions, args.seed, None, "sqlite", not args.no_git) as proj:
        log("alembic upgrade heads (SQLite) ...")
        upgrade(proj)
        heads = subprocess.run(
            [str(alembic), "-c", "alembic.ini", "heads"],
            cwd=proj,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        log(f"alembic heads: {len([h for h in heads if h.strip()])} head(s)")

        cmds = [Command("alembic heads", [str(alembic), "-c", "alembic.ini", "heads"])]
        skipped: dict[str, str] = {}
        diagnose = [str(doctor), "-c", "alembic.ini", "diagnose"] if doctor else []
        why = (
            "not installed next to " + sys.executable
            if not doctor
            else probe(diagnose + ["--help"], proj)
        )
        if why:
            skipped[DIAG] = why
            log(f"migrate-doctor diagnose: SKIPPED ({why})")
        else:
            cmds.append(Command(DIAG, diagnose))

        log(
            f"timing {len(cmds)} command(s), {args.runs} run(s) each after {args.warmup} warm-up ..."
        )
        first = time_interleaved(cmds, proj, args.runs, args.warmup)
        extra = {"diagnose_output": last_line(first[DIAG])} if DIAG in first else {}
        info = {
            "machine": machine(),
            "project": summary(proj),
            "runs": args.runs,
            "warmup": args.warmup,
        }
        report(TITLE, info, cmds, skipped, (DIAG, "alembic heads"), args.json, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
