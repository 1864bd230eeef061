"""The plain Alembic adapter: alembic.ini, script_location, and env.py run offline
just far enough to learn the URL and target_metadata it passes to configure()."""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path
from typing import Any

from ..errors import (AppNotFound, ConfigInvalid, DatabaseUrlInvalid, DatabaseUrlMissing, DoctorError,
                      MigrationsDirMissing)
from .exceptions import classify
from .loaded import Project
from .provenance import recording_environ, trace_url, unset_note
from .user_code import quiet_side_effects, run_user_code


def _read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(defaults={"here": str(path.parent.resolve())})
    parser.read(path, encoding="utf-8")
    return parser


def _option(parser: configparser.ConfigParser, name: str, section: str = "alembic") -> str | None:
    if not parser.has_section(section):
        return None
    return parser.get(section, name, fallback=None)


def _split_paths(value: str, separator: str | None) -> list[str]:
    if separator == "os":
        return [p for p in value.split(os.pathsep) if p.strip()]
    if separator in ("space", "newline"):
        return value.split()
    if separator in (";", ":"):
        return [p for p in value.split(separator) if p.strip()]
    return [p for p in re.split(r"[\s,]+", value) if p]


def locations_from_ini(ini: Path | None, migrations_dir: Path) -> tuple[list[Path], bool]:
    """Version directories and recursive_version_locations from an ini, if it has them."""
    default = [migrations_dir / "versions"]
    if ini is None or not ini.is_file():
        return default, False
    try:
        parser = _read_ini(ini)
        value = _option(parser, "version_locations")
        recursive = (_option(parser, "recursive_version_locations") or "").lower() in ("true", "1", "yes")
        separator = _option(parser, "path_separator") or _option(parser, "version_path_separator")
    except (configparser.Error, UnicodeDecodeError):
        return default, False
    if not value:
        return default, recursive
    return [_resolve(p, ini.parent) for p in _split_paths(value, separator)], recursive


def _resolve(value: str, base: Path) -> Path:
    path = Path(value)
    if path.is_absolute():
        return path
    if Path.cwd().joinpath(path).exists():  # Alembic resolves relative to the working dir
        return Path.cwd().joinpath(path).resolve()
    return base.joinpath(path).resolve()


def load_alembic_project(config: str | None, directory: str | None = None,
                         run_env: bool = True, url: str | None = None) -> Project:
    """Read alembic.ini; env.py runs now (``run_env``) or on first need (``ensure_env``)."""
    ini = Path(config or "alembic.ini")
    project = Project(kind="alembic", config_file=ini, url_override=url,
                      source_root=ini.resolve().parent)
    if not ini.is_file():
        project.problems.append(AppNotFound(
            f"no Flask app (FLASK_APP/--app) and no {ini} to load",
            "export FLASK_APP=yourpackage or pass --app, or pass -c path/to/alembic.ini"))
        return project
    try:
        parser = _read_ini(ini)
        location = directory or _option(parser, "script_location")
    except (configparser.Error, UnicodeDecodeError) as exc:
        project.problems.append(_ini_error(ini, exc))
        return project
    if not location:
        project.problems.append(MigrationsDirMissing(
            f"{ini} has no script_location in its [alembic] section",
            "add `script_location = %(here)s/migrations` under [alembic]"))
        return project
    project.migrations_dir = _resolve(location, ini.parent)
    if not project.migrations_dir.is_dir():
        source = "--directory" if directory else f"script_location in {ini}"
        fix = (f"run from the directory alembic.ini expects, fix script_location, or create it "
               f"with `alembic init {location}`")
        if project.migrations_dir.is_file():
            fix = (f"{location} is a file: pass the migrations directory to -d/--directory, or "
                   f"an ini file to -c/--config (-c {location})")
        project.problems.append(MigrationsDirMissing(
            f"the migrations directory {location} ({source}) does not exist"
            + (" (it is a file)" if project.migrations_dir.is_file() else ""), fix))
        return project
    project.version_dirs, project.recursive = locations_from_ini(ini, project.migrations_dir)
    try:
        project.url = _option(parser, "sqlalchemy.url")
        project.url_source = f"sqlalchemy.url in {ini}" if project.url else None
    except configparser.Error as exc:
        project.problems.append(_ini_error(ini, exc))
    if url:
        project.url, project.url_source = url, "the --url option"
    project._env_reader = read_env
    if run_env:
        project.ensure_env()
    return project


def _ini_error(ini: Path, exc: configparser.Error | UnicodeDecodeError) -> DoctorError:
    if isinstance(exc, UnicodeDecodeError):
        return ConfigInvalid(
            f"{ini} is not UTF-8 text (byte {exc.start}: {exc.reason}); Alembic reads it as UTF-8",
            f"save {ini} as UTF-8 (e.g. iconv -f latin1 -t utf-8 {ini} -o {ini}.new && "
            f"mv {ini}.new {ini})", evidence={"file": str(ini)})
    text = " ".join(str(exc).split())
    if isinstance(exc, configparser.InterpolationError):
        option = getattr(exc, "option", None) or "?"
        section = getattr(exc, "section", None) or "alembic"
        if option == "sqlalchemy.url":
            return DatabaseUrlInvalid(
                f"{ini}: the value of {option} contains a '%' that configparser reads as "
                "interpolation (invalid interpolation syntax)",
                "write each '%' as '%%' in alembic.ini, or set the URL from the environment in "
                "env.py instead of alembic.ini",
                evidence={"option": option})
        return ConfigInvalid(
            f"{ini}: the value of {option} in [{section}] contains a '%' that configparser "
            "reads as interpolation (invalid interpolation syntax)",
            f"write each literal '%' in {option} as '%%', or use %(here)s for the ini's "
            "directory", evidence={"option": option, "section": section})
    return ConfigInvalid(f"{ini} cannot be read: {text}", f"fix the ini syntax of {ini}",
                         evidence={"file": str(ini)})


class _Configured(Exception):
    """Raised from configure() to stop env.py once it has said what it would use."""


def read_env(project: Project) -> None:
    """Run env.py offline until it calls configure(): the URL, target_metadata and
    version table it would use, kept on the project. env.py gets the Config exactly as
    `alembic` builds it (file name included); only logging.config.fileConfig is made a
    no-op meanwhile, so running it does not reconfigure the caller's logging."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    assert project.config_file is not None
    captured: dict[str, Any] = {}

    def configure(*args: Any, **kw: Any) -> None:
        captured.update(kw)
        captured["_called"] = True
        connection = kw.get("connection")
        if connection is not None:
            captured["url"] = connection.engine.url.render_as_string(hide_password=False)
        raise _Configured

    def run() -> None:
        cfg = Config(str(project.config_file))
        cfg.file_config  # noqa: B018 - parse errors surface here, as our own
        if project.url_override:
            cfg.set_main_option("sqlalchemy.url", project.url_override.replace("%", "%%"))
        script = ScriptDirectory.from_config(cfg)
        # Alembic installs the `alembic.context` proxies per class (a subclass gets none),
        # so the capturing configure() goes on the instance, which the proxy then exposes.
        environment = EnvironmentContext(cfg, script, fn=lambda rev, context: [], as_sql=True,
                                         output_buffer=_NullBuffer(), dont_mutate=True)
        environment.configure = configure  # type: ignore[method-assign]
        with environment, quiet_side_effects():
            try:
                script.run_env()
            except _Configured:
                pass

    with recording_environ() as reads:
        outcome = run_user_code(run, "env.py", loading=True)
    exc = outcome.error
    if isinstance(exc, configparser.Error) or (  # the ini is where to fix it, read by env.py or not
            isinstance(exc, UnicodeDecodeError) and not _raised_in_env(exc)):
        error = _ini_error(project.config_file, exc)
        if not project.has_problem(error.id):  # already met reading the ini ourselves
            project.problems.append(error)
        return
    if exc is not None:
        project.problems.append(classify(exc, "env.py", project.secrets, outcome.output))
        return
    url = captured.get("url")
    if url is not None and not isinstance(url, str):
        url = url.render_as_string(hide_password=False)
    project.env_url = url
    if project.url_override:
        project.url, project.url_source = project.url_override, "the --url option"
    elif url and url != project.url:
        project.url = url
        traced, project.url_evidence = trace_url(url, reads)
        project.url_source = f"env.py, {traced}" if traced else "env.py" + unset_note(
            project.url_evidence)
    elif url:
        traced, evidence = trace_url(url, reads)
        if traced:  # env.py read the same value from the environment as the ini holds
            project.url_source, project.url_evidence = f"env.py, {traced}", evidence
    if not project.url and not captured.get("dialect_name"):
        project.problems.append(DatabaseUrlMissing(
            f"no database URL: {project.config_file} has no sqlalchemy.url and env.py passes none",
            f"set sqlalchemy.url in {project.config_file}, or have env.py read it from the "
            "environment: url = os.environ['DATABASE_URL']"))
    for key in ("version_table", "version_table_schema"):
        if captured.get(key):
            setattr(project, key, captured[key])
    project.configure_args = {k: v for k, v in captured.items()
                              if k not in ("url", "connection", "_called")}
    project.env_configured = bool(captured.get("_called"))
    metadata = captured.get("target_metadata")
    if isinstance(metadata, (list, tuple)):
        metadata = metadata[0] if metadata else None
    project._metadata_loader = lambda: metadata


def _raised_in_env(exc: BaseException) -> bool:
    """Whether the error came from env.py's own code rather than from reading the ini."""
    from .exceptions import user_frame

    loc = user_frame(exc)
    return loc is not None and loc.path.endswith("env.py")


class _NullBuffer:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass
