"""Turn an exception raised by user code into a typed error naming the user's line."""

from __future__ import annotations

import os
import re
import sysconfig
import traceback
from pathlib import Path

from ..database.url import redact
from ..errors import AppImportError, DatabaseUrlInvalid, DatabaseUrlMissing, DoctorError
from ..model import Location

_LIBRARY_ROOTS = tuple(
    {str(Path(p).resolve()) for k in ("stdlib", "platstdlib", "purelib", "platlib")
     if (p := sysconfig.get_paths().get(k))}
)
_URLISH = re.compile(r"(DATABASE|_URL$|_URI$|DSN|_DB$|^DB_)", re.I)


def user_frame(exc: BaseException) -> Location | None:
    """The innermost traceback frame that is in the user's code, not a library's."""
    found: Location | None = None
    pkg_root = str(Path(__file__).resolve().parents[1])
    for frame in traceback.extract_tb(exc.__traceback__):
        path = str(Path(frame.filename).resolve()) if frame.filename else ""
        if not path or path.startswith(_LIBRARY_ROOTS) or path.startswith(pkg_root) \
                or frame.filename.startswith("<"):
            continue
        found = Location(_display(path), frame.lineno)
    if isinstance(exc, SyntaxError) and exc.filename:
        found = Location(_display(exc.filename), exc.lineno)
    return found


def _display(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def _missing_env(exc: BaseException) -> str | None:
    """The variable name when ``os.environ['X']`` raised KeyError."""
    if not isinstance(exc, KeyError) or not exc.args or not isinstance(exc.args[0], str):
        return None
    frames = traceback.extract_tb(exc.__traceback__)
    # os is a frozen module on Python 3.11+: its frames are named "<frozen os>"
    if frames and (frames[-1].filename == "<frozen os>" or Path(frames[-1].filename).name == "os.py"):
        return exc.args[0]
    return None


def classify(exc: BaseException, what: str, secrets: set[str], output: str = "") -> DoctorError:
    """``what`` says what was being loaded, e.g. "app 'shop'" or "env.py"; ``output`` is
    what the code printed meanwhile (kept as evidence: it often says why)."""
    error = _classify(exc, what, secrets)
    if output.strip():
        tail = "\n".join(output.rstrip().splitlines()[-12:])
        error.evidence["output"] = redact(tail, secrets)
    return error


def _exit_message(exc: SystemExit | KeyboardInterrupt, what: str, where: str,
                  text: str) -> tuple[str, str]:
    if isinstance(exc, KeyboardInterrupt):
        return (f"loading the {what} raised KeyboardInterrupt{where} (not a Ctrl-C of yours)",
                "find what raises KeyboardInterrupt while the module is imported")
    code = exc.code
    if code is None or isinstance(code, int):
        said = f"sys.exit({code if code is not None else ''})"
        return (f"loading the {what} called {said}{where}: it stopped before the app or "
                "env.py was ready, so nothing about this project can be known, and a deploy "
                "gate must not pass",
                "make the module importable without exiting (move the exit into a "
                "`if __name__ == \"__main__\":` block or a CLI command)")
    return (f"loading the {what} exited{where} saying: {text}",
            "give it what it asks for (usually an environment variable in the shell or "
            "service that runs the command), or make it not exit while being imported")


def _classify(exc: BaseException, what: str, secrets: set[str]) -> DoctorError:
    loc = user_frame(exc)
    where = f" at {loc}" if loc else ""
    text = redact(" ".join(str(exc).split()) or type(exc).__name__, secrets)
    evidence: dict[str, object] = {"exception": type(exc).__name__}
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        if isinstance(exc, SystemExit):
            evidence["exit_code"] = exc.code if isinstance(exc.code, (int, type(None))) else text
        message, fix = _exit_message(exc, what, where, text)
        return AppImportError(message, fix, location=loc, evidence=evidence)
    var = _missing_env(exc)
    if var and _URLISH.search(var):
        return DatabaseUrlMissing(
            f"the environment variable {var} is not set: loading the {what} read it{where}",
            f"export {var}=dialect+driver://user:password@host/dbname in the shell or service "
            "that runs the command",
            location=loc, evidence={**evidence, "variable": var})
    if var:
        return AppImportError(
            f"loading the {what} failed{where}: the environment variable {var} is not set",
            f"export {var}=... in the shell or service that runs the command",
            location=loc, evidence={**evidence, "variable": var})
    if "SQLALCHEMY_DATABASE_URI" in text and "must be set" in text:
        return DatabaseUrlMissing(
            f"SQLALCHEMY_DATABASE_URI is not set when the {what} is created{where}",
            "set app.config['SQLALCHEMY_DATABASE_URI'] (usually from os.environ['DATABASE_URL'])",
            location=loc, evidence=evidence)
    name = type(exc).__name__
    if name == "ArgumentError" and "URL" in text or name == "NoSuchModuleError":
        fix = "write the URL as dialect+driver://user:password@host/dbname"
        if "postgres" in text and "postgresql" not in text.replace("postgres:", ""):
            fix = "write postgresql:// instead of postgres://"
        return DatabaseUrlInvalid(f"the database URL is not valid{where}: {text}", fix,
                                  location=loc, evidence=evidence)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        evidence["module"] = exc.name
        return AppImportError(f"loading the {what} failed{where}: {name}: {text}",
                              _install_fix(exc.name, loc, evidence), location=loc,
                              evidence=evidence)
    if isinstance(exc, ImportError) and "greenlet" in text:
        return AppImportError(
            f"loading the {what} failed{where}: {name}: {text}",
            "install SQLAlchemy's asyncio support in the environment the command runs in: "
            "pip install 'sqlalchemy[asyncio]'", location=loc, evidence=evidence)
    return AppImportError(
        f"loading the {what} failed{where}: {name}: {text}",
        f"fix the error at {loc}" if loc else "run the app once (python -c 'import ...') to see the error",
        location=loc, evidence=evidence)



def _install_fix(module: str, loc: Location | None, evidence: dict[str, object]) -> str:
    """What to install for a missing module: named from the project's own requirements
    or the installed distributions, never guessed from the module's name."""
    from .distributions import provider_of

    start = Path(loc.path).resolve().parent if loc else None
    found = provider_of(module, start)
    top = module.split(".", 1)[0]
    venv = "in the environment the command runs in (or activate the project's virtualenv)"
    if found.kind == "project":
        evidence["project_module"] = _display(found.name or top)
        if module == top:
            return (f"`{top}` is the project's own code ({_display(found.name or top)}) but is "
                    "not importable from here: run the command from the project root, or put "
                    "that directory on the path (prepend_sys_path = . in alembic.ini, or "
                    "PYTHONPATH)")
        return (f"`{module}` is not in the project's `{top}` ({_display(found.name or top)}): "
                "fix the import, or restore the module it names")
    if found.kind == "installed":
        evidence["distribution"] = found.name
        return (f"{found.name} is installed but has no module `{module}`: install the version "
                f"the project needs (pip install -U {found.name}) {venv}")
    if found.kind == "requirement":
        evidence["distribution"] = found.name
        source = _display(found.source or "requirements.txt")
        install = (f"pip install -r {source}" if source.endswith(".txt")
                   else f"pip install {found.name}")
        return (f"install {found.name} (listed in {source}; it provides module `{top}`) "
                f"{venv}: {install}")
    return (f"install the package that provides module `{top}` {venv}; its name on PyPI may "
            "differ from the module's")
