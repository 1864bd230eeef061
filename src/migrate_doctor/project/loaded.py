"""A loaded project: where its migrations are, which database, which models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..database.url import mask_url, url_secrets
from ..errors import DoctorError

if TYPE_CHECKING:
    from sqlalchemy import MetaData


@dataclass
class Project:
    kind: str  # "flask" or "alembic"
    migrations_dir: Path | None = None
    version_dirs: list[Path] = field(default_factory=list)
    recursive: bool = False
    app_name: str | None = None
    app: Any = field(default=None, repr=False)  # the loaded Flask app
    config_file: Path | None = None
    url: str | None = None  # secret: never shown, use masked_url
    url_source: str | None = None
    url_evidence: dict[str, Any] = field(default_factory=dict)  # the variable it came from, ...
    url_override: str | None = None  # --url: wins over what the project says, env.py included
    version_table: str = "alembic_version"
    version_table_schema: str | None = None
    engine_options: dict[str, Any] = field(default_factory=dict)
    configure_args: dict[str, Any] = field(default_factory=dict)
    env_configured: bool = False  # env.py ran as far as context.configure()
    env_url: str | None = None  # secret: the URL env.py itself passed to configure()
    source_root: Path | None = None  # where the project's own modules live (models, ...)
    # Problems met while loading: each becomes a finding (app-import-error, ...).
    problems: list[DoctorError] = field(default_factory=list)
    _metadata_loader: Callable[[], MetaData | None] | None = None
    _metadata: Any = field(default=None, repr=False)
    _metadata_loaded: bool = False
    # env.py is run once, when something first needs what it says (URL, metadata, ...)
    _env_reader: Callable[[Project], None] | None = None

    def ensure_env(self) -> None:
        reader, self._env_reader = self._env_reader, None
        if reader is not None:
            reader(self)

    @property
    def masked_url(self) -> str:
        return mask_url(self.url)

    @property
    def secrets(self) -> set[str]:
        return url_secrets(self.url)

    @property
    def dialect(self) -> str | None:
        from ..database.url import dialect_of

        return dialect_of(self.url)

    def metadata(self) -> MetaData | None:
        """The target metadata (models), loaded once on first use."""
        if not self._metadata_loaded:
            self._metadata_loaded = True
            self._metadata = self._metadata_loader() if self._metadata_loader else None
        return self._metadata

    def has_problem(self, error_id: str) -> bool:
        return any(p.id == error_id for p in self.problems)

    def cmd(self, command: str) -> str:
        """How the user runs an Alembic command for this project: Flask-Migrate's
        ``migrate`` is ``revision --autogenerate`` under plain Alembic."""
        if self.kind == "flask":
            return f"flask db {command}"
        if command == "migrate" or command.startswith("migrate "):
            command = "revision --autogenerate" + command[len("migrate"):]
        cfg = f" -c {self.config_file}" if self.config_file and self.config_file.name != "alembic.ini" else ""
        return f"alembic{cfg} {command}"
