"""`test` (migrations tested on a scratch database) and `graph` (the revision graph)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from .boundary import DoctorCommand
from .commands import get_target, strict_option, target_options
from .replay_commands import scratch_option


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Any]:
    """A bar per revision on a terminal (stderr); nothing elsewhere."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("testing"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[revision]}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("revisions", total=None, revision="")

        def update(done: int, total: int, revision: str) -> None:
            bar.update(task, completed=done, total=total, revision=revision)

        yield update


@click.command("test", cls=DoctorCommand)
@click.option("--url", help="Database URL (its dialect and server; read only).", default=None)
@scratch_option
@click.option("--since", metavar="REV", help="Only the revisions after REV.")
@click.option("--pending", is_flag=True, help="Only the revisions the database has not applied.")
@click.option("--rows", type=click.IntRange(min=0), default=None, metavar="N",
              help="Generated rows per table before each revision (default 3; 0: none).")
@click.option("--keep", is_flag=True, help="Keep the scratch database and print its URL.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text",
              show_default=True, help="Output format (junit: JUnit XML for CI).")
@strict_option
@target_options
@click.pass_context
def test_command(ctx: click.Context, url: str | None, scratch_url: str | None,
                 since: str | None, pending: bool, rows: int | None, keep: bool, fmt: str,
                 strict: bool) -> None:
    """Upgrade, downgrade and upgrade again every revision on a scratch database whose
    tables hold generated rows; then the models against head. Never the live database."""
    from .. import api
    from ..render import render

    target = get_target(ctx)
    if url:
        target.url = url
    options: dict[str, Any] = {"since": since, "pending": pending, "scratch_url": scratch_url,
                               "keep": keep}
    if rows is not None:
        options["rows"] = rows
    with _progress_bar(True) as progress:
        report = api.test(target, progress=progress, **options)
    info = report.extra.get("test") or {}
    if fmt == "junit":
        from ..render.junit import render_junit

        render_junit(report, sys.stdout)
    else:
        render(report, fmt, sys.stdout)
    if fmt == "text" and info:
        _summary(info)
    if info.get("kept"):
        click.echo(f"kept the scratch database: {info['kept']}", err=True)
    elif info.get("kept_note"):
        click.echo(f"--keep: {info['kept_note']}", err=True)
    sys.exit(report.exit_code(strict))


def _summary(info: dict[str, Any]) -> None:
    counts: dict[str, int] = {}
    for case in info.get("cases") or []:
        counts[case["status"]] = counts.get(case["status"], 0) + 1
    said = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    click.echo(f"tested {len(info.get('revisions') or [])} revision(s) in "
               f"{info.get('scratch') or 'a scratch database'}: {said or 'nothing to test'} "
               f"({info.get('seconds', 0):.1f}s)")


test_command.__test__ = False  # type: ignore[attr-defined]


@click.command("graph", cls=DoctorCommand)
@click.option("--url", help="Database URL (marks its current revision).", default=None)
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "html", "json"]),
              default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (html: default migrations-graph.html).")
@target_options
@click.pass_context
def graph_command(ctx: click.Context, url: str | None, fmt: str, output: str | None) -> None:
    """The revision graph: branches, merges, heads, the database's revision, pending ones."""
    from .. import api
    from ..graph import render_graph

    target = get_target(ctx)
    if url:
        target.url = url
    report = api.graph(target, findings=fmt in ("html", "json"))
    text = render_graph(report, fmt)
    if fmt == "html" or output:
        path = output or "migrations-graph.html"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"wrote {path}", err=True)
    elif fmt == "text" and sys.stdout.isatty():
        _coloured(text)
    else:
        click.echo(text, nl=not text.endswith("\n"))
    sys.exit(report.exit_code())


def _coloured(text: str) -> None:
    """The tree on a terminal: marks, phases and tags in colour (plain text elsewhere)."""
    from rich.console import Console
    from rich.text import Text

    styled = Text(text)
    for pattern, style in ((r"◉", "bold blue"), (r"○", "yellow"), (r"\[contract\]", "red"),
                           (r"\[expand\]", "green"), (r"\[mixed\]", "bold yellow"),
                           (r"\[data\]", "cyan"), (r"\((?:head|current|pending|merge|branch"
                                                   r" point|label)[^)]*\)", "bold"),
                           (r"(?m)(?<=[●◉○] )\w+", "dim")):
        styled.highlight_regex(pattern, style)
    Console(highlight=False, soft_wrap=True).print(styled, end="")
