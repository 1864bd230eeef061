"""The edge between the CLI and everything below it: how a command that cannot run ends.

- Bad usage (click's own errors, such as `--format xml`, and our UsageError) prints one
  line, ``usage-error: ... Fix: ...``, or with ``--format json`` a JSON report holding
  that finding; exit 2.
- A typed error (DoctorError) prints its one line; exit 1 (2 for usage).
- Anything else is a bug of ours: one ``internal-error`` line (or JSON) naming the
  exception, never a traceback; exit 2, so a gate never reads it as a pass.
Slow loads of the user's app are announced on stderr from here (the API itself never
prints).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from ..errors import DoctorError, InternalError, UsageError


def requested_format(args: Sequence[str]) -> str:
    """The value of ``--format`` among the raw arguments (text when absent)."""
    args = list(args)
    for i, arg in enumerate(args):
        if arg == "--format" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--format="):
            return arg.split("=", 1)[1]
    return "text"


def fail(error: DoctorError, fmt: str) -> NoReturn:
    """End the command with a typed error: one line on stderr, or a JSON report."""
    from ..database.url import mask_text

    code = error.exit_code if error.exit_code == 2 else 1
    if fmt == "json":
        import json

        from ..model import Report

        report = Report("error")
        report.add(error.to_finding())
        data = report.to_dict()
        text = mask_text(json.dumps(data, indent=2, default=str))
        click.echo(text)
    else:
        click.echo(mask_text(error.one_line()), err=True)
    sys.exit(code)


def internal_error(exc: BaseException) -> InternalError:
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" (at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno})"
    text = " ".join(str(exc).split())[:300]
    return InternalError(
        f"migrate-doctor failed unexpectedly: {type(exc).__name__}: {text}{where}",
        "run again with --format json and report it to migrate-doctor's issue tracker "
        "(see `pip show migrate-doctor`); the answer of this run is unknown, so a gate "
        "must treat it as not ready",
        evidence={"exception": type(exc).__name__})


def _usage(exc: click.UsageError, fmt: str) -> NoReturn:
    ctx = exc.ctx
    path = ctx.command_path if ctx is not None else "migrate-doctor"
    message = " ".join(exc.format_message().split()).rstrip(".")
    fail(UsageError(message, f"see `{path} --help`"), fmt)


def announce(message: str) -> None:
    stream = sys.__stderr__ or sys.stderr
    print(message, file=stream, flush=True)


class _Boundary:
    """Shared by DoctorCommand and DoctorGroup."""

    def make_context(self, info_name: str | None, args: list[str],  # type: ignore[override]
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        fmt = requested_format(args)
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc]
        except click.UsageError as exc:
            _usage(exc, fmt)

    def invoke(self, ctx: click.Context) -> Any:
        from ..project.user_code import set_progress

        fmt = ctx.params.get("fmt") or requested_format(sys.argv[1:])
        set_progress(announce)
        # A short-lived process holding big syntax trees: collect young objects less often
        # (a long revision file otherwise spends most of its time in the collector).
        gc.set_threshold(100_000, 20, 100)
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except (click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except click.UsageError as exc:
            _usage(exc, fmt)
        except DoctorError as exc:
            fail(exc, fmt)
        except Exception as exc:  # noqa: BLE001 - the last resort: never a traceback
            fail(internal_error(exc), fmt)
        finally:
            set_progress(None)


class DoctorCommand(_Boundary, click.Command):
    pass


class DoctorGroup(_Boundary, click.Group):
    pass
