"""`[tool.migrate-doctor]` in pyproject.toml: select, ignore, severity, start-after, deploy
(lint); lock-timeout, statement-timeout, lock-retries (apply)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .model import Severity

KEYS = {"select", "ignore", "severity", "start-after", "deploy", "lock-timeout",
        "statement-timeout", "lock-retries"}
DEPLOYS = ("online", "stopped")
LOCK_TIMEOUT = 2.0  # seconds apply waits for a lock, per statement, unless configured


@dataclass
class LintConfig:
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    start_after: str | None = None
    # "online": the application runs while it migrates (rolling or continuous deploys);
    # "stopped": every service is stopped first, so the rules about locks and the running
    # release (registered online=True) do not run
    deploy: str = "online"
    path: Path | None = None
    # apply: seconds (None: no limit)
    lock_timeout: float | None = LOCK_TIMEOUT
    statement_timeout: float | None = None
    lock_retries: int = 3


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
    deploy = section.get("deploy", "online")
    if deploy not in DEPLOYS:
        raise UsageError(f"{path}: deploy must be \"online\" or \"stopped\", not {deploy!r}",
                         'deploy = "stopped"   # services are stopped while the database migrates')
    cfg.deploy = deploy
    for name in ("lock-timeout", "statement-timeout"):
        if name in section:
            setattr(cfg, name.replace("-", "_"), duration(section[name], f"{path}: {name}"))
    if "lock-retries" in section:
        retries = section["lock-retries"]
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise UsageError(f"{path}: lock-retries must be a whole number >= 0, not {retries!r}",
                             "lock-retries = 3")
        cfg.lock_retries = retries
    return cfg


def duration(value: Any, where: str) -> float | None:
    """Seconds from ``2``, ``2.5``, ``"2s"``, ``"500ms"``, ``"1min"``; ``0`` / ``"none"``
    mean no limit."""
    import re

    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|min|m)?\s*", str(value).lower())
        if str(value).strip().lower() in ("none", "off"):
            return None
        if m is None:
            raise UsageError(f"{where} must be a duration such as 2, \"2s\", \"500ms\" or "
                             f"\"none\", not {value!r}", 'lock-timeout = "2s"')
        unit = {"ms": 0.001, "min": 60.0, "m": 60.0}.get(m.group(2) or "s", 1.0)
        seconds = float(m.group(1)) * unit
    if seconds < 0:
        raise UsageError(f"{where} cannot be negative ({value!r})", 'lock-timeout = "2s"')
    return seconds or None


def _strings(value: Any, key: str, path: Path) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path}: {key} must be a list of rule ids", f'{key} = ["drop-column"]')
    return value
