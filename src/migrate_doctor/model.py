"""The plain data every command reports through: Finding, Report and friends."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Phase(str, enum.Enum):
    """Where a revision belongs in an expand/contract deploy."""

    EXPAND = "expand"
    CONTRACT = "contract"
    DATA = "data"
    MIXED = "mixed"
    NONE = "none"


@dataclass(frozen=True)
class Location:
    path: str
    line: int | None = None
    end_line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "end_line": self.end_line,
                "column": self.column}


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    title: str
    message: str
    fix: str | None = None
    location: Location | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "fix": self.fix,
            "location": self.location.to_dict() if self.location else None,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ProjectInfo:
    kind: str  # "flask" or "alembic"
    migrations: str | None
    revisions: int = 0
    heads: tuple[str, ...] = ()
    app: str | None = None
    config_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "migrations": self.migrations, "revisions": self.revisions,
                "heads": list(self.heads), "app": self.app, "config_file": self.config_file}


@dataclass(frozen=True)
class DatabaseInfo:
    url: str  # always masked
    dialect: str
    current: tuple[str, ...] = ()
    server_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "dialect": self.dialect, "current": list(self.current),
                "server_version": self.server_version}


@dataclass
class Report:
    command: str
    project: ProjectInfo | None = None
    database: DatabaseInfo | None = None
    findings: list[Finding] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def has_errors(self) -> bool:
        return self.count(Severity.ERROR) > 0

    def exit_code(self, strict: bool = False) -> int:
        if self.has_errors or (strict and self.count(Severity.WARNING)):
            return 1
        return 0

    def summary(self) -> dict[str, int]:
        return {s.value: self.count(s) for s in Severity}

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: -f.severity.rank)

    def to_dict(self) -> dict[str, Any]:
        from . import __version__

        out: dict[str, Any] = {
            "tool": {"name": "migrate-doctor", "version": __version__, "command": self.command},
            "project": self.project.to_dict() if self.project else None,
            "database": self.database.to_dict() if self.database else None,
            "findings": [f.to_dict() for f in self.sorted_findings()],
            "summary": self.summary(),
        }
        out.update(self.extra)
        return out
