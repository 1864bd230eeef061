"""One mechanism for checks and rules: a module registers itself with a decorator,
its docstring is its documentation, and its function yields Hits that become Findings."""

from __future__ import annotations

import importlib
import textwrap
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .model import Finding, Location, Severity

C = TypeVar("C")

# The headings of a check's or rule's docstring
SECTIONS = ("what it finds", "why it matters", "example", "use instead", "fix")


@dataclass(frozen=True)
class Hit:
    """What a check or rule found, before it is stamped with its id and severity."""

    message: str
    fix: str | None = None
    location: Location | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the registered severity for this hit


@dataclass(frozen=True)
class Entry(Generic[C]):
    id: str
    severity: Severity
    title: str
    function: Callable[[C], Iterable[Hit]]
    doc: str
    module: str
    options: dict[str, Any] = field(default_factory=dict)

    def run(self, context: C) -> Iterator[Finding]:
        for hit in self.function(context) or ():
            yield Finding(self.id, hit.severity or self.severity, self.title, hit.message,
                          hit.fix, hit.location, hit.evidence)

    def section(self, name: str) -> str:
        """A section of the docstring, e.g. "Fix" or "Why it matters"."""
        out: list[str] = []
        inside = False
        for line in self.doc.splitlines():
            heading = line.strip().rstrip(":").lower() if line.strip().endswith(":") else None
            if heading in SECTIONS:
                inside = heading == name.lower()
                continue
            if inside:
                out.append(line)
        return textwrap.dedent("\n".join(out)).strip()


class Registry(Generic[C]):
    """Entries discovered from every module of one package."""

    def __init__(self, package: str) -> None:
        self.package = package
        self._entries: dict[str, Entry[C]] = {}
        self._loaded = False

    def register(self, id: str, severity: Severity, title: str,
                 **options: Any) -> Callable[[Callable[[C], Iterable[Hit]]], Callable[[C], Iterable[Hit]]]:
        def decorate(function: Callable[[C], Iterable[Hit]]) -> Callable[[C], Iterable[Hit]]:
            if id in self._entries:
                raise RuntimeError(f"{id} is registered twice")
            module = importlib.import_module(function.__module__)
            self._entries[id] = Entry(id, severity, title, function,
                                      (module.__doc__ or "").strip(), function.__module__, options)
            return function
        return decorate

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        pkg = importlib.import_module(self.package)
        for info in pkgutil.iter_modules(pkg.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{self.package}.{info.name}")

    def all(self) -> list[Entry[C]]:
        self._load()
        return list(self._entries.values())

    def get(self, id: str) -> Entry[C] | None:
        self._load()
        return self._entries.get(id)
