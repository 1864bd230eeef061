"""The Flask adapter: load the app (never letting it crash us) and read Flask-Migrate."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..errors import AppNotFound, DoctorError, MigrationsDirMissing
from .alembic_config import locations_from_ini
from .exceptions import classify
from .loaded import Project
from .provenance import EnvRead, recording_environ, trace_url, unset_note
from .user_code import Outcome, run_user_code

_OUTCOME = "_migrate_doctor_load"  # where load_app_once keeps its answer on the ScriptInfo


def load_app_once(script_info: Any) -> tuple[Outcome[Any], list[EnvRead]]:
    """Load the app through Flask's ScriptInfo, once per ScriptInfo, as user code (nothing
    it raises, prints or exits escapes), recording the environment variables it reads.
    `flask db` resolves its group with it, and the project loader reuses the answer."""
    kept = getattr(script_info, _OUTCOME, None)
    if kept is not None:
        return kept
    name = script_info.app_import_path or os.environ.get("FLASK_APP")
    with recording_environ() as reads:
        outcome = run_user_code(script_info.load_app, f"app {name!r}" if name else "app", loading=True)
    kept = (outcome, list(reads))
    setattr(script_info, _OUTCOME, kept)
    return kept


def load_flask_project(script_info: Any, directory: str | None = None) -> Project:
    """Load the app named by FLASK_APP/--app through Flask's own ScriptInfo."""
    from flask.cli import NoAppException

    name = script_info.app_import_path or os.environ.get("FLASK_APP")
    project = Project(kind="flask", app_name=name)
    what = f"app {name!r}" if name else "app"
    started = time.time()
    loaded, reads = load_app_once(script_info)
    if isinstance(loaded.error, NoAppException):
        exc = loaded.error
        error = _retry_import(name) if "While importing" in str(exc) else None
        if error is None and name is None:
            error = AppNotFound(
                "no Flask app to load: FLASK_APP is not set, --app was not given, and there is "
                "no app.py or wsgi.py here (and no alembic.ini)",
                "export FLASK_APP=yourpackage (or pass --app yourpackage:create_app), or run "
                "from the directory holding alembic.ini")
        elif error is None:
            error = AppNotFound(f"Flask could not load the app {name!r}: {exc.format_message().splitlines()[0]}",
                                "check FLASK_APP / --app: module name, factory name, working directory")
        project.problems.append(error)
        _fallback_directory(project, directory)
        return project
    if loaded.error is not None:  # the user's module or factory may raise (or exit) anything
        project.problems.append(classify(loaded.error, what, set(), loaded.output))
        _fallback_directory(project, directory)
        return project

    app = loaded.value
    project.app_name = name or app.import_name
    project.app = app
    with recording_environ() as more:
        read = run_user_code(lambda: _in_context(app, project, directory, reads + more), what, loading=True)
    if read.error is not None:
        project.problems.append(classify(read.error, what, set(), read.output))
    _remove_created_instance_folder(app, started)
    return project


def _in_context(app: Any, project: Project, directory: str | None,
                reads: list[EnvRead]) -> None:
    with app.app_context():
        _read_app(app, project, directory, reads)


def _remove_created_instance_folder(app: Any, started: float) -> None:
    """Flask-SQLAlchemy creates the app's instance/ folder for a relative SQLite URL when
    the app is set up: a read-only run leaves no such trace behind."""
    path = getattr(app, "instance_path", None)
    try:
        if path and os.path.isdir(path) and not os.listdir(path) \
                and os.stat(path).st_ctime >= started - 1:
            os.rmdir(path)
    except OSError:
        pass


def _retry_import(name: str | None) -> DoctorError | None:
    """Flask folds an ImportError inside the app into text; import again to see the line."""
    if not name:
        return None
    module = name.split(":", 1)[0].removesuffix(".py").replace("/", ".")
    outcome = run_user_code(lambda: __import__(module), f"app {name!r}", loading=True)
    if outcome.error is not None:
        return classify(outcome.error, f"app {name!r}", set(), outcome.output)
    return None


def _fallback_directory(project: Project, directory: str | None) -> None:
    """Even when the app cannot load, the scripts can still be checked."""
    path = Path(directory or "migrations")
    if path.is_dir():
        project.migrations_dir = path.resolve()
        project.version_dirs = [project.migrations_dir / "versions"]


def _read_app(app: Any, project: Project, directory: str | None,
              reads: list[EnvRead]) -> None:
    migrate = app.extensions.get("migrate")
    sqla = app.extensions.get("sqlalchemy")
    db = getattr(migrate, "db", None) or sqla
    configured = getattr(migrate, "directory", None) if migrate else None
    path = Path(directory or configured or "migrations")
    if not path.is_absolute():
        path = Path(app.root_path).parent / path if not path.exists() else path
    if migrate is None:
        project.problems.append(MigrationsDirMissing(
            f"the app {project.app_name!r} does not set up Flask-Migrate",
            "add `migrate = Migrate(app, db)` (or migrate.init_app(app, db)) to the app factory"))
    project.migrations_dir = path.resolve()
    project.source_root = Path(app.root_path)
    project.configure_args = dict(getattr(migrate, "configure_args", {}) or {})
    project.version_table = project.configure_args.get("version_table", "alembic_version")
    project.version_table_schema = project.configure_args.get("version_table_schema")
    project.config_file = project.migrations_dir / "alembic.ini"
    dirs, recursive = locations_from_ini(project.config_file, project.migrations_dir)
    project.version_dirs, project.recursive = dirs, recursive

    configured_uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    uri = configured_uri
    if db is not None:
        try:
            engine = db.engine
            if not _same_url(configured_uri, engine.url):  # e.g. a SQLite path made absolute
                uri = engine.url.render_as_string(hide_password=False)
        except Exception:  # noqa: BLE001 - fall back to the raw config value
            pass
    project.url = uri if uri is None or isinstance(uri, str) else str(uri)
    project.url_source, project.url_evidence = _url_source(
        configured_uri if isinstance(configured_uri, str) else project.url, reads)
    project.engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if db is not None:
        metadata = db.metadata
        project._metadata_loader = lambda: metadata


def _same_url(text: Any, url: Any) -> bool:
    """Whether the configured text names exactly the engine's URL (then the text, as the
    user wrote it, is what we show: no re-encoding such as %2F)."""
    from sqlalchemy.engine import make_url

    if not isinstance(text, str):
        return False
    try:
        return make_url(text) == url
    except Exception:  # noqa: BLE001
        return False


def _url_source(config_value: str | None, reads: list[EnvRead]) -> tuple[str, dict[str, Any]]:
    source = "app.config['SQLALCHEMY_DATABASE_URI']"
    traced, evidence = trace_url(config_value, reads)
    if traced:
        return f"{source}, {traced}", evidence
    if not config_value:
        return source, evidence
    note = unset_note(evidence)
    if os.environ.get("DATABASE_URL") and "DATABASE_URL" not in {r.name for r in reads}:
        return (f"{source}, a value set in the app's code (DATABASE_URL is set but the app "
                f"never reads it){note}"), evidence
    return f"{source}, a value set in the app's code (from no environment variable){note}", evidence
