""".flaskenv and .env, read the way `flask` reads them (python-dotenv, when installed).

`flask` looks for each file from the working directory upwards, reads `.flaskenv`
then `.env` (the latter wins), and sets only the variables not already in the
environment. The standalone CLI does the same (`load_like_flask`), and either way a value
the project read can be traced to the file it came from (`dotenv_file_of`).
"""

from __future__ import annotations

import os

_loaded: dict[str, str] = {}  # variable -> file, set by load_like_flask in this process


def _files() -> list[str]:
    try:
        import dotenv
    except ImportError:
        return []
    found = []
    for name in (".flaskenv", ".env"):
        try:
            path = dotenv.find_dotenv(name, usecwd=True)
        except OSError:  # pragma: no cover - an unreadable directory on the way up
            path = ""
        if path:
            found.append(path)
    return found


def _values(path: str) -> dict[str, str | None]:
    import dotenv

    try:
        return dict(dotenv.dotenv_values(path, encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def load_like_flask() -> dict[str, str]:
    """Set the variables of .flaskenv/.env that are not set yet (as `flask` does, unless
    FLASK_SKIP_DOTENV says not to). Returns variable -> file for the ones set."""
    skip = os.environ.get("FLASK_SKIP_DOTENV", "")
    if skip and skip.lower() not in ("0", "false", "no"):
        return {}
    data: dict[str, tuple[str | None, str]] = {}
    for path in _files():
        data.update({k: (v, path) for k, v in _values(path).items()})
    set_now: dict[str, str] = {}
    for key, (value, path) in data.items():
        if key in os.environ or value is None:
            continue
        os.environ[key] = value
        set_now[key] = path
    _loaded.update(set_now)
    return set_now


def dotenv_file_of(name: str, value: str) -> str | None:
    """The .env/.flaskenv file (as a path relative to the working directory) that the
    variable's current value came from, if any."""
    path = _loaded.get(name)
    if path is None:
        for candidate in reversed(_files()):  # .env wins over .flaskenv
            values = _values(candidate)
            if name in values:
                path = candidate if values[name] == value else None
                break
    if path is None:
        return None
    try:
        return os.path.relpath(path)
    except ValueError:
        return path
