"""The revision graph: problems found in the nodes, then Alembic's RevisionMap."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

from .directory import ScriptSet
from .revision_file import RevisionFile


@dataclass
class GraphProblems:
    # (file, missing id, is it a depends_on rather than a down_revision)
    dangling: list[tuple[RevisionFile, str, bool]] = field(default_factory=list)
    cycle: tuple[str, ...] = ()
    # (label, the file that declares it again, the revision that has it first)
    label_conflicts: list[tuple[str, RevisionFile, str]] = field(default_factory=list)


class Graph:
    """Graph questions over a project's revisions, answered by Alembic's RevisionMap.

    The nodes are checked first (references to missing revisions), and the faulty
    references are left out so that the rest of the graph can still be used; of files
    that declare the same id (ScriptSet.duplicates) the first one stands.
    """

    def __init__(self, scripts: ScriptSet) -> None:
        from alembic.script.revision import Revision, RevisionError, RevisionMap

        self.scripts = scripts
        self.problems = GraphProblems()
        self.files: dict[str, RevisionFile] = scripts.by_revision()
        owner: dict[str, str] = {}  # branch label -> the revision that declares it
        kept_labels: dict[str, tuple[str, ...]] = {}
        for rev, f in self.files.items():
            kept = []
            for label in f.branch_labels:
                first = owner.get(label) or (label if label in self.files else None)
                if first is not None:  # Alembic: "Branch name ... already used by revision"
                    self.problems.label_conflicts.append((label, f, first))
                    continue
                owner[label] = rev
                kept.append(label)
            kept_labels[rev] = tuple(kept)
        labels = set(owner)

        nodes: list[Revision] = []
        for rev, f in self.files.items():
            down = []
            for d in f.down_revisions:
                if d in self.files and d != rev:
                    down.append(d)
                else:
                    self.problems.dangling.append((f, d, False))
            deps = []
            for d in f.depends_on:
                if (d in self.files or d in labels) and d != rev:
                    deps.append(d)
                else:
                    self.problems.dangling.append((f, d, True))
            nodes.append(Revision(rev, tuple(down) or None, tuple(deps) or None,
                                  kept_labels[rev] or None))
        self._map = RevisionMap(lambda: nodes)
        self.ok = True
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._map.heads  # noqa: B018 - builds the map, detects cycles
        except RevisionError as exc:
            self.ok = False
            revisions = getattr(exc, "revisions", None) or [
                getattr(exc, "revision", None) or str(exc)]
            self.problems.cycle = tuple(str(r) for r in revisions)

    @property
    def revision_map(self):  # noqa: ANN201 - alembic.script.revision.RevisionMap
        return self._map

    @cached_property
    def heads(self) -> tuple[str, ...]:
        return tuple(self._map.heads) if self.ok else ()

    @cached_property
    def bases(self) -> tuple[str, ...]:
        return tuple(self._map.bases) if self.ok else ()

    def ancestors(self, rev: str) -> set[str]:
        """The revision and every revision below it."""
        if not self.ok:
            return set()
        return {r.revision for r in self._map.iterate_revisions(rev, "base")}

    def upgrade_order(self, upper: tuple[str, ...] | str = "heads",
                      lower: tuple[str, ...] | str = "base") -> list[str]:
        """Revisions above ``lower`` up to ``upper``, in the order upgrade runs them."""
        if not self.ok:
            return list(self.files)
        lower_arg = lower if lower else "base"
        revs = self._map.iterate_revisions(upper, lower_arg, implicit_base=True)
        order = [r.revision for r in revs]
        order.reverse()
        if isinstance(lower_arg, tuple):
            order = [r for r in order if r not in lower_arg]
        return order

    def common_ancestors(self, revs: tuple[str, ...]) -> list[str]:
        """The nearest revisions that every one of ``revs`` descends from."""
        if not revs or not self.ok:
            return []
        sets = [self.ancestors(r) for r in revs]
        common = set.intersection(*sets)
        below = set()
        for c in common:
            below |= self.ancestors(c) - {c}
        return sorted(common - below)

    def file(self, rev: str) -> RevisionFile | None:
        return self.files.get(rev)
