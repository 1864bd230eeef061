"""One revision file, read from its syntax tree without importing it."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from .cache import register
from .expressions import Source
from .operations import Operation, collect_operations, is_empty_body, module_constants

HEADER_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
_MISSING = object()


@register
@dataclass(frozen=True)
class Import:
    module: str
    names: tuple[str, ...]
    line: int


class RevisionFile:
    """What a revision file declares: its header values and its two functions.

    ``problem`` is set when the file could not be read (a syntax error); header values
    that are not literals are resolved with Alembic's own loader, and listed in
    ``unresolved`` where that fails too.
    """

    # what snapshot() keeps, so that an unchanged file need not be parsed again
    CACHED = ("operations", "unresolved", "lines", "_values", "message", "function_lines",
              "upgrade_is_empty", "downgrade_is_empty", "imports", "create_date", "problem")

    def __init__(self, path: Path, text: str | None = None,
                 cached: dict[str, Any] | None = None) -> None:
        self.path = path
        self.problem: tuple[str, int | None] | None = None  # (message, line)
        self.unresolved: dict[str, str] = {}  # header name -> reason
        self.lines: dict[str, int] = {}
        self._values: dict[str, Any] = {}
        self._tree: ast.Module | None = None
        try:
            self.text = text if text is not None else read_source(path)
        except (OSError, UnicodeDecodeError, SyntaxError) as exc:
            self.text = ""
            reason = exc.msg if isinstance(exc, SyntaxError) else str(exc)
            self.problem = (f"cannot be read: {reason}", None)
            return
        if cached is not None:
            self.__dict__.update(cached)
            return
        if self.tree is not None:
            self._read_header()

    @property
    def tree(self) -> ast.Module | None:
        """The syntax tree, parsed on first use (a cached file may never need it)."""
        if self._tree is None and self.problem is None:
            try:
                self._tree = ast.parse(self.text, filename=str(self.path))
            except SyntaxError as exc:
                self.problem = (f"{exc.msg}", exc.lineno)
            except ValueError as exc:  # e.g. null bytes
                self.problem = (str(exc), None)
            except (RecursionError, MemoryError):
                self.problem = ("is nested too deeply for Python to compile (Alembic cannot "
                                "import it either)", None)
        return self._tree

    def snapshot(self) -> dict[str, Any] | None:
        """What to cache for this file; None when it must be read afresh each time
        (values that came from importing it)."""
        if self.unresolved:
            return None
        return {name: getattr(self, name) for name in self.CACHED}

    # -- header ---------------------------------------------------------------
    def _read_header(self) -> None:
        assert self.tree is not None
        pending: dict[str, ast.AST] = {}
        for node in self.tree.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            if isinstance(target, ast.Name) and target.id in HEADER_NAMES and value is not None:
                self.lines[target.id] = node.lineno
                try:
                    self._values[target.id] = ast.literal_eval(value)
                    pending.pop(target.id, None)
                except ValueError:
                    pending[target.id] = value
        if pending:
            self._resolve_by_import(sorted(pending))

    def _resolve_by_import(self, names: list[str]) -> None:
        """Fall back to Alembic's loader for values that are not literals."""
        from alembic.util import load_python_file

        from ..project.user_code import run_user_code

        outcome = run_user_code(lambda: load_python_file(str(self.path.parent), self.path.name),
                                f"the revision file {self.path.name}")
        module = outcome.value
        if outcome.error is not None:
            exc = outcome.error
            reason = f"{type(exc).__name__}: {exc}"
            for name in names:
                self.unresolved[name] = reason
            return
        for name in names:
            self._values[name] = getattr(module, name, None)

    def _tuple(self, name: str) -> tuple[str, ...]:
        value = self._values.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, (list, tuple, set, frozenset)):
            return tuple(str(v) for v in value)
        return (str(value),)

    @property
    def revision(self) -> str | None:
        value = self._values.get("revision")
        return value if isinstance(value, str) and value else None

    @property
    def down_revisions(self) -> tuple[str, ...]:
        return self._tuple("down_revision")

    @property
    def branch_labels(self) -> tuple[str, ...]:
        return self._tuple("branch_labels")

    @property
    def depends_on(self) -> tuple[str, ...]:
        return self._tuple("depends_on")

    @property
    def declares_revision(self) -> bool:
        return "revision" in self.lines

    @cached_property
    def message(self) -> str:
        """The first line of the module docstring (Alembic's revision message)."""
        if self.tree is None:
            return ""
        doc = ast.get_docstring(self.tree) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @cached_property
    def create_date(self) -> str | None:
        """``Create Date: 2024-03-01 10:00:00`` of Alembic's docstring, as ``2024-03-01``."""
        m = re.search(r"Create Date:\s*(\d{4}-\d{2}-\d{2})", self.text[:2000])
        return m.group(1) if m else None

    # -- body -----------------------------------------------------------------
    def function(self, name: str) -> ast.FunctionDef | None:
        if self.tree is None:
            return None
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return node
        return None

    @cached_property
    def function_lines(self) -> dict[str, int]:
        """Line of each top-level function, e.g. {"upgrade": 20, "downgrade": 30}."""
        if self.tree is None:
            return {}
        return {n.name: n.lineno for n in self.tree.body if isinstance(n, ast.FunctionDef)}

    @cached_property
    def upgrade_is_empty(self) -> bool:
        return is_empty_body(self.function("upgrade"))

    @cached_property
    def downgrade_is_empty(self) -> bool:
        return is_empty_body(self.function("downgrade"))

    @cached_property
    def operations(self) -> list[Operation]:
        ops: list[Operation] = []
        source = Source(self.text)
        try:
            constants = module_constants(self.tree, source) if self.tree is not None else {}
            for name in ("upgrade", "downgrade"):
                func = self.function(name)
                if func is not None:
                    ops.extend(collect_operations(func, source, self.tree, constants))
        except RecursionError:
            self.problem = ("is nested too deeply to be read (Alembic cannot import it "
                            "either)", None)
            return []
        return ops

    def ops(self, function: str = "upgrade") -> list[Operation]:
        return [o for o in self.operations if o.function == function]

    @cached_property
    def imports(self) -> list[Import]:
        """Every import statement, at module level or inside functions."""
        found: list[Import] = []
        if self.tree is None:
            return found
        for node in _statements(self.tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append(Import(alias.name, (), node.lineno))
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                found.append(Import(module, tuple(a.name for a in node.names), node.lineno))
        return found

    def __repr__(self) -> str:
        return f"RevisionFile({self.path.name!r}, revision={self.revision!r})"


def read_source(path: Path) -> str:
    """A Python file's text as Python reads it: a coding cookie and a UTF-8 BOM honoured."""
    import io
    import tokenize

    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding).removeprefix("\ufeff")


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements, nested ones included, without descending into expressions."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)  # type: ignore[arg-type]
