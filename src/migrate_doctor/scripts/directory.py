"""Find and read the revision files of a migrations directory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .revision_file import RevisionFile


@dataclass
class ScriptSet:
    """Every revision file of a project, in file-name order."""

    migrations_dir: Path
    version_dirs: list[Path]
    files: list[RevisionFile] = field(default_factory=list)
    # version directories that could not be listed, with the reason
    unreadable_dirs: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def readable(self) -> list[RevisionFile]:
        """Files that parsed and declare a revision id."""
        return [f for f in self.files if f.problem is None and f.revision]

    def duplicates(self) -> dict[str, list[RevisionFile]]:
        """Revision ids declared by more than one file, with every such file."""
        seen: dict[str, list[RevisionFile]] = {}
        for f in self.readable:
            seen.setdefault(f.revision or "", []).append(f)
        return {rev: files for rev, files in seen.items() if len(files) > 1}

    def by_revision(self) -> dict[str, RevisionFile]:
        """The first file for each revision id (duplicates are a finding of their own)."""
        out: dict[str, RevisionFile] = {}
        for f in self.readable:
            out.setdefault(f.revision or "", f)
        return out


def revision_paths(version_dirs: list[Path], recursive: bool = False,
                   problems: list[tuple[Path, str]] | None = None) -> list[Path]:
    """The revision files of the version directories. A directory that cannot be listed
    is added to ``problems``; an entry that cannot be inspected (a symlink loop) is kept,
    so that reading it names the problem."""
    seen: set[str] = set()
    paths: list[Path] = []
    for directory in version_dirs:
        try:
            if not directory.is_dir():
                continue
            candidates = _candidates(directory, recursive)
        except OSError as exc:
            if problems is not None:
                problems.append((directory, exc.strerror or str(exc)))
            continue
        for path in candidates:
            if path.name.startswith(("__", ".", "#")):
                continue
            # the same file reached through two version locations counts once
            real = os.path.realpath(path) if len(version_dirs) > 1 else str(path)
            if real not in seen:
                seen.add(real)
                paths.append(path)
    return paths


def _candidates(directory: Path, recursive: bool) -> list[Path]:
    if recursive:
        return sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)
    found = []
    with os.scandir(directory) as entries:
        for e in entries:
            if not e.name.endswith(".py"):
                continue
            try:
                keep = e.is_file()
            except OSError:  # a symlink loop, ...: reading it will say what is wrong
                keep = True
            if keep:
                found.append(Path(e.path))
    return sorted(found)


def read_scripts(migrations_dir: Path, version_dirs: list[Path] | None = None,
                 recursive: bool = False) -> ScriptSet:
    """Read every revision file; unchanged files come from the disk cache."""
    from . import cache

    dirs = version_dirs or [migrations_dir / "versions"]
    known = cache.load(dirs)
    fresh: dict[str, tuple[tuple[int, int], dict[str, object]]] = {}
    files: list[RevisionFile] = []
    misses = 0
    problems: list[tuple[Path, str]] = []
    for path in revision_paths(dirs, recursive, problems):
        key = cache.stat_key(path)
        entry = known.get(str(path))
        hit = entry is not None and entry[0] == key
        rf = RevisionFile(path, cached=entry[1] if hit and entry else None)
        files.append(rf)
        if hit and entry is not None:
            fresh[str(path)] = entry
            continue
        misses += 1
        snap = rf.snapshot() if key is not None else None
        if snap is not None and key is not None:
            fresh[str(path)] = (key, snap)
    if misses or len(fresh) != len(known):
        cache.save(dirs, fresh)
    return ScriptSet(migrations_dir, dirs, files, problems)
