"""The expected schema: what the migrations produce at a revision, replayed into a scratch
database, reflected, and cached by the content of every revision file on the path (and
env.py, the dialect and the server's major version): a second run replays nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..database.schema import Schema, snapshot
from ..project.loaded import Project
from ..scripts.graph import Graph


def path_key(project: Project, graph: Graph, revisions: tuple[str, ...], dialect: str,
             server_version: str | None) -> str:
    """A digest of everything the schema at ``revisions`` depends on."""
    digest = hashlib.sha256()
    major = (server_version or "").split(".")[0]
    digest.update(f"{dialect}:{major}:{project.version_table}:{sorted(revisions)}".encode())
    order = graph.upgrade_order(revisions) if revisions else []
    for rev in order:
        rf = graph.file(rev)
        digest.update(rev.encode())
        if rf is not None:
            digest.update(hashlib.sha1(rf.text.encode()).digest())
    env = (project.migrations_dir / "env.py") if project.migrations_dir else None
    if env is not None and env.is_file():
        digest.update(env.read_bytes())
    return digest.hexdigest()[:32]


def _cache_dirs(project: Project) -> list[Path]:
    return [project.migrations_dir or Path.cwd()]


def cached(project: Project, key: str) -> Schema | None:
    from ..scripts import cache

    found = cache.load(_cache_dirs(project), "expected").get(key)
    return found if isinstance(found, dict) else None


def store(project: Project, key: str, schema: Schema) -> None:
    from ..scripts import cache

    known = cache.load(_cache_dirs(project), "expected")
    known[key] = schema
    if len(known) > 64:  # keep the newest few
        for old in list(known)[:-64]:
            known.pop(old, None)
    cache.save(_cache_dirs(project), known, "expected")


@dataclass
class Expected:
    """Expected schemas of one project, built on demand in one scratch database that is
    only ever upgraded (so asking for the current revision, then head, replays once)."""

    project: Project
    graph: Graph
    dialect: str
    server_version: str | None
    scratch_factory: Any  # () -> context manager yielding a Scratch
    replayed: int = 0  # revisions actually run (0 when everything came from the cache)
    scratch_how: str | None = None
    _scratch: Any = None
    _stack: Any = None
    _at: tuple[str, ...] = ()
    _cache: dict[str, Schema] = field(default_factory=dict)

    def at(self, revisions: tuple[str, ...]) -> Schema:
        """The schema at ``revisions`` (``()`` = an empty database at base)."""
        key = path_key(self.project, self.graph, revisions, self.dialect, self.server_version)
        if key in self._cache:
            return self._cache[key]
        found = cached(self.project, key)
        if found is None:
            found = self._replay(revisions)
            store(self.project, key, found)
        self._cache[key] = found
        return found

    def _replay(self, revisions: tuple[str, ...]) -> Schema:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        from .runner import upgrade

        if self._scratch is None or not self._reachable_from_here(revisions):
            self.close()
            import contextlib

            self._stack = contextlib.ExitStack()
            self._scratch = self._stack.enter_context(self.scratch_factory())
            self.scratch_how = self._scratch.how
            self._at = ()
        before = set(self.graph.upgrade_order(self._at)) if self._at else set()
        target = revisions if revisions else ()
        for rev in target:  # one branch after another (a single revision: a plain upgrade)
            upgrade(self.project, self._scratch.url, rev)
        if target:
            self.replayed += len(set(self.graph.upgrade_order(target)) - before)
        self._at = target
        engine = create_engine(self._scratch.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return snapshot(conn, {self.project.version_table},
                                self.project.version_table_schema)
        finally:
            engine.dispose()

    def _reachable_from_here(self, revisions: tuple[str, ...]) -> bool:
        """Whether the scratch database, now at ``self._at``, can be upgraded to them."""
        if not self._at:
            return True
        below = set().union(*(self.graph.ancestors(r) for r in revisions)) if revisions else set()
        return set(self._at) <= below

    @property
    def scratch_url(self) -> str | None:
        return self._scratch.url if self._scratch is not None else None

    def close(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = self._scratch = None

    def __enter__(self) -> Expected:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def each_revision(graph: Graph) -> Iterator[str]:
    yield from graph.upgrade_order("heads")
