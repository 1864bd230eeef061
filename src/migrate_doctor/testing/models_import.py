"""``model-module-not-imported``: import every module of the project that may define models
and see which mapped classes (or tables) appear on the target metadata only then.

Only modules whose text mentions a mapping (``__tablename__``, ``Table(``,
``mapped_column``, ``Column(``, ``db.Model``) are imported, never ``setup.py``,
``conftest.py`` or a ``__main__``: importing is running the project's code. Tables the
import adds are taken off the metadata again afterwards, so the models stay as the app
registers them (the mapped classes themselves stay defined).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_MARKERS = ("__tablename__", "Table(", "mapped_column", "Column(", ".Model)")
_NEVER = {"setup.py", "conftest.py", "__main__.py", "manage.py", "noxfile.py", "fabfile.py"}
MAX_MODULES = 500


@dataclass
class Unregistered:
    module: str  # dotted name
    path: str
    classes: list[str]  # "Bar (bar)" ...
    tables: list[str]


def candidate_modules(root: Path, skip: Path | None) -> list[tuple[str, Path]]:
    """(dotted name, file) of the project's modules that may define models."""
    from ..checks.models_not_registered import _SKIP, module_name

    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith(".")
                         and (skip is None or os.path.realpath(os.path.join(folder, d))
                              != os.path.realpath(skip)))
        for name in sorted(files):
            if not name.endswith(".py") or name in _NEVER or name.startswith("test_"):
                continue
            path = Path(folder) / name
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if any(marker in text for marker in _MARKERS):
                found.append((module_name(str(path), root), path))
            if len(found) >= MAX_MODULES:
                return found
    return found


def unregistered(project: Any) -> tuple[list[Unregistered], list[str]]:
    """The modules that map tables the app's metadata lacks until they are imported, and
    the modules that could not be imported (as "module: error")."""
    metadata = project.metadata()
    root = project.source_root
    if metadata is None or root is None or not root.is_dir():
        return [], []
    metas = metadata if isinstance(metadata, (list, tuple)) else [metadata]
    before = {id(m): set(m.tables) for m in metas}
    base = str(root.parent if (root / "__init__.py").is_file() else root)
    failures: list[str] = []
    added_path = base not in sys.path
    if added_path:
        sys.path.insert(0, base)
    found: dict[str, Unregistered] = {}
    try:
        for dotted, path in candidate_modules(root, project.migrations_dir):
            loaded = sys.modules.get(dotted)
            if loaded is not None and _same_file(loaded, path):
                continue  # the app (or env.py) imported it
            tables_before = {id(m): set(m.tables) for m in metas}
            error = _import_fresh(dotted) if loaded is not None else _import(dotted)
            if error is not None:
                failures.append(f"{dotted}: {error}")
                continue
            new = sorted({t for m in metas for t in m.tables if t not in tables_before[id(m)]})
            if new:
                found[dotted] = Unregistered(dotted, _display(path), _classes(metas, new), new)
    finally:
        if added_path:
            sys.path.remove(base)
        for m in metas:  # the app's metadata as the app registers it
            for name in [t for t in m.tables if t not in before[id(m)]]:
                m.remove(m.tables[name])
    return list(found.values()), failures


def _import(dotted: str) -> str | None:
    import importlib

    from ..project.user_code import run_user_code

    outcome = run_user_code(lambda: importlib.import_module(dotted), f"the module {dotted}")
    if outcome.error is None:
        return None
    exc = outcome.error
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _same_file(module: Any, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    return bool(file) and os.path.realpath(file) == os.path.realpath(path)


def _import_fresh(dotted: str) -> str | None:
    """Import ``dotted`` from this project while a module of that name from elsewhere is
    loaded (another project in the same process): that one is put back afterwards."""
    parts = dotted.split(".")
    names = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    try:
        return _import(dotted)
    finally:
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def _classes(metas: list[Any], tables: list[str]) -> list[str]:
    """The mapped classes of these tables, as "Class (table)"."""
    try:
        from sqlalchemy.orm.mapper import _mapper_registries
    except ImportError:  # pragma: no cover - SQLAlchemy moved it
        return []
    wanted = {(id(m), t) for m in metas for t in tables}
    out: list[str] = []
    for registry in list(_mapper_registries):
        for mapper in list(registry.mappers):
            table = getattr(mapper, "local_table", None)
            meta = getattr(table, "metadata", None)
            if table is not None and (id(meta), getattr(table, "key", None)) in wanted:
                out.append(f"{mapper.class_.__name__} ({table.name})")
    return sorted(set(out))


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
