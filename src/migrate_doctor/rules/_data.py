"""UPDATE and DELETE statements of a revision's upgrade(), for the data-migration rules:
what they assign, whether the author said the whole table is meant, and how to run them in
batches that end."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import lru_cache

from ..scripts.operations import Operation
from ._context import RuleContext
from ._quote import ident
from ._sql import _NAME, Statement, split_top_level
from ._values import quote

BATCH = 5000
_FLAGS = re.IGNORECASE | re.DOTALL

# words with which authors say that every row is meant (in a comment next to the statement,
# in the statement's own SQL comments, or in the revision's message)
_WHOLE_TABLE = re.compile(
    r"\b(all|every|each|entire|whole|any existing|existing (?:rows|records|data|entries)|"
    r"clear(?:s|ed|ing)?|wipe[sd]?|purge[sd]?|reset(?:s|ting)?|truncat\w*|empty(?:ing)?|"
    r"invert\w*|recomput\w*|recalculat\w*|redistribut\w*|normali[sz]\w*|"
    r"no longer (?:needed|used|valid)|obsolete|incompatible|stale)\b", re.IGNORECASE)
_SQL_WORDS = {
    "true", "false", "null", "not", "and", "or", "is", "in", "case", "when", "then", "else",
    "end", "as", "distinct", "from", "current_timestamp", "current_date", "current_time",
    "localtimestamp", "localtime", "interval", "array", "like", "ilike", "between", "escape",
    "collate", "at", "time", "zone", "with", "without", "unknown", "similar", "to", "any", "all",
    "some", "exists", "cast", "default", "current_user", "session_user", "user",
}
_TYPE_AFTER = re.compile(r"(::\s*[\w\s\"\[\]()]+?(?=$|[,)\s|+*/<>=-])|\bAS\s+[\w\s\"\[\]()]+?\))",
                         _FLAGS)


def data_statements(ctx: RuleContext) -> Iterator[tuple[Operation, Statement, str]]:
    """``(op, statement, table)`` for UPDATE / DELETE on tables this revision did not create;
    a statement that only runs in offline mode (``if context.is_offline_mode():``, where the
    SQL goes to a script a DBA runs) is left out."""
    skip = offline_lines(ctx)
    for op, s in ctx.executes("upgrade"):
        if s.kind in ("update", "delete") and not ctx.is_new_table(s.table, op) \
                and op.line not in skip:
            yield op, s, s.table or "<table>"


def offline_lines(ctx: RuleContext) -> set[int]:
    """Lines of the bodies of ``if context.is_offline_mode():`` (and of the else branch of
    ``if not context.is_offline_mode():``)."""
    tree = ctx.file.tree
    if tree is None or "is_offline_mode" not in ctx.file.text:
        return set()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test, negated = node.test, False
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, negated = test.operand, True
        if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute)
                and test.func.attr == "is_offline_mode"):
            continue
        for stmt in (node.orelse if negated else node.body):
            lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return lines


# -- what a statement assigns ------------------------------------------------------------

def assignments(s: Statement) -> list[tuple[str, str]]:
    """``(column, right-hand side)`` of an UPDATE's SET, from SQL or from a SQLAlchemy
    ``.values(col=...)`` / ``.values({"col": ...})``."""
    if s.kind != "update":
        return []
    if s.python:
        return _python_values(s.text)
    m = re.search(r"\bSET\b(.*)$", s.text, _FLAGS)
    if not m:
        return []
    body = m.group(1)
    where = _top_level(body, ("WHERE", "FROM", "RETURNING"))
    body = body[:where] if where is not None else body
    out = []
    for part in split_top_level(body, ","):
        if "=" not in part:
            continue
        left, right = part.split("=", 1)
        names = re.findall(r'"[^"]+"|`[^`]+`|[\w$]+', left)
        if names:
            name = names[-1]
            out.append((name[1:-1] if name[:1] in '"`' else name.lower(), right.strip()))
    return out


@lru_cache(maxsize=512)
def _python_values_cached(source: str) -> tuple[tuple[str, str], ...]:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return ()
    out: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "values"):
            continue
        for kw in node.keywords:
            if kw.arg:
                out.append((kw.arg, ast.unparse(kw.value)))
        for arg in node.args:
            if isinstance(arg, ast.Dict):
                for k, v in zip(arg.keys, arg.values):
                    if isinstance(k, ast.Constant) and isinstance(k.value, str):
                        out.append((k.value, ast.unparse(v)))
                    elif isinstance(k, ast.Attribute) and k.attr not in ("c",):
                        out.append((k.attr, ast.unparse(v)))  # {table.c.col: ...}
    return tuple(out)


def _python_values(source: str) -> list[tuple[str, str]]:
    return list(_python_values_cached(source))


def set_columns(s: Statement) -> list[str]:
    return [c for c, _ in assignments(s)] or list(s.set_columns)


def derives(rhs: str, python: bool = False) -> bool:
    """True when the new value is computed from the row itself (``lower(c)``, ``NOT c``,
    ``coalesce(c, '')``, ``other_col``, ``(SELECT ... WHERE y.k = t.k)``): a deliberate
    transformation of every row, not one value poured over the table."""
    if python:
        return bool(re.search(r"\.c\.|\bcolumn\(|\bliteral_column\(|\bcase\(|\bselect\(|"
                              r"\bcoalesce\(|\bnot_\(|\bfunc\.\w+\(\s*\w+\.c\.", rhs))
    text = re.sub(r"'(?:[^']|'')*'", "''", rhs)
    if re.search(r"\(\s*SELECT\b", text, _FLAGS):
        return True
    text = _TYPE_AFTER.sub(" ", text)
    for m in re.finditer(r'"[^"]+"|`[^`]+`|[A-Za-z_][\w$]*(?:\s*\.\s*[A-Za-z_][\w$]*)*', text):
        word = m.group(0)
        after = text[m.end():].lstrip()
        if after.startswith("("):
            continue  # a function name: its arguments are looked at on their own
        if word.lower() in _SQL_WORDS:
            continue
        return True
    return False


def prose(ctx: RuleContext) -> str:
    """The author's words in the revision: its docstrings and comments, less the
    suppression comments (``# migrate-doctor: ignore[...] reason``), which speak of one
    statement to the tool."""
    cache = ctx.__dict__.get("_author_prose")
    if cache is None:
        tree = ctx.file.tree
        docs = [ast.get_docstring(node) or "" for node in ([tree] if tree else []) + [
            n for n in (tree.body if tree else []) if isinstance(n, ast.FunctionDef)]]
        comments = [line.split("#", 1)[1] for line in ctx.file.text.splitlines()
                    if "#" in line and "migrate-doctor:" not in line
                    and not line.lstrip().startswith(("revision", "down_revision"))]
        cache = ctx.__dict__["_author_prose"] = " ".join(docs + comments).lower()
    return cache


def intent(ctx: RuleContext, op: Operation) -> str | None:
    """The author's words that every row is meant: a comment on the statement or in the few
    lines above it, the statement's own SQL comment, or the revision's message."""
    lines = ctx.file.text.splitlines()
    said: list[str] = []
    for number in range(op.line, op.end_line + 1):  # inline and SQL comments of the call
        if 0 < number <= len(lines):
            if "migrate-doctor:" not in lines[number - 1]:
                said += ["".join(g) for g in re.findall(r"#(.*)$|--(.*)$", lines[number - 1])]
    number = op.line - 1
    code_seen = 0
    while number > 0 and op.line - number <= 8:
        text = lines[number - 1].strip()
        if text.startswith("#"):
            if "migrate-doctor:" not in text:
                said.append(text[1:])
        elif text.startswith(("def ", "with ", "for ", "if ", "else", "elif ")):
            break
        elif text:
            code_seen += 1
            if code_seen > 3:
                break
        number -= 1
    said.append(ctx.file.message)
    for text in said:
        m = _WHOLE_TABLE.search(text or "")
        if m:
            return m.group(0)
    return None


def _top_level(text: str, words: tuple[str, ...], start: int = 0) -> int | None:
    """Position of the first of ``words`` outside quotes and parentheses."""
    depth, quote_char = 0, ""
    pattern = re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)
    i = start
    while i < len(text):
        ch = text[i]
        if quote_char:
            quote_char = "" if ch == quote_char else quote_char
        elif ch in "'\"`":
            quote_char = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = pattern.match(text, i)
            if m:
                return i
        i += 1
    return None


# -- batches ---------------------------------------------------------------------------

def target(s: Statement) -> tuple[str, str | None, str]:
    """``(table, schema, reference)`` of an UPDATE/DELETE: the reference is what its WHERE
    calls the table (the alias, or the table name as written)."""
    pattern = (rf"^UPDATE\s+(?:ONLY\s+)?({_NAME})(?:\s+(?:AS\s+)?(?!SET\b)([\w$]+))?\s+SET\b"
               if s.kind == "update" else
               rf"^DELETE\s+FROM\s+(?:ONLY\s+)?({_NAME})"
               r"(?:\s+(?:AS\s+)?(?!WHERE\b|USING\b|RETURNING\b)([\w$]+))?")
    m = re.match(pattern, s.text, _FLAGS)
    if not m:
        return s.table or "", None, s.table or ""
    parts = re.findall(r'"[^"]+"|`[^`]+`|[\w$]+', m.group(1))
    clean = [p[1:-1] if p[:1] in '"`' else p for p in parts]
    schema = clean[-2] if len(clean) > 1 else None
    written = parts[-1]
    return s.table or clean[-1], schema, m.group(2) or written


def with_range(s: Statement, reference: str, column: str) -> str:
    """The statement's SQL with ``AND <reference>.<column> BETWEEN :lo AND :hi`` added to
    its own WHERE (or as its WHERE)."""
    text = s.text
    head = re.search(r"\bSET\b", text, _FLAGS) if s.kind == "update" else None
    start = head.end() if head else 0
    where = _top_level(text, ("WHERE",), start)
    key_ref = f"{reference}.{column}"
    tail_at = _top_level(text, ("RETURNING", "ORDER", "LIMIT"), where or start)
    tail = text[tail_at:] if tail_at is not None else ""
    body = text[:tail_at] if tail_at is not None else text
    if where is None:
        return f"{body.rstrip()} WHERE {key_ref} BETWEEN :lo AND :hi {tail}".strip()
    condition = body[where + len("WHERE"):].strip()
    return (f"{body[:where].rstrip()} WHERE ({condition}) AND {key_ref} BETWEEN :lo AND :hi "
            f"{tail}").strip()


def key_column(ctx: RuleContext, table: str) -> str:
    """The column the batches follow: ``id`` when the table has one (or is not known)."""
    t = ctx.history.table(table)
    if t is None or "id" in t.columns or not t.columns:
        return "id"
    for name in t.columns:
        if name.endswith("_id") or name in ("uuid", "pk", "key"):
            return name
    return next(iter(t.columns))


def _python_table(s: Statement) -> str | None:
    """The variable a SQLAlchemy expression updates (``shares.update()``,
    ``sa.update(shares)``), when it is a plain name."""
    m = re.match(r"\s*(?:(?:sa|sqlalchemy)\.)?(?:update|delete)\(\s*([A-Za-z_]\w*)\s*[,)]"
                 r"|\s*([A-Za-z_]\w*)\.(?:update|delete)\(", s.text)
    return (m.group(1) or m.group(2)) if m else None


def loop_lines(ctx: RuleContext, s: Statement, table: str,
               schema: str | None = None) -> list[str] | None:
    """The statement run in batches of BATCH rows along the table's key, each batch
    committed on its own (an ``autocommit_block()``); ends when no key is left. The keys
    are read with ORDER BY ... LIMIT, not min()/max(), so any key that sorts works (a
    uuid: PostgreSQL has no min(uuid)). None when the table cannot be named (a SQLAlchemy
    expression on a table object the file does not define)."""
    name, written_schema, reference = target(s) if not s.python else (table, None, table)
    schema = written_schema or schema
    column = key_column(ctx, name)
    d = ctx.dialect
    if s.python:
        expression = s.text.strip()
        run = (f"conn.execute(({expression}).where(sa.column({quote(column)})"
               ".between(lo, hi)))")
    else:
        sql = with_range(s, ident(reference, d) if reference == name else reference,
                         ident(column, d))
        run = f'conn.execute(sa.text({quote(sql)}), {{"lo": lo, "hi": hi}})'
    if name and name != "<table>":
        table_args = [quote(name), f"sa.column({quote(column)})"]
        if schema:
            table_args.append(f"schema={quote(schema)}")
        source = f"sa.table({', '.join(table_args)})"
    elif s.python and _python_table(s):
        source = _python_table(s)  # the file's own table object
    else:
        return None
    return [
        "with op.get_context().autocommit_block():",
        "    conn = op.get_bind()",
        f"    batch_table = {source}",
        f"    key = batch_table.c[{quote(column)}]",
        "    lo = conn.execute(sa.select(key).where(key.is_not(None)).order_by(key).limit(1))"
        ".scalar()",
        "    while lo is not None:",
        "        keys = sa.select(key.label(\"k\")).where(key >= lo).order_by(key)"
        f".limit({BATCH}).subquery()",
        "        hi = conn.execute(sa.select(keys.c.k).order_by(keys.c.k.desc()).limit(1))"
        ".scalar()",
        f"        {run}",
        "        lo = conn.execute(sa.select(key).where(key > hi).order_by(key).limit(1))"
        ".scalar()",
    ]


def _header(kind: str, where: str) -> list[str]:
    return [
        f"# {kind} in batches of {BATCH} rows along {where}, each committed on its own,",
        "# so locks stay short and every row is done once; `--sql` writes the statement as it "
        "was.",
        "# (autocommit_block() first commits what this revision did before it: give the "
        "backfill a revision of its own if that matters)",
        "from alembic import context",
        "",
    ]


def batch_loop(ctx: RuleContext, op: Operation | None, s: Statement, table: str,
               original: str | None = None, schema: str | None = None) -> str:
    """The statement run in batches (``loop_lines``); in offline mode (``--sql``) the
    statement is written as it was (``original``: its Python source, default the op's)."""
    return batch_statements(ctx, op, [s], [s], table, original, schema)


def batch_statements(ctx: RuleContext, op: Operation | None, statements: list[Statement],
                     flagged: list[Statement], table: str, original: str | None = None,
                     schema: str | None = None) -> str:
    """An op's statements, in order, with each of ``flagged`` run in batches and the others
    as they were (one op may hold a whole SQL script: none of it is lost); in offline mode
    the op as it was."""
    schema = schema or (op.schema if op is not None else None)
    original = (original if original is not None else op.source if op is not None else
                f"op.execute(sa.text({quote(statements[0].text)}))").strip()
    online: list[str] = []
    wheres: list[str] = []
    for s in statements:
        if any(s is f for f in flagged):
            name = (target(s)[0] if not s.python else table) or table
            lines = loop_lines(ctx, s, name, schema)
            if lines is None:
                return "\n".join([
                    f"# run this {s.kind.upper()} in batches along the table's key, each "
                    "committed on its own (see unbatched-data-migration): the table of the "
                    "expression is not named in this file",
                    *original.splitlines()])
            online += lines
            wheres.append(f"{name}.{key_column(ctx, name)}")
        else:
            online.append(f"op.execute(sa.text({quote(s.text)}))")
    kinds = "/".join(dict.fromkeys(f.kind.upper() for f in flagged))
    return "\n".join([
        *_header(kinds, ", ".join(dict.fromkeys(wheres))),
        "if context.is_offline_mode():",
        *["    " + line for line in original.splitlines()],
        "else:",
        *["    " + line for line in online],
    ])


def is_key_lookup(s: Statement) -> bool:
    """A WHERE that picks rows by literal keys only (``id = 3``, ``id IN (1, 2)``, a natural
    key such as ``name = 'x'`` or ``slug``/``code``/``key``/``uuid``)."""
    keys = r"(?:id|uuid|name|slug|key|code)"
    if s.python:  # .where(t.c.<key> == x) as the only condition
        wheres = re.findall(r"\.(?:where|filter)\((.*?)\)(?=\s*(?:\.|$))", s.text, _FLAGS)
        return len(wheres) == 1 and bool(re.fullmatch(
            rf"\s*[\w.]+\.c\.{keys}\s*==\s*[\w.\[\]\"']+\s*", wheres[0], _FLAGS))
    where = _top_level(s.text, ("WHERE",))
    if where is None:
        return False
    condition = s.text[where + 5:].strip()
    literal = r"(?:\d+|'[^']*')"
    return bool(re.fullmatch(
        rf"\(?\s*(?:[\w$.\"]+\.)?\"?{keys}\"?\s*(?:=\s*{literal}|IN\s*\((?:\s*{literal}\s*,?)+\))"
        r"\s*\)?", condition, _FLAGS))
