"""A disk cache of what revision files declare, keyed by path, size and mtime.

Reading a long history is mostly parsing; a file that has not changed since the last run
is not parsed again. The cache lives in the user's cache directory (never in the
project), holds no database data, and is skipped when it cannot be read or written.
``MIGRATE_DOCTOR_NO_CACHE=1`` turns it off; ``MIGRATE_DOCTOR_CACHE_DIR`` moves it.

A cache directory may be shared or restored from elsewhere (a CI cache), so what is read
back can never run code: the format is JSON, whose objects are rebuilt only into plain
values and the few dataclasses registered here; a header carries the format version and
a checksum of the body. Anything unexpected is a miss, never an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .. import __version__

def _code_stamp() -> str:
    """A digest of the code that reads revision files and SQL: a cache written by other code
    (a development checkout, an edited install) is a miss, whatever the version says."""
    digest = hashlib.sha1()
    here = Path(__file__).resolve().parent
    for path in sorted([*here.glob("*.py"), here.parent / "rules" / "_sql.py"]):
        try:
            digest.update(path.read_bytes())
        except OSError:
            pass
    return digest.hexdigest()[:12]


FORMAT = f"2:{__version__}:{_code_stamp()}"
MAGIC = "migrate-doctor-cache"
_TYPES: dict[str, type] = {}


class _Miss(Exception):
    """The cache holds something this version does not read."""


def register(cls: type) -> type:
    """Allow a (frozen) dataclass in the cache; usable as a class decorator."""
    _TYPES[cls.__name__] = cls
    return cls


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"#t": [_encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("#") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"#d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    name = type(value).__name__
    if _TYPES.get(name) is type(value) and dataclasses.is_dataclass(value):
        return {"#c": name, "#f": {f.name: _encode(getattr(value, f.name))
                                   for f in dataclasses.fields(value) if f.init}}
    raise _Miss(f"cannot cache a {name}")


def _hook(obj: dict[str, Any]) -> Any:
    """Rebuild one JSON object (inner ones first): tagged ones into tuples, dicts with
    other keys and registered dataclasses; plain ones stay dicts."""
    if len(obj) == 1:
        if "#t" in obj:
            return tuple(obj["#t"])
        if "#d" in obj:
            return {_hashable(k): v for k, v in obj["#d"]}
    elif "#c" in obj:
        cls = _TYPES.get(obj["#c"])
        if cls is None or set(obj) != {"#c", "#f"}:
            raise _Miss("unexpected object in the cache")
        return cls(**obj["#f"])
    if any(k.startswith("#") for k in obj):
        raise _Miss("unexpected object in the cache")
    return obj


def _hashable(key: Any) -> Any:
    hash(key)  # a list or dict as a key is not something this program wrote
    return key


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
    return root / f"{kind}-{key}.json"


def stat_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def load(dirs: list[Path], kind: str = "scripts", stamp: str = "") -> dict[Any, Any]:
    """The cached entries of one project (``dirs``) for one kind of result."""
    path = _file(dirs, kind)
    if path is None:
        return {}
    try:
        raw = path.read_bytes()
        header, _, body = raw.partition(b"\n")
        magic, version, digest = header.decode("ascii").split(" ")
        if magic != MAGIC or version != FORMAT + stamp \
                or hashlib.sha256(body).hexdigest() != digest:
            return {}
        files = json.loads(body, object_hook=_hook)
    except Exception:  # noqa: BLE001 - missing, stale, broken or foreign: a miss
        return {}
    return files if isinstance(files, dict) else {}


def save(dirs: list[Path], files: dict[Any, Any], kind: str = "scripts", stamp: str = "") -> None:
    path = _file(dirs, kind)
    if path is None:
        return
    entries = []
    for k, v in files.items():  # an entry that cannot be written is left out, not the rest
        try:
            entries.append([_encode(k), _encode(v)])
        except (_Miss, RecursionError):
            continue
    try:
        body = json.dumps({"#d": entries}, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        return
    header = f"{MAGIC} {FORMAT + stamp} {hashlib.sha256(body).hexdigest()}\n".encode("ascii")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(header + body)
        os.replace(tmp, path)
    except OSError:
        pass
