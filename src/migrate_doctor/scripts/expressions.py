"""A small, import-free model of the Python expressions found in revision files.

Arguments of ``op.*`` calls are turned into plain values where they are literals,
into :class:`Call` for calls such as ``sa.Column('x', sa.String(50))``, into
:class:`Name` for dotted names such as ``sa.Integer``, and into :class:`Unknown`
(with the source text) for everything else.
"""

from __future__ import annotations

import ast
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


def to_value(node: ast.AST, text: Source | str) -> Any:
    """Turn an expression node into a plain value, Call, Name or Unknown."""
    if isinstance(text, str):
        text = Source(text)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(to_value(e, text) for e in node.elts)
    if isinstance(node, ast.Dict):
        return {
            to_value(k, text) if k is not None else None: to_value(v, text)
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = dotted_name(node)
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        if name:
            return Name(name)
    if isinstance(node, ast.Call):
        func = dotted_name(node.func) or (text.segment(node.func) or "?")
        args = tuple(to_value(a, text) for a in node.args if not isinstance(a, ast.Starred))
        kwargs = {k.arg: to_value(k.value, text) for k in node.keywords if k.arg}
        return Call(func, args, kwargs, text.segment(node))
    if isinstance(node, ast.JoinedStr):
        return Unknown(text.segment(node))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = to_value(node.operand, text)
        if isinstance(inner, (int, float)):
            return -inner
    return Unknown(text.segment(node))
