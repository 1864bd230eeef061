"""A disk cache of what revision files declare, keyed by path, size and mtime.

Reading a long history is mostly parsing; a file that has not changed since the last run
is not parsed again. The cache lives in the user's cache directory (never in the
project), holds no database data, and is skipped when it cannot be read or written.
``MIGRATE_DOCTOR_NO_CACHE=1`` turns it off; ``MIGRATE_DOCTOR_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from .. import __version__

FORMAT = f"1:{__version__}"


def cache_dir() -> Path | None:
    if os.environ.get("MIGRATE_DOCTOR_NO_CACHE"):
        return None
    if os.environ.get("MIGRATE_DOCTOR_CACHE_DIR"):
        return Path(os.environ["MIGRATE_DOCTOR_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "migrate-doctor"


def _file(dirs: list[Path], kind: str = "scripts") -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    key = hashlib.sha1("\0".join(str(d) for d in dirs).encode()).hexdigest()[:20]
    return root / f"{kind}-{key}.pickle"


def stat_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def load(dirs: list[Path], kind: str = "scripts", stamp: str = "") -> dict[Any, Any]:
    """The cached entries of one project (``dirs``) for one kind of result."""
    path = _file(dirs, kind)
    if path is None or not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = pickle.load(fh)
    except Exception:  # noqa: BLE001 - a stale or broken cache is simply not used
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT + stamp:
        return {}
    return data.get("files", {})


def save(dirs: list[Path], files: dict[Any, Any], kind: str = "scripts", stamp: str = "") -> None:
    path = _file(dirs, kind)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".scripts-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump({"format": FORMAT + stamp, "files": files}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
