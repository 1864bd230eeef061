"""Find and read the revision files of a migrations directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .revision_file import RevisionFile


@dataclass
class ScriptSet:
    """Every revision file of a project, in file-name order."""

    migrations_dir: Path
    version_dirs: list[Path]
    files: list[RevisionFile] = field(default_factory=list)

    @property
    def readable(self) -> list[RevisionFile]:
        """Files that parsed and declare a revision id."""
        return [f for f in self.files if f.problem is None and f.revision]

    def by_revision(self) -> dict[str, RevisionFile]:
        """The first file for each revision id (duplicates are a finding of their own)."""
        out: dict[str, RevisionFile] = {}
        for f in self.readable:
            out.setdefault(f.revision or "", f)
        return out


def revision_paths(version_dirs: list[Path], recursive: bool = False) -> list[Path]:
    seen: set[Path] = set()
    paths: list[Path] = []
    for directory in version_dirs:
        if not directory.is_dir():
            continue
        candidates = directory.rglob("*.py") if recursive else directory.glob("*.py")
        for path in sorted(candidates):
            if path.name.startswith(("__", ".", "#")) or "__pycache__" in path.parts:
                continue
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                paths.append(path)
    return paths


def read_scripts(migrations_dir: Path, version_dirs: list[Path] | None = None,
                 recursive: bool = False) -> ScriptSet:
    dirs = version_dirs or [migrations_dir / "versions"]
    return ScriptSet(migrations_dir, dirs, [RevisionFile(p) for p in revision_paths(dirs, recursive)])
