"""Running the user's code (the app, its factory, env.py, a revision file) so that nothing
it does can break the report: whatever it raises, ``sys.exit()`` included, comes back as
a value; what it prints is kept apart from our output; it writes no bytecode into the
project; and a load that takes long is announced.

A ``KeyboardInterrupt`` is the user's Ctrl-C only when a SIGINT arrived while the code ran;
then it is raised again. Raised by the code itself, it is a failure like any other.
"""

from __future__ import annotations

import contextlib
import io
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
SLOW_AFTER = 2.0  # seconds before a load is announced
Notify = Callable[[str], None]

_notify: Notify | None = None


def set_progress(notify: Notify | None) -> None:
    """Where to announce a slow load (the CLI passes a stderr writer; the API stays silent)."""
    global _notify
    _notify = notify


@dataclass
class Outcome(Generic[T]):
    value: T | None
    error: BaseException | None
    output: str  # what the code printed, stdout and stderr interleaved

    def output_tail(self, lines: int = 12) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


class _Interrupts:
    """Notes a real SIGINT while user code runs (main thread only)."""

    def __init__(self) -> None:
        self.seen = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.getsignal(signal.SIGINT)
                signal.signal(signal.SIGINT, self._handler)
                self._installed = True
            except (ValueError, OSError):  # pragma: no cover - no signals here
                pass
        return self

    def _handler(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)


@contextlib.contextmanager
def _announce(what: str) -> Iterator[None]:
    notify = _notify
    if notify is None:
        yield
        return
    timer = threading.Timer(SLOW_AFTER, notify, args=(f"migrate-doctor: still loading {what} ...",))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def run_user_code(fn: Callable[[], T], what: str, *, loading: bool = False) -> Outcome[T]:
    """Call ``fn`` (user code) and return what happened; never raises but the user's Ctrl-C.
    ``loading``: this is the project being loaded (the app, env.py), announced when slow."""
    buffer = io.StringIO()
    bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    with _Interrupts() as interrupts, (_announce(what) if loading else contextlib.nullcontext()):
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                value = fn()
        except KeyboardInterrupt as exc:
            if interrupts.seen:
                raise
            return Outcome(None, exc, buffer.getvalue())
        except BaseException as exc:  # noqa: BLE001 - user code: SystemExit included
            return Outcome(None, exc, buffer.getvalue())
        finally:
            sys.dont_write_bytecode = bytecode
    return Outcome(value, None, buffer.getvalue())


@contextlib.contextmanager
def no_logging_config() -> Iterator[None]:
    """``logging.config.fileConfig`` does nothing meanwhile: env.py's template call does not
    reconfigure (or close) the caller's logging."""
    import logging.config

    saved = logging.config.fileConfig
    logging.config.fileConfig = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        logging.config.fileConfig = saved  # type: ignore[assignment]


@contextlib.contextmanager
def quiet_side_effects() -> Iterator[None]:
    """While env.py runs only to say what it would configure: no logging reconfiguration,
    and SQLite files open read-only, so an env.py that connects even in offline mode
    creates no database file."""
    import sqlite3
    import sqlite3.dbapi2

    saved = (sqlite3.connect, sqlite3.dbapi2.connect)
    connect = _read_only_sqlite(saved[0])
    sqlite3.connect = sqlite3.dbapi2.connect = connect  # type: ignore[assignment]
    try:
        with no_logging_config():
            yield
    finally:
        sqlite3.connect, sqlite3.dbapi2.connect = saved  # type: ignore[assignment]


def _read_only_sqlite(connect: Callable[..., Any]) -> Callable[..., Any]:
    import os
    from urllib.parse import quote, unquote

    def read_only(database: Any, *args: Any, **kwargs: Any) -> Any:
        name = os.fspath(database) if isinstance(database, (str, os.PathLike)) else database
        if isinstance(name, str) and name and name != ":memory:":
            path = unquote(name[5:].split("?", 1)[0]) if name.startswith("file:") else name
            if not path.startswith(":memory") and "mode=memory" not in name \
                    and not os.path.exists(path):
                # a file that does not exist yet: env.py gets an empty database, as it
                # would get a new file, and none is created
                kwargs.pop("uri", None)
                return connect(":memory:", *args, **kwargs)
            if kwargs.get("uri") or name.startswith("file:"):
                if "mode=" not in name:
                    name += ("&" if "?" in name else "?") + "mode=ro"
            else:
                name = f"file:{quote(os.path.abspath(name))}?mode=ro"
            kwargs["uri"] = True
        return connect(name, *args, **kwargs)

    return read_only
