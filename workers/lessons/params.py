"""A lesson's parameters are values in its code: ``buyers = 10`` becomes ``buyers = 3``.

The server writes each validated value into the one top-level assignment of that
name, so viewers see exactly the code that ran.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

_SIMPLE = (bool, int, float, str)


class SubstitutionError(ValueError):
    """The code has no single plain ``NAME = literal`` line for the parameter."""


def _assignment(tree: ast.Module, name: str) -> ast.expr:
    """The value of the one top-level ``name = literal`` (or ``name: T = literal``)."""
    found: list[ast.expr] = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if name in names:
                if len(node.targets) != 1:
                    raise SubstitutionError(f"{name} is assigned together with other names")
                found.append(node.value)
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and node.value is not None
        ):
            found.append(node.value)
    if len(found) != 1:
        raise SubstitutionError(f"expected one top-level assignment to {name}, found {len(found)}")
    try:
        ast.literal_eval(found[0])
    except ValueError:
        raise SubstitutionError(f"{name} is not assigned a literal value") from None
    return found[0]


def substitute(source: str, values: Mapping[str, Any]) -> str:
    """``source`` with each ``NAME = …`` top-level line's value replaced by ``repr(value)``."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []
    for name, value in values.items():
        if not isinstance(value, _SIMPLE):
            raise SubstitutionError(f"{name}: {type(value).__name__} is not a simple value")
        node = _assignment(tree, name)
        if node.lineno != node.end_lineno:
            raise SubstitutionError(f"{name}'s value spans several lines")
        assert node.end_col_offset is not None
        edits.append((node.lineno - 1, node.col_offset, node.end_col_offset, repr(value)))
    # Right to left on a line, so earlier offsets stay valid (offsets are UTF-8 bytes).
    for row, start, end, text in sorted(edits, reverse=True):
        raw = lines[row].encode("utf-8")
        lines[row] = (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")
    out = "".join(lines)
    check = ast.parse(out)
    for name, value in values.items():
        if ast.literal_eval(_assignment(check, name)) != value:
            raise SubstitutionError(f"{name}: the substituted code does not say {value!r}")
    return out
