"""Shared helpers of the bench scripts: project set-up, process timing, reporting."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from gen_history import generate, git_init

ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def last_line(text: str) -> str:
    """What a run ended with (stdout and stderr); flags a Python traceback."""
    lines = [x.strip() for x in ANSI.sub("", text).splitlines() if x.strip()]
    tail = lines[-1] if lines else "(no output)"
    return (
        f"CRASHED, time not meaningful: {tail}"
        if "Traceback (most recent call last)" in text
        else tail
    )


def tool(name: str) -> Path | None:
    """An executable installed next to this interpreter (same venv), if any."""
    path = Path(sys.executable).parent / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def probe(argv: list[str], cwd: Path) -> str | None:
    """Run argv (a --help form); None when it works, else the tail of its output."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode == 0:
        return None
    tail = (proc.stderr or proc.stdout).strip().splitlines()
    return tail[-1] if tail else f"exit status {proc.returncode}"


@contextlib.contextmanager
def project(
    dir_: Path | None, revisions: int, seed: int, url: str | None, label: str, git: bool
) -> Iterator[Path]:
    """Reuse the project in dir_ (generating it first if missing), or generate a throwaway one.

    With git, a generated project is its own git repository with every file committed.
    """

    def make(where: Path) -> None:
        log(f"generating {revisions} revisions into {where}{' (git repo)' if git else ''} ...")
        generate(where, revisions, seed, url)
        if git:
            git_init(where)

    if dir_ is not None:
        if (dir_ / "alembic.ini").exists():
            log(f"reusing {dir_}")
        else:
            make(dir_)
        yield dir_.resolve()
        return
    with tempfile.TemporaryDirectory(prefix=f"md-bench-{label}-") as tmp:
        make(Path(tmp))
        yield Path(tmp)


def ini_url(proj: Path) -> str:
    m = re.search(r"^sqlalchemy\.url\s*=\s*(\S+)", (proj / "alembic.ini").read_text(), re.MULTILINE)
    return m.group(1) if m else ""


def summary(proj: Path) -> dict[str, object]:
    ls = ["git", "ls-files", "migrations/versions"]
    git = subprocess.run(ls, cwd=proj, capture_output=True, text=True, check=False)
    tracked = len(git.stdout.splitlines()) if git.returncode == 0 else None
    info: dict[str, object] = {
        "path": str(proj),
        "url": ini_url(proj),
        "git_tracked_files": tracked,
    }
    readme = proj / "README.txt"
    text = readme.read_text() if readme.exists() else ""
    for key in ("revisions", "branch points", "merges", "heads"):
        m = re.search(rf"^{key}: (\d+)$", text, re.MULTILINE)
        info[key.replace(" ", "_")] = int(m.group(1)) if m else None
    return info


def machine() -> dict[str, object]:
    cpu = ""
    with contextlib.suppress(OSError):
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        cpu = m.group(1) if m else ""
    versions = {}
    for dist in ("alembic", "SQLAlchemy", "migrate-doctor", "squawk-cli"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "versions": versions,
    }


@dataclass
class Command:
    name: str
    argv: list[str]
    times: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)

    def run(self, cwd: Path, capture: bool = False) -> tuple[float, str]:
        out = subprocess.PIPE if capture else subprocess.DEVNULL
        err = subprocess.STDOUT if capture else subprocess.DEVNULL
        start = time.perf_counter()
        proc = subprocess.run(self.argv, cwd=cwd, stdout=out, stderr=err, text=True, check=False)
        elapsed = time.perf_counter() - start
        self.exit_codes.append(proc.returncode)
        return elapsed, proc.stdout or ""

    def figures(self) -> dict[str, object]:
        t = self.times
        return {
            "argv": self.argv,
            "runs": len(t),
            "min": min(t),
            "median": statistics.median(t),
            "max": max(t),
            "times": [round(x, 4) for x in t],
            "exit_codes": sorted(set(self.exit_codes)),
        }


def time_interleaved(cmds: list[Command], cwd: Path, runs: int, warmup: int) -> dict[str, str]:
    """Warm up each command, then time runs rounds, rotating which command goes first.

    Returns the output (stdout and stderr) of each command's first warm-up run.
    """
    first: dict[str, str] = {}
    for c in cmds:
        for i in range(warmup):
            _, out = c.run(cwd, capture=(i == 0))
            first.setdefault(c.name, out)
        c.exit_codes.clear()
    for r in range(runs):
        for c in cmds[r % len(cmds) :] + cmds[: r % len(cmds)]:
            elapsed, _ = c.run(cwd)
            c.times.append(elapsed)
        log(f"  round {r + 1}/{runs}: " + ", ".join(f"{c.name} {c.times[-1]:.3f}s" for c in cmds))
    return first


def report(
    title: str,
    info: dict[str, object],
    cmds: list[Command],
    skipped: dict[str, str],
    ratio: tuple[str, str] | None,
    as_json: bool,
    extra: Mapping[str, object] | None = None,
) -> None:
    """Print the figures; ratio = (numerator, denominator) command names, medians compared."""
    figs = {c.name: c.figures() for c in cmds if c.times}
    value = None
    if ratio and ratio[0] in figs and ratio[1] in figs:
        value = figs[ratio[0]]["median"] / figs[ratio[1]]["median"]  # type: ignore[operator]
    doc: dict[str, object] = {
        "benchmark": title,
        **info,
        "commands": figs,
        "skipped": skipped,
        "ratio": None if value is None else {"of": list(ratio or ()), "value": value},
        **(extra or {}),
    }
    if as_json:
        print(json.dumps(doc, indent=2))
        return
    mach = info["machine"]
    assert isinstance(mach, dict)
    print(f"== {title}")
    print(
        f"machine: nproc {mach['nproc']} (usable {mach['usable_cpus']}), {mach['cpu']}, "
        f"Python {mach['python']}, {mach['platform']}"
    )
    print(f"versions: {', '.join(f'{k} {v}' for k, v in mach['versions'].items())}")
    proj = info["project"]
    assert isinstance(proj, dict)
    print(
        f"project: {proj['path']} ({proj['revisions']} revisions, {proj['branch_points']} branch points, "
        f"{proj['merges']} merges), url {proj['url']}"
    )
    tracked = proj["git_tracked_files"]
    print(
        f"git: {'not a git work tree' if tracked is None else f'{tracked} revision files tracked'}"
    )
    print(f"runs: {info['runs']} per command after {info['warmup']} warm-up, interleaved\n")
    width = max([len(n) for n in [*figs, *skipped]] + [len("command")])
    print(f"{'command':<{width}}  {'min':>8}  {'median':>8}  {'max':>8}  exit")
    for name, f in figs.items():
        codes = ",".join(map(str, f["exit_codes"]))  # type: ignore[call-overload]
        print(f"{name:<{width}}  {f['min']:8.3f}s {f['median']:8.3f}s {f['max']:8.3f}s  {codes}")
    for name, why in skipped.items():
        print(f"{name:<{width}}  SKIPPED: {why}")
    if ratio:
        shown = "n/a (skipped)" if value is None else f"{value:.3f}"
        print(f"\nratio median({ratio[0]}) / median({ratio[1]}) = {shown}")
    for key, val in (extra or {}).items():
        print(f"{key.replace('_', ' ')}: {val}")
