"""Which package provides a module that could not be imported.

A module's name is not its package's name (`jwt` is PyJWT, `yaml` PyYAML, `PIL` Pillow),
so `pip install <module>` is often wrong and sometimes installs something else. The
answer comes, in this order, from:

1. the project itself: a directory or file of that name in the project means the
   project's own module is missing, not a package;
2. the installed distributions (`importlib.metadata.packages_distributions()`), for a
   submodule missing from a package that is installed;
3. the project's own requirements (requirements*.txt, pyproject.toml), matching each
   requirement's name to the modules it is known or likely to provide.

Otherwise nothing is guessed: "the package that provides module `jwt`".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Requirement names whose top-level module is not their own name, lower-cased and
# normalised with "-". Only what cannot be derived from the name itself.
KNOWN = {
    "pyjwt": ("jwt",), "pyyaml": ("yaml",), "pillow": ("PIL",), "beautifulsoup4": ("bs4",),
    "python-dateutil": ("dateutil",), "psycopg2-binary": ("psycopg2",),
    "psycopg-binary": ("psycopg",), "psycopg2cffi": ("psycopg2",),
    "mysqlclient": ("MySQLdb",), "mysql-connector-python": ("mysql",),
    "scikit-learn": ("sklearn",), "opencv-python": ("cv2",), "opencv-python-headless": ("cv2",),
    "pycryptodome": ("Crypto",), "pycryptodomex": ("Cryptodome",), "pyopenssl": ("OpenSSL",),
    "python-magic": ("magic",), "python-slugify": ("slugify",), "protobuf": ("google",),
    "attrs": ("attr", "attrs"), "pymongo": ("pymongo", "bson", "gridfs"),
    "python-jose": ("jose",), "python-multipart": ("multipart", "python_multipart"),
    "email-validator": ("email_validator",), "msgpack-python": ("msgpack",),
    "pyzmq": ("zmq",), "google-cloud-storage": ("google",), "setuptools": ("setuptools", "pkg_resources"),
    "typing-extensions": ("typing_extensions",), "sentry-sdk": ("sentry_sdk",),
}
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_SKIP_DIRS = {".git", ".venv", "venv", "env", "node_modules", "__pycache__", ".tox", "site-packages"}


@dataclass(frozen=True)
class Provider:
    kind: str  # "project" | "installed" | "requirement" | "unknown"
    name: str | None = None  # the distribution (or the project path)
    source: str | None = None  # the file that lists it


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def likely_modules(requirement: str) -> set[str]:
    """The top-level modules a requirement of this name is known or likely to provide."""
    norm = normalise(requirement)
    found = set(KNOWN.get(norm, ()))
    base = norm.replace("-", "_")
    found.update({base, base.removeprefix("python_"), base.removesuffix("_binary")})
    if norm.startswith("flask-"):
        found.add("flask_" + norm[6:].replace("-", "_"))
    return {m for m in found if m}


def requirements(root: Path) -> list[tuple[str, str]]:
    """(requirement name, file) from requirements*.txt and pyproject.toml under root."""
    out: list[tuple[str, str]] = []
    for path in sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt")):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-"):
                continue
            m = _REQ_NAME.match(line)
            if m:
                out.append((m.group(1), path.name))
    out.extend(_pyproject(root / "pyproject.toml"))
    return out


def _pyproject(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        return []
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    specs = list(project.get("dependencies", []) or [])
    for extra in (project.get("optional-dependencies") or {}).values():
        specs.extend(extra or [])
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    specs.extend(name for name in (poetry.get("dependencies") or {}) if name != "python")
    names = [m.group(1) for s in specs if isinstance(s, str) and (m := _REQ_NAME.match(s))]
    return [(n, path.name) for n in names]


def project_roots(start: Path) -> list[Path]:
    """The directory and its parents up to the repository (or filesystem) root, at most 4."""
    roots = []
    for path in [start, *start.parents][:4]:
        roots.append(path)
        if (path / ".git").exists() or (path / "pyproject.toml").is_file():
            break
    return roots


def provider_of(module: str, start: Path | None = None) -> Provider:
    top = module.split(".", 1)[0]
    roots = project_roots((start or Path.cwd()).resolve())
    for root in roots:
        if (root / top).is_dir() or (root / f"{top}.py").is_file():
            return Provider("project", str(root / top))
    try:
        from importlib.metadata import packages_distributions

        installed = packages_distributions().get(top)
    except Exception:  # noqa: BLE001 - a broken installed distribution
        installed = None
    if installed:
        return Provider("installed", installed[0])
    for root in roots:
        for name, source in requirements(root):
            if top in likely_modules(name):
                return Provider("requirement", name, str(root / source))
    return Provider("unknown")
