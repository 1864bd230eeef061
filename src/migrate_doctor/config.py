"""`[tool.migrate-doctor]` in pyproject.toml: select, ignore, severity, start-after."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .model import Severity

KEYS = {"select", "ignore", "severity", "start-after"}


@dataclass
class LintConfig:
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    start_after: str | None = None
    path: Path | None = None


def find_pyproject(start: Path) -> Path | None:
    for directory in [start, *start.parents]:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path) -> LintConfig:
    path = find_pyproject(start.resolve())
    if path is None:
        return LintConfig()
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason}); TOML "
                         "files must be UTF-8", f"save {path} as UTF-8") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path} cannot be read: {exc}", f"fix the TOML syntax of {path}") from None
    section: dict[str, Any] = data.get("tool", {}).get("migrate-doctor", {})
    unknown = set(section) - KEYS
    if unknown:
        raise UsageError(f"{path}: unknown key(s) in [tool.migrate-doctor]: {', '.join(sorted(unknown))}",
                         f"use only {', '.join(sorted(KEYS))}")
    cfg = LintConfig(path=path)
    if "select" in section:
        cfg.select = set(_strings(section["select"], "select", path))
    cfg.ignore = set(_strings(section.get("ignore", []), "ignore", path))
    for rule_id, level in dict(section.get("severity", {})).items():
        try:
            cfg.severity[rule_id] = Severity(level)
        except ValueError:
            raise UsageError(f"{path}: severity of {rule_id} must be error, warning or info, not {level!r}",
                             f'[tool.migrate-doctor.severity] {rule_id} = "warning"') from None
    start_after = section.get("start-after")
    if start_after is not None and not isinstance(start_after, str):
        raise UsageError(f"{path}: start-after must be a revision id string", 'start-after = "abc123"')
    cfg.start_after = start_after
    return cfg


def _strings(value: Any, key: str, path: Path) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path}: {key} must be a list of rule ids", f'{key} = ["drop-column"]')
    return value
