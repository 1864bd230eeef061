"""Where the database URL came from, read from what the user's code really did.

While the app (or env.py) loads, every read of ``os.environ`` (``os.environ[...]``,
``.get()``, ``os.getenv()``, ``in``) is recorded with the value it returned. The URL the
project ends up with is then traced back to the variable that was read: the same value,
the same database after a rewrite (``postgres://`` to ``postgresql://``, a driver added),
or parts of it (host, user, database from separate variables). A variable that was never
read is never named as the source, and a URL-like variable the code read but that is not
set is said so (a misspelled name). Values that came from ``.env`` / ``.flaskenv`` are
said to come from that file.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .dotenv_files import dotenv_file_of

_URLISH = re.compile(r"(DATABASE|_URL$|_URI$|DSN|_DB$|^DB_|SQLALCHEMY)", re.I)
_DB_PART = re.compile(r"(DB|DATABASE|POSTGRES|^PG|MYSQL|MARIADB|SQL)", re.I)
_lock = threading.Lock()


@dataclass(frozen=True)
class EnvRead:
    name: str
    value: str | None  # None: the variable was read but is not set


@contextlib.contextmanager
def recording_environ() -> Iterator[list[EnvRead]]:
    """Record the reads of ``os.environ`` made inside the block. The class method is
    wrapped, so references to ``os.environ`` taken before the block are seen too."""
    cls = type(os.environ)
    reads: list[EnvRead] = []
    with _lock:
        original = cls.__getitem__

        def getitem(self: Any, key: str) -> str:
            try:
                value = original(self, key)
            except KeyError:
                if self is os.environ and isinstance(key, str):
                    reads.append(EnvRead(key, None))
                raise
            if self is os.environ and isinstance(key, str):
                reads.append(EnvRead(key, value))
            return value

        cls.__getitem__ = getitem  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        with _lock:
            cls.__getitem__ = original  # type: ignore[method-assign]


def _parts(url: str) -> dict[str, str] | None:
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url.replace("postgres://", "postgresql://", 1))
    except Exception:  # noqa: BLE001 - not a URL
        return None
    parts = {k: str(v) for k, v in (("host", u.host), ("port", u.port), ("database", u.database),
                                    ("username", u.username), ("password", u.password)) if v}
    for key, value in u.query.items():  # host=/run/postgresql, sslmode=...
        parts[f"query.{key}"] = value if isinstance(value, str) else ",".join(value)
    return parts


def trace_url(url: str | None, reads: list[EnvRead]) -> tuple[str | None, dict[str, Any]]:
    """(how the URL came from the environment, evidence) — (None, ...) when no variable
    that was read gives it."""
    evidence: dict[str, Any] = {}
    unset = sorted({r.name for r in reads if r.value is None and _URLISH.search(r.name)})
    if unset:
        evidence["unset_variables_read"] = unset
    if not url:
        return None, evidence
    values = {r.name: r.value for r in reads if r.value}
    for name, value in values.items():
        if value == url:
            return _named(name, value, "", evidence)
    target = _parts(url)
    if target and (target.get("database") or target.get("host")):
        for name, value in values.items():
            if "://" in value and _parts(value) == target:
                return _named(name, value, " (rewritten by the project's code)", evidence)
        used = [name for name, value in values.items()
                if len(value) >= 2 and value in target.values() and _DB_PART.search(name)]
        if used:
            evidence["variables"] = used
            return ("built from the environment variables " + ", ".join(used)), evidence
    return None, evidence


def _named(name: str, value: str, how: str,
           evidence: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    evidence["variable"] = name
    where = dotenv_file_of(name, value)
    if where:
        evidence["dotenv_file"] = where
        return f"from {name} in {where}{how}", evidence
    return f"from the environment variable {name}{how}", evidence


def unset_note(evidence: dict[str, Any]) -> str:
    unset = evidence.get("unset_variables_read") or []
    if not unset:
        return ""
    names = ", ".join(unset)
    return (f" (it read {names}, which {'is' if len(unset) == 1 else 'are'} not set"
            + _set_instead(unset) + ")")


def _set_instead(unset: list[str]) -> str:
    """A set variable whose name is close to an unset one that was read: a likely typo."""
    import difflib

    for name in unset:
        close = difflib.get_close_matches(name, [k for k in os.environ if _URLISH.search(k)],
                                          n=1, cutoff=0.8)
        if close:
            return f"; {close[0]} is set: a misspelled name?"
    return ""
