"""`apply` (under `migrate-doctor` and `flask db`): the guarded upgrade.

Text: what it will do on stderr ("will ..."), progress on stderr (rich on a terminal:
revision n of m, elapsed, the statement running; plain lines elsewhere), the report on
stdout. ``--format json``: one JSON object per line on stdout for every event, the last
one ``{"event": "report", ...}`` holding the report.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import click

from .boundary import DoctorCommand
from .commands import get_target, target_options


class _Lines:
    """JSON lines on stdout (secrets masked)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, event: dict[str, Any]) -> None:
        from ..database.url import mask_text

        self.out.write(mask_text(json.dumps(event, default=str)) + "\n")
        self.out.flush()


class _Progress:
    """Progress on stderr: a rich live line on a terminal, plain lines elsewhere."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.live = hasattr(err, "isatty") and err.isatty()
        self.progress: Any = None
        self.task: Any = None

    def say(self, text: str) -> None:
        from ..database.url import mask_text

        if self.progress is not None:
            self.progress.console.print(mask_text(text), highlight=False)
        else:
            self.err.write(mask_text(text) + "\n")
            self.err.flush()

    def __call__(self, e: dict[str, Any]) -> None:
        kind = e["event"]
        if kind == "lock-wait":
            held = "; ".join(_holder(h) for h in e.get("holders", [])) or "another apply"
            self.say(f"waiting for {e['lock']} ({e['waited']:.0f}s): held by {held}")
        elif kind == "lock-acquired" and e.get("waited", 0) >= 1:
            self.say(f"got the lock after {e['waited']:.1f}s")
        elif kind == "nothing-to-do":
            self.say(f"nothing to do: {e['reason']}")
        elif kind == "revision-start":
            title = f"revision {e['n']} of {e['of']}: {e['revision']}" + (
                f" {e['message']}" if e.get("message") else "")
            self._start(title, e)
        elif kind == "statement" and self.progress is not None:
            self.progress.update(self.task, statement=e["sql"][:100])
        elif kind == "retry":
            blockers = "; ".join(_holder(b) for b in e.get("blockers", [])) or "unknown"
            self.say(f"  lock not granted (blocked by {blockers}); retry {e['attempt']} of "
                     f"{e['of']} in {e['delay']:.1f}s")
        elif kind == "revision-done":
            self._stop()
            self.say(f"[{e['n']}/{e['of']}] {e['revision']} done in {e['seconds']:.2f}s"
                     + (f" after {e['retries']} retr{'y' if e['retries'] == 1 else 'ies'}"
                        if e.get("retries") else ""))
        elif kind == "revision-failed":
            self._stop()
            self.say(f"[{e['n']}/{e['of']}] {e['revision']} FAILED ({e['kind']}): {e['message']}")

    def _start(self, title: str, e: dict[str, Any]) -> None:
        if not self.live:
            self.say(f"[{e['n']}/{e['of']}] {e['revision']} {e.get('message') or ''}".rstrip()
                     + " ...")
            return
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 TimeElapsedColumn(), TextColumn("[dim]{task.fields[statement]}"),
                                 console=Console(file=self.err), transient=True)
        self.progress.start()
        self.task = self.progress.add_task(title, statement="")

    def _stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def close(self) -> None:
        self._stop()


def _holder(h: dict[str, Any]) -> str:
    parts = [f"pid {h.get('pid')}"] + [str(h[k]) for k in ("user", "application", "state")
                                       if h.get(k)]
    if h.get("query"):
        parts.append(f"query: {' '.join(str(h['query']).split())[:80]}")
    return ", ".join(parts)


def _duration(value: str | None, option: str) -> Any:
    from ..config import duration

    return duration(value, option) if value is not None else None


@click.command("apply", cls=DoctorCommand)
@click.option("--to", "to", metavar="REV", default=None,
              help="Upgrade to this revision (default: the head(s)).")
@click.option("--phase", type=click.Choice(["expand", "contract"]), default=None,
              help="Only plan's expand revisions (before the new code), or the rest (after "
                   "the old code is retired).")
@click.option("--accept", multiple=True, metavar="RULE-ID",
              help="Run although this lint rule reports an error (repeatable).")
@click.option("--wait", type=float, default=600.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another apply's lock on this database.")
@click.option("--lock-timeout", metavar="DURATION", default=None,
              help="Per statement, e.g. 2s or 500ms ('none': unbounded). Default 2s or "
                   "[tool.migrate-doctor] lock-timeout.")
@click.option("--statement-timeout", metavar="DURATION", default=None,
              help="Per statement (default none, or [tool.migrate-doctor] statement-timeout).")
@click.option("--retries", type=click.IntRange(min=0), default=None,
              help="Retries of a revision whose lock was not granted (default 3).")
@click.option("--dry-run", is_flag=True, help="Preflight and say what would run; run nothing.")
@click.option("--verify-drift", is_flag=True,
              help="Afterwards, also check the schema is what the migrations make.")
@click.option("--url", default=None, help="Database URL to upgrade instead of the project's.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text, or json: one JSON object per event.")
@target_options
@click.pass_context
def apply(ctx: click.Context, to: str | None, phase: str | None, accept: tuple[str, ...],
          wait: float, lock_timeout: str | None, statement_timeout: str | None,
          retries: int | None, dry_run: bool, verify_drift: bool, url: str | None,
          fmt: str) -> None:
    """Guarded upgrade: preflight, one apply at a time, bounded locks, each revision in its
    own transaction, failures explained, the result verified."""
    from .. import api
    from ..errors import DoctorError
    from ..model import Report

    target = get_target(ctx)
    if url:
        target.url = url
    settings: dict[str, Any] = {}
    if lock_timeout is not None:
        settings["lock_timeout"] = _duration(lock_timeout, "--lock-timeout")
    if statement_timeout is not None:
        settings["statement_timeout"] = _duration(statement_timeout, "--statement-timeout")
    if retries is not None:
        settings["retries"] = retries
    out, err = sys.stdout, sys.stderr  # kept: user code's output is redirected meanwhile
    if fmt == "json":
        lines = _Lines(out)
        try:
            report = api.apply(target, to=to, phase=phase, accept=accept, wait=wait,
                               dry_run=dry_run, verify_drift=verify_drift, settings=settings,
                               progress=lines)
        except DoctorError as exc:
            report = Report("apply")
            report.add(exc.to_finding())
            lines({"event": "report", **report.to_dict()})
            sys.exit(exc.exit_code if exc.exit_code == 2 else 1)
        lines({"event": "report", **report.to_dict()})
        sys.exit(report.exit_code())
    progress = _Progress(err)

    def say(actions: list[str]) -> None:
        progress.say("Dry run, would:" if dry_run else "will:")
        for action in actions:
            progress.say(f"  {action}")

    try:
        report = api.apply(target, to=to, phase=phase, accept=accept, wait=wait,
                           dry_run=dry_run, verify_drift=verify_drift, settings=settings,
                           announce=say, progress=progress)
    finally:
        progress.close()
    from ..render import render

    render(report, "text", out)
    sys.exit(report.exit_code())
