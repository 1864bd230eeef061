"""What a rule may look at: one revision file, the history before it, and the target."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..checks._context import display_path
from ..model import Location, Severity
from ..registry import Hit
from ..scripts.expressions import Call, Name, Source, to_value
from ..scripts.operations import Operation
from ..scripts.revision_file import RevisionFile
from ._dataflow import DataFlow
from ._guards import skipped_lines
from ._history import History, key
from ._project import ProjectFacts
from ._sql import Statement, statements_of

_TABLE_PARAMS = ("table_name", "source_table", "old_table_name")
_GUARD_WORDS = re.compile(r"sqlite|postgres|mysql|mariadb|dialect|_pg\b|\bpg_", re.IGNORECASE)


@dataclass
class RuleContext:
    file: RevisionFile
    revision: str
    dialect: str | None  # Alembic's name: "postgresql", "mysql", "sqlite"; None = unknown
    server_version: tuple[int, ...] | None
    env_source: str
    history: History  # the schema as the revisions before this one left it
    facts: ProjectFacts = field(default_factory=ProjectFacts)  # env.py, for every revision
    # every readable revision file of the run, in upgrade order (for project-wide policies)
    files: tuple[RevisionFile, ...] = ()
    # "online": the application keeps running while it migrates; "stopped": every service
    # is stopped first (a cold upgrade), so no query waits on a lock and no old release runs
    deploy: str = "online"

    # -- the revision ----------------------------------------------------------
    @cached_property
    def path(self) -> str:
        return display_path(self.file.path)

    @cached_property
    def upgrade(self) -> list[Operation]:
        """upgrade()'s operations, less those behind a dialect test the target fails."""
        return self._running("upgrade")

    @cached_property
    def downgrade(self) -> list[Operation]:
        return self._running("downgrade")

    def _running(self, function: str) -> list[Operation]:
        ops = self.file.ops(function)
        if not ops or not _GUARD_WORDS.search(self.file.text):
            return ops
        dead = {line for start, end in skipped_lines(self.file.tree, self.dialect)
                for line in range(start, end + 1)}
        return [op for op in ops if op.line not in dead]

    @cached_property
    def assignments(self) -> dict[str, Any]:
        """Names assigned anywhere in the file (``status = sa.Enum(..., name=...)``); the
        last assignment wins."""
        found: dict[str, Any] = {}
        if self.file.tree is None:
            return found
        source = Source(self.file.text)
        for node in ast.walk(self.file.tree):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)):
                found[node.targets[0].id] = to_value(node.value, source)
        return found

    def resolve(self, value: Any) -> Any:
        """A plain Name assigned in this file (``status_enum``), replaced by its value.
        Dotted names (``sa.Integer``) are left alone, so most files are never parsed."""
        if isinstance(value, Name) and "." not in value.dotted \
                and f"{value.dotted} =" in self.file.text:
            return self.assignments.get(value.dotted, value)
        return value

    def table_name(self, name: str) -> str | None:
        """The table a variable stands for: ``users = sa.table("users", ...)``, also
        ``sa.Table("users", meta, autoload_with=bind)`` or a project helper named for it
        (``utils.load_table("users", connection)``)."""
        value = self.resolve(Name(name))
        if isinstance(value, Call) and "table" in value.name.lower():
            first = self.resolve(value.arg(0))  # also a constant: sa.Table(TABLE_NAME, ...)
            return first if isinstance(first, str) else None
        return None

    def table_of(self, op: Operation) -> str | None:
        """The op's table, also when it is a constant assigned in the file."""
        if op.table is not None:
            return op.table
        if op.is_batch:
            return None
        for param in _TABLE_PARAMS:
            value = self.resolve(op.get(param))
            if isinstance(value, str):
                return value
        return None

    def sql(self, op: Operation) -> list[Statement]:
        """The statements of an execute op, read once per op."""
        cache: dict[int, list[Statement]] = self.__dict__.setdefault("_sql", {})
        found = cache.get(id(op))
        if found is None:
            found = cache[id(op)] = statements_of(op, self.dialect, self.table_name)
        return found

    def executes(self, function: str = "upgrade") -> Iterator[tuple[Operation, Statement]]:
        for op in self.upgrade if function == "upgrade" else self.downgrade:
            for statement in self.sql(op):
                yield op, statement

    # -- the schema --------------------------------------------------------------
    def state_at(self, op: Operation | None) -> History:
        """The schema just before ``op`` runs: the history plus this revision's upgrade()
        ops before it (all of them when op is None). Read it at once: the object is moved
        forward by the next call (asked in upgrade order, the whole revision is replayed
        once, not once per question)."""
        if op is None:
            return self.after
        target = self.position(op)
        cursor = self.__dict__.get("_cursor")
        if cursor is None or cursor[0] > target:
            cursor = self.__dict__["_cursor"] = [0, self.history.copy()]
        state: History = cursor[1]
        while cursor[0] < target:
            other = self.upgrade[cursor[0]]
            state.apply(other, self.table_of(other), self.revision, self.sql(other), self.resolve)
            cursor[0] += 1
        return state

    def position(self, op: Operation) -> int:
        """The index of an upgrade() op (len(upgrade) for any other op)."""
        return self._position.get(id(op), len(self.upgrade))

    @cached_property
    def after(self) -> History:
        """The schema once this revision's upgrade() has run (a copy of its own)."""
        state = self.history.copy()
        for other in self.upgrade:
            state.apply(other, self.table_of(other), self.revision, self.sql(other), self.resolve)
        return state

    @cached_property
    def _created(self) -> dict[str, int]:
        """Tables this revision's upgrade() creates, with the position of the creating op."""
        created: dict[str, int] = {}
        for index, other in enumerate(self.upgrade):
            if other.name == "create_table" and self.table_of(other):
                created.setdefault(key(self.table_of(other) or ""), index)
            for s in self.sql(other):
                if s.kind == "create_table" and s.table:
                    created.setdefault(s.table, index)
        return created

    @cached_property
    def _position(self) -> dict[int, int]:
        return {id(op): index for index, op in enumerate(self.upgrade)}

    def is_new_table(self, table: str | None, op: Operation) -> bool:
        """True when the table was created by this revision, before op: it has no rows."""
        if table is None:
            return False
        at = self._created.get(key(table))
        return at is not None and at < self.position(op)

    def in_loop(self, op: Operation) -> bool:
        """Inside a loop over values known only when it runs (rows, batches); a loop over
        a literal list of tables is unrolled by the collector and does not count."""
        return op.in_loop

    @cached_property
    def flow(self) -> DataFlow:
        """What this upgrade() does with the data, step by step."""
        return DataFlow(self)

    # -- the file's own names for the modules a fix writes -------------------------
    @cached_property
    def module_names(self) -> dict[str, str]:
        """What the revision's module-level imports bind, by module: ``sqlalchemy`` ->
        ``sa`` for ``import sqlalchemy as sa`` (``sqlalchemy`` for a plain import),
        ``alembic.op`` -> ``op`` for ``from alembic import op``. A module imported only
        for some of its names (``from sqlalchemy import Column``) binds nothing here."""
        found: dict[str, str] = {}
        tree = self.file.tree
        if tree is None:
            return found
        nodes: list[ast.stmt] = []
        todo = list(tree.body)
        while todo:  # module level, also inside try / if (an import guarded there)
            node = todo.pop(0)
            nodes.append(node)
            if isinstance(node, (ast.Try, ast.If)):
                todo += [*node.body, *node.orelse,
                         *[s for h in getattr(node, "handlers", []) for s in h.body]]
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found.setdefault(alias.name, alias.asname)
                    elif "." not in alias.name:
                        found.setdefault(alias.name, alias.name)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    found.setdefault(f"{node.module}.{alias.name}", alias.asname or alias.name)
        return found

    @property
    def sa_alias(self) -> str | None:
        """The name the file gives the ``sqlalchemy`` module (``sa``, ``sqlalchemy``,
        ``sqla``, ...); None when it imports only names from it (then a fix that writes
        ``sa.`` imports it itself)."""
        return self.module_names.get("sqlalchemy")

    @property
    def op_alias(self) -> str:
        """The name the file gives ``alembic.op`` (``op`` unless imported otherwise)."""
        return self.module_names.get("alembic.op", "op")

    def in_file_names(self, fix: str) -> str:
        """A fix written with ``sa.`` and ``op.``, in the names this file imports: the
        part pasted into the revision (before ``_values.LATER``) uses the file's alias of
        sqlalchemy (or imports it, when the file has none) and of alembic.op. The later
        revision is a new file, made from the project's template: left as written."""
        from ._values import LATER

        first, sep, later = fix.partition(LATER)
        renames = {"op": self.op_alias}
        sa = self.sa_alias
        taken = {name for module, name in self.module_names.items() if module != "sqlalchemy"}
        if sa is not None:
            renames["sa"] = sa
        elif "sa" in taken and _uses(first, "sa"):
            renames["sa"] = "sqlalchemy"  # "sa" is something else here
        renames = {k: v for k, v in renames.items() if k != v}
        if renames:
            first = _rename_modules(first, renames)
        if sa is None and _uses(first, renames.get("sa", "sa")):
            name = renames.get("sa", "sa")
            line = "import sqlalchemy" if name == "sqlalchemy" else f"import sqlalchemy as {name}"
            first = f"{line}  # this revision imports no sqlalchemy module\n{first}"
        return first + sep + later

    def says(self, *words: str) -> str | None:
        """The first of ``words`` the author wrote in this revision's docstring or comments
        (``"unused"``, ``"empty"``: what the code alone cannot show)."""
        lowered = self._prose
        return next((w for w in words if re.search(rf"\b{re.escape(w)}", lowered)), None)

    @cached_property
    def _prose(self) -> str:
        doc = ast.get_docstring(self.file.tree) if self.file.tree is not None else None
        comments = [line.split("#", 1)[1] for line in self.file.text.splitlines()
                    if "#" in line and not line.lstrip().startswith(("revision", "down_revision"))]
        return " ".join([doc or "", *comments]).lower()

    def days_since_created(self, table: str | None) -> int | None:
        """Days between the revision that created ``table`` and this one (by their Create
        Dates), when both are known: a table created days before in the same release is
        most likely still empty where both are deployed together."""
        from datetime import date

        t = self.history.table(table)
        mine = self.file.create_date
        theirs = self.history.dates.get(t.revision) if t is not None else None
        if not (mine and theirs):
            return None
        try:
            return (date.fromisoformat(mine) - date.fromisoformat(theirs)).days
        except ValueError:
            return None

    # -- the target --------------------------------------------------------------
    @property
    def online(self) -> bool:
        """The application runs during the migration (locks queue its queries, the
        previous release reads the schema): False for ``deploy = "stopped"``."""
        return self.deploy != "stopped"

    @property
    def postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def version_below(self, *version: int) -> bool:
        """True only when the server version is known and lower than ``version``."""
        return self.server_version is not None and tuple(self.server_version) < version

    # -- output ------------------------------------------------------------------
    def location(self, at: Operation | int | None) -> Location:
        line = at.line if isinstance(at, Operation) else at
        end = at.end_line if isinstance(at, Operation) and at.end_line != at.line else None
        return Location(self.path, line, end)

    def hit(self, message: str, fix: str | None, at: Operation | int | None,
            severity: Severity | None = None, *, fix_at: tuple[str, int, int] | None = None,
            **evidence: Any) -> Hit:
        """A finding at ``at``. The fix replaces the lines of ``at`` (see rules/__init__);
        ``fix_at`` says otherwise: ("replace", first, last) or ("insert", before_line, 0)."""
        if fix_at is not None:
            evidence["fix_at"] = {"mode": fix_at[0], "start": fix_at[1], "end": fix_at[2]}
        if fix is not None:
            fix = self.in_file_names(fix)
        return Hit(message, fix, self.location(at),
                   {"revision": self.revision, **evidence}, severity)

    def function_body(self, name: str) -> tuple[int, int] | None:
        """First and last line of the body of upgrade() / downgrade()."""
        func = self.file.function(name)
        if func is None or not func.body:
            return None
        return func.body[0].lineno, func.body[-1].end_lineno or func.body[-1].lineno


def _uses(code: str, name: str) -> bool:
    """``name.`` used as code (not in a comment or a string) in ``code``."""
    return any(t == name for t in _module_tokens(code, name))


def _module_tokens(code: str, name: str) -> list[str]:
    import io
    import tokenize

    found: list[str] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(_dedented(code)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [name] if re.search(rf"(?<![\w.'\"]){re.escape(name)}\.\w", code) else []
    for tok, nxt in zip(tokens, tokens[1:]):
        if tok.type == tokenize.NAME and tok.string == name and nxt.string == "." \
                and not _after_dot(tokens, tok):
            found.append(name)
    return found


def _after_dot(tokens: list[Any], tok: Any) -> bool:
    index = tokens.index(tok)
    return index > 0 and tokens[index - 1].string == "."


def _dedented(code: str) -> str:
    import textwrap

    return textwrap.dedent(code)


def _rename_modules(code: str, renames: dict[str, str]) -> str:
    """``sa.`` -> ``sqla.`` (each of ``renames``) where the name starts an attribute chain
    in code: not in strings, not after a dot. Comments are renamed too (the code they
    show is to be pasted). Unchanged when the text cannot be read as Python tokens."""
    import io
    import tokenize

    lines = _dedented(code).splitlines(keepends=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("".join(lines)).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = None
    edits: list[tuple[int, int, int, str]] = []  # (line, start col, end col, new text)
    if tokens is not None:
        for i, tok in enumerate(tokens[:-1]):
            if tok.type == tokenize.NAME and tok.string in renames \
                    and tokens[i + 1].string == "." and not (i and tokens[i - 1].string == "."):
                edits.append((tok.start[0], tok.start[1], tok.end[1], renames[tok.string]))
            elif tok.type == tokenize.COMMENT:
                new = tok.string
                for old, name in renames.items():
                    new = re.sub(rf"(?<![\w.]){re.escape(old)}\.(?=[A-Za-z_])", f"{name}.", new)
                if new != tok.string:
                    edits.append((tok.start[0], tok.start[1], tok.end[1], new))
    else:  # a fragment tokenize refuses: rename outside quotes, line by line
        for number, line in enumerate(lines, 1):
            for old, name in renames.items():
                for m in re.finditer(rf"(?<![\w.'\"]){re.escape(old)}\.(?=[A-Za-z_])", line):
                    if line[:m.start()].count('"') % 2 == 0 and line[:m.start()].count("'") % 2 == 0:
                        edits.append((number, m.start(), m.start() + len(old), name))
    for number, start, end, new in sorted(edits, reverse=True):
        line = lines[number - 1]
        lines[number - 1] = line[:start] + new + line[end:]
    return "".join(lines)

