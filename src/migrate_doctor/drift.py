"""`drift`: the live schema, the schema the migrations produce at the database's revision,
and the models, compared three ways; each difference classified by where it comes from.

- live vs expected-at-current: ``manual-schema-change`` (someone changed the database by
  hand, or a change was applied elsewhere), naming the revision that created the object;
- models vs expected-at-head: ``model-without-migration`` (the models changed and no
  revision says so: `migrate` would write one) and ``migration-without-model`` (the
  migrations make something the models no longer have), judged with the project's own
  autogenerate settings.

Reads the live database only; the expected schemas are built in a scratch database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .database.schema import Difference, differences, snapshot
from .errors import DoctorError
from .model import Report
from .project.loaded import Project
from .states import Context, Target, base_report, load_project, read_states, redacted, run_checks


@dataclass
class DriftState:
    """What the drift checks read (set on the check Context as ``ctx.drift``)."""

    live_vs_expected: list[Difference] = field(default_factory=list)
    model_diffs: list[tuple[str, str]] = field(default_factory=list)  # (add|remove|modify, text)
    created_by: dict[str, str] = field(default_factory=dict)  # object -> revision
    scratch: str | None = None
    replayed: int = 0
    compared_models: bool = False


def scratch_factory(project: Project, live_url: str, scratch_url: str | None,
                    server_version: str | None) -> Callable[[], Any]:
    from .database.scratch import scratch_database

    return lambda: scratch_database(live_url, scratch_url=scratch_url,
                                    server_version=server_version)


def drift(target: Target | None = None, *, scratch_url: str | None = None,
          project: Project | None = None) -> Report:
    """The three-way comparison; read-only on the live database."""
    project = project or load_project(target)
    ctx = read_states(project)
    report = base_report("drift", ctx)
    if ctx.db is None or ctx.graph is None or not ctx.graph.ok or ctx.db.engine is None:
        run_checks(ctx, report, ("script-syntax-error", "duplicate-revision-id",
                                 "dangling-down-revision", "revision-cycle",
                                 "database-unknown-revision"))
        return redacted(report, project.secrets)
    unknown = [r for r in ctx.db.current if r not in ctx.graph.files]
    if unknown:
        run_checks(ctx, report, ("database-unknown-revision",))
        return redacted(report, project.secrets)
    try:
        ctx.drift = compute(ctx, scratch_url)
    except DoctorError as exc:  # replay-failed, scratch-unavailable
        report.add(exc.to_finding())
        return redacted(report, project.secrets)
    report.extra["drift"] = {"scratch": ctx.drift.scratch, "replayed": ctx.drift.replayed,
                             "differences": len(ctx.drift.live_vs_expected)
                             + len(ctx.drift.model_diffs)}
    run_checks(ctx, report, ("manual-schema-change", "model-without-migration",
                             "migration-without-model"))
    return redacted(report, project.secrets)


def compute(ctx: Context, scratch_url: str | None = None) -> DriftState:
    """Replay (or read from the cache) the expected schemas and compare."""
    from .replay.expected import Expected

    assert ctx.db is not None and ctx.graph is not None and ctx.db.engine is not None
    project = ctx.project
    state = DriftState()
    factory = scratch_factory(project, project.url or "", scratch_url, ctx.db.server_version)
    with Expected(project, ctx.graph, ctx.db.dialect, ctx.db.server_version, factory) as exp:
        current = tuple(ctx.db.current)
        expected_now = exp.at(current)
        with ctx.db.engine.connect() as conn:
            live = snapshot(conn, {project.version_table}, project.version_table_schema)
            conn.rollback()
        state.live_vs_expected = differences(expected_now, live)
        metadata = project.metadata()
        if metadata is not None and ctx.graph.heads:
            state.model_diffs = _model_diffs(ctx, exp)
            state.compared_models = True
        state.scratch, state.replayed = exp.scratch_how, exp.replayed
    state.created_by = created_by(ctx, current)
    return state


def _models_key(ctx: Context, exp: Any, heads: tuple[str, ...], opts: dict[str, Any]) -> str:
    """What the comparison depends on: the schema at head, the models' DDL, the settings."""
    import hashlib
    import inspect

    from sqlalchemy.schema import CreateTable

    from .replay.expected import path_key

    digest = hashlib.sha256(path_key(ctx.project, ctx.graph, heads, exp.dialect,
                                     exp.server_version).encode())
    dialect = _dialect(exp.dialect)
    for table in ctx.project.metadata().sorted_tables:
        try:
            digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        except Exception:  # noqa: BLE001 - a type this dialect cannot render
            digest.update(repr(table).encode())
    for key, value in sorted(opts.items()):
        try:
            text = inspect.getsource(value) if callable(value) else repr(value)
        except (OSError, TypeError):
            text = getattr(value, "__qualname__", repr(value))
        digest.update(f"{key}={text}".encode())
    return digest.hexdigest()[:32]


def _dialect(name: str) -> Any:
    from sqlalchemy.dialects import registry

    return registry.load(name)()


def _model_diffs(ctx: Context, exp: Any) -> list[tuple[str, str]]:
    """(kind, description) of each difference autogenerate finds between the models and
    the schema at head, cached: a second run with nothing changed replays nothing."""
    from .checks.schema_drift import describe
    from .scripts import cache

    heads = tuple(ctx.graph.heads)
    opts = _autogenerate_options(ctx)
    dirs = [ctx.project.migrations_dir]
    key = _models_key(ctx, exp, heads, opts)
    known = cache.load(dirs, "models")
    if isinstance(known.get(key), list):
        return [tuple(d) for d in known[key]]  # type: ignore[misc]
    exp.at(heads)
    if exp.scratch_url is None:  # head came from the cache: build it to compare against
        exp._scratch = None
        exp._replay(heads)
    found = [(_kind(d), describe(d)) for d in _compare_models(ctx, exp, opts)]
    known[key] = found
    cache.save(dirs, dict(list(known.items())[-32:]), "models")
    return found


def _kind(diff: Any) -> str:
    first = diff[0] if isinstance(diff, list) and diff else diff
    kind = first[0] if isinstance(first, tuple) else ""
    return "remove" if isinstance(kind, str) and kind.startswith("remove_") else (
        "add" if isinstance(kind, str) and kind.startswith("add_") else "modify")


def _autogenerate_options(ctx: Context) -> dict[str, Any]:
    opts: dict[str, Any] = {"version_table": ctx.project.version_table}
    for key in ("compare_type", "compare_server_default", "include_object", "include_name",
                "include_schemas", "render_as_batch", "version_table_schema"):
        if ctx.project.configure_args.get(key) is not None:
            opts[key] = ctx.project.configure_args[key]
    return opts


def _compare_models(ctx: Context, exp: Any, opts: dict[str, Any]) -> list[Any]:
    """Alembic's autogenerate comparison of the models against the schema at head, with
    the project's own settings (what `migrate` would write)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    opts = dict(opts)
    engine = create_engine(exp.scratch_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts=opts)
            return list(compare_metadata(mc, ctx.project.metadata()))
    finally:
        engine.dispose()


def created_by(ctx: Context, upto: tuple[str, ...]) -> dict[str, str]:
    """Which revision (the last one, up to ``upto``) made each table, column, index and
    named constraint, read from the revision files."""
    assert ctx.graph is not None
    found: dict[str, str] = {}
    for rev in ctx.graph.upgrade_order(upto) if upto else []:
        rf = ctx.graph.file(rev)
        for op in rf.ops("upgrade") if rf is not None else []:
            table = op.table
            if op.name == "create_table" and table:
                found[table] = rev
                for arg in op.args[1:]:
                    name = getattr(arg, "args", ())[:1]
                    if getattr(arg, "name", "") == "Column" and name and isinstance(name[0], str):
                        found[f"{table}.{name[0]}"] = rev
            elif op.name in ("add_column", "alter_column") and table:
                column = op.get("column")
                name = column.arg(0) if hasattr(column, "arg") else op.get("column_name")
                if isinstance(name, str):
                    found[f"{table}.{name}"] = rev
            elif op.name.startswith("create_") and table:
                name = op.args[0] if op.args else None
                name = getattr(name, "args", (name,))[0] if name is not None else None
                if isinstance(name, str):
                    found[f"{table}.{name}"] = rev
    return found
