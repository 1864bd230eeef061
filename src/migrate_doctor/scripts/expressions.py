"""A small, import-free model of the Python expressions found in revision files.

Arguments of ``op.*`` calls are turned into plain values where they are literals,
into :class:`Call` for calls such as ``sa.Column('x', sa.String(50))``, into
:class:`Name` for dotted names such as ``sa.Integer``, and into :class:`Unknown`
(with the source text) for everything else.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any

from .cache import register


@register
@dataclass(frozen=True)
class Name:
    dotted: str

    @property
    def last(self) -> str:
        return self.dotted.rsplit(".", 1)[-1]


@register
@dataclass(frozen=True)
class Call:
    func: str  # dotted name of the callee, e.g. "sa.Column"
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def name(self) -> str:
        """The callee's last name: ``sa.Column`` -> ``Column``."""
        return self.func.rsplit(".", 1)[-1]

    def arg(self, index: int, keyword: str | None = None, default: Any = None) -> Any:
        if keyword is not None and keyword in self.kwargs:
            return self.kwargs[keyword]
        if index < len(self.args):
            return self.args[index]
        return default


@register
@dataclass(frozen=True)
class Unknown:
    source: str


class Source:
    """A file's text with fast source segments (``ast.get_source_segment`` splits the
    whole text again on every call)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[bytes] | None = None

    def segment(self, node: ast.AST) -> str:
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None:
            return ""
        if self._lines is None:
            self._lines = [line.encode() for line in self.text.splitlines(keepends=True)]
        lines = self._lines[node.lineno - 1:end_line]  # type: ignore[attr-defined]
        if not lines:
            return ""
        start = node.col_offset  # type: ignore[attr-defined]
        if len(lines) == 1:
            return lines[0][start:end_col].decode(errors="replace")
        return b"".join([lines[0][start:], *lines[1:-1], lines[-1][:end_col]]).decode(
            errors="replace")


@lru_cache(maxsize=16)
def _source(text: str) -> Source:
    return Source(text)


def segment(text: str, node: ast.AST) -> str:
    """``ast.get_source_segment(text, node)`` without splitting the whole text again on
    every call (rules ask it for many nodes of one long file)."""
    return _source(text).segment(node)


def dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Call):  # op.get_context().autocommit_block
        base = dotted_name(node.func)
        return f"{base}()" if base else None
    return None


def to_value(node: ast.AST, text: Source | str, env: Mapping[str, Any] | None = None) -> Any:
    """Turn an expression node into a plain value, Call, Name or Unknown. ``env`` maps the
    names known at this point (module constants, a helper's arguments, the variable of a
    loop over a literal list) to their values; strings built from known parts (f-strings,
    ``+``, ``%`` and ``.format()``) become plain strings."""
    if isinstance(text, str):
        text = Source(text)
    env = env or {}
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(to_value(e, text, env) for e in node.elts)
    if isinstance(node, ast.Dict):
        return {
            to_value(k, text, env) if k is not None else None: to_value(v, text, env)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = dotted_name(node)
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        if name:
            return Name(name)
    if isinstance(node, ast.Call):
        formatted = _format_call(node, text, env)
        if formatted is not None:
            return formatted
        func = dotted_name(node.func) or (text.segment(node.func) or "?")
        args = tuple(to_value(a, text, env) for a in node.args if not isinstance(a, ast.Starred))
        kwargs = {k.arg: to_value(k.value, text, env) for k in node.keywords if k.arg}
        return Call(func, args, kwargs, text.segment(node))
    if isinstance(node, ast.JoinedStr):
        parts = [_joined_part(v, text, env) for v in node.values]
        if all(isinstance(p, str) for p in parts):
            return "".join(parts)  # type: ignore[arg-type]
        return Unknown(text.segment(node))
    if isinstance(node, ast.BinOp):
        left, right = to_value(node.left, text, env), to_value(node.right, text, env)
        if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(node.op, ast.Mod) and isinstance(left, str) and _plain(right):
            try:
                return left % right
            except (TypeError, ValueError, KeyError):
                pass
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = to_value(node.operand, text, env)
        if isinstance(inner, (int, float)):
            return -inner
    return Unknown(text.segment(node))


def _plain(value: Any) -> bool:
    if isinstance(value, (str, int, float)):
        return True
    if isinstance(value, tuple):
        return all(isinstance(v, (str, int, float)) for v in value)
    if isinstance(value, dict):
        return all(isinstance(v, (str, int, float)) for v in value.values())
    return False


def _joined_part(node: ast.AST, text: Source, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.FormattedValue) and node.format_spec is None and node.conversion == -1:
        value = to_value(node.value, text, env)
        return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) \
            else None
    return None


def _format_call(node: ast.Call, text: Source, env: Mapping[str, Any]) -> str | None:
    """``"... {} ...".format(x)`` with known arguments."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "format"):
        return None
    template = to_value(func.value, text, env)
    if not isinstance(template, str):
        return None
    args = [to_value(a, text, env) for a in node.args]
    kwargs = {k.arg: to_value(k.value, text, env) for k in node.keywords if k.arg}
    if not all(_plain(v) for v in [*args, *kwargs.values()]):
        return None
    try:
        return template.format(*args, **kwargs)
    except (IndexError, KeyError, ValueError):
        return None
