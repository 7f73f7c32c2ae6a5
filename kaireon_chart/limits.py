"""Bounds on what render-values reads, so a hostile file gets a clear error instead of the machine.

A CI runner validates values files from pull requests. Three bounds hold on every path that reads a
values file or the chart's YAML (``-f FILE``, ``-f -``, ``check``, ``add-route -f``, ``--chart DIR``):

* **size**: at most ``KAIREON_CHART_MAX_FILE_BYTES`` bytes per file (default 1 MiB; the chart's own
  values.yaml is a few KiB, and a 1 MiB file of tiny nodes already costs seconds to parse) and
  ``KAIREON_CHART_MAX_TOTAL_BYTES`` over all the values files of one run (default 4 MiB).
  ``-f /dev/zero`` stops at the bound.
* **aliases**: a YAML alias (``*name``) stands for a copy of its anchor, so a 400-byte file can stand
  for gigabytes (a "billion laughs" bomb). The size of a document with every alias replaced by what it
  names (one per node plus the characters of each scalar) may be at most
  ``KAIREON_CHART_MAX_EXPANDED`` (default: four times the per-file byte bound; an alias-free document
  counts at most about twice its bytes, so only aliases can reach it). An alias inside its own anchor (a cycle) is refused too, as helm refuses it.
* **depth**: at most ``KAIREON_CHART_MAX_DEPTH`` nested maps and lists (default 100; helm's values
  are rarely ten deep), for YAML files and ``--set-json`` alike.

Each variable takes a positive integer; anything else is a usage error naming the variable. The
checks are linear in the size of the node graph (aliases are counted, never expanded).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "LimitError",
    "LimitsBudget",
    "check_data",
    "check_node",
    "guarded_load",
    "max_depth",
    "max_expanded",
    "max_file_bytes",
    "max_total_bytes",
    "read_bytes",
]

DEFAULTS = {
    "KAIREON_CHART_MAX_FILE_BYTES": 1024 * 1024,
    "KAIREON_CHART_MAX_TOTAL_BYTES": 4 * 1024 * 1024,
    "KAIREON_CHART_MAX_EXPANDED": 0,  # 0: derived, 4 x KAIREON_CHART_MAX_FILE_BYTES
    "KAIREON_CHART_MAX_DEPTH": 100,
}


class LimitError(Exception):
    """An input over one of the bounds (or a bound set to nonsense). ``line`` is 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _limit(name: str) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULTS[name]
    if not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise LimitError(
            f"{name}={raw[:40]!r} is not a positive integer; allowed: e.g. {DEFAULTS[name] or 4194304}"
        )
    return int(raw)


def max_file_bytes() -> int:
    return _limit("KAIREON_CHART_MAX_FILE_BYTES")


def max_total_bytes() -> int:
    return _limit("KAIREON_CHART_MAX_TOTAL_BYTES")


def max_expanded() -> int:
    return _limit("KAIREON_CHART_MAX_EXPANDED") or 4 * max_file_bytes()


def max_depth() -> int:
    return _limit("KAIREON_CHART_MAX_DEPTH")


class LimitsBudget:
    """The bytes left for the files of one run (``KAIREON_CHART_MAX_TOTAL_BYTES``)."""

    def __init__(self) -> None:
        self.left = max_total_bytes()

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise LimitError(
                f"the values files of this run are larger than {max_total_bytes():,} bytes together; "
                "allowed: less, or raise KAIREON_CHART_MAX_TOTAL_BYTES"
            )


def read_bytes(stream: Any, budget: LimitsBudget | None = None) -> bytes:
    """At most ``max_file_bytes()`` bytes of a binary stream; LimitError when there are more."""
    bound = max_file_bytes()
    data = stream.read(bound + 1)
    if isinstance(data, str):  # a text stream (tests pass StringIO as stdin)
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > bound:
        raise LimitError(
            f"larger than {bound:,} bytes; allowed: a smaller file, or raise KAIREON_CHART_MAX_FILE_BYTES"
        )
    if budget is not None:
        budget.take(len(data))
    return bytes(data)


def check_node(root: Any) -> None:
    """Refuse a composed YAML node tree whose aliases expand past ``max_expanded()``, that nests deeper
    than ``max_depth()``, or whose alias refers to a node containing it. Iterative: one visit per node."""
    if root is None:
        return
    limit, depth_limit = max_expanded(), max_depth()
    cap = limit + 1  # sizes saturate: a chain of aliases must not build huge integers
    size: dict[int, int] = {}  # containers only: a scalar's size is 1 + its length
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    if isinstance(root.value, str):
        return
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        ident = id(node)
        children = _children(node)
        if done:
            total, deepest = 1, 0
            for child in children:
                value = child.value
                if isinstance(value, str):
                    total += 1 + len(value)
                else:
                    total += size[id(child)]
                    deepest = max(deepest, depth[id(child)])
            open_nodes.discard(ident)
            size[ident] = min(cap, total)
            depth[ident] = deepest + 1
            if deepest + 1 > depth_limit:
                mark = node.start_mark
                raise LimitError(
                    f"maps and lists nest more than {depth_limit} levels deep here; allowed: at most "
                    f"{depth_limit} (raise KAIREON_CHART_MAX_DEPTH)",
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            continue
        if ident in size:
            continue
        open_nodes.add(ident)
        stack.append((node, True))
        for child in children:
            if isinstance(child.value, str):
                continue
            cid = id(child)
            if cid in open_nodes:
                mark = child.start_mark
                raise LimitError(
                    "an alias refers to the anchor that contains it (a recursive alias); allowed: "
                    "aliases of nodes defined before and outside them",
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            if cid not in size:
                stack.append((child, False))
    if size[id(root)] > limit:
        line, column = _where_too_big(root, size, limit)
        raise LimitError(
            f"the YAML aliases expand this document past {limit:,} (nodes plus scalar characters, "
            "counting every alias as a copy of its anchor); allowed: fewer aliases, or raise "
            "KAIREON_CHART_MAX_EXPANDED",
            line=line,
            column=column,
        )


def _children(node: Any) -> list[Any]:
    value = node.value
    if isinstance(value, str):
        return []
    if value and isinstance(value[0], tuple):  # a mapping: (key node, value node) pairs
        return [part for pair in value for part in pair]
    return list(value)


def _size(node: Any, size: dict[int, int]) -> int:
    value = node.value
    return 1 + len(value) if isinstance(value, str) else size[id(node)]


def _where_too_big(root: Any, size: dict[int, int], limit: int) -> tuple[int, int]:
    """The line of the innermost node still past the limit on its own (where the aliases pile up)."""
    node, mark = root, root.start_mark
    while True:
        children = _children(node)
        if not children:
            break
        biggest = max(children, key=lambda c: _size(c, size))
        if _size(biggest, size) <= limit:
            break
        mark = biggest.start_mark
        if node.value and isinstance(node.value[0], tuple):  # point at the key that holds it
            for key_node, value_node in node.value:
                if value_node is biggest:
                    mark = key_node.start_mark
                    break
        node = biggest
    return mark.line + 1, mark.column + 1


def guarded_load(text: str, loader_class: Any) -> Any:
    """``yaml.load(text, Loader=loader_class)`` with :func:`check_node` between composing and constructing,
    so aliases are counted on the node graph before anything expands them."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def check_data(data: Any) -> int | None:
    """The nesting depth of plain data when it is over ``max_depth()``, else None. Iterative, one visit
    per distinct container (shared sub-trees are measured once)."""
    limit = max_depth()
    height: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        item, done = stack.pop()
        if isinstance(item, dict):
            items: list[Any] = list(item.values())
        elif isinstance(item, list):
            items = item
        else:
            continue
        if done:
            height[id(item)] = 1 + max((height.get(id(c), 0) for c in items), default=0)
            if height[id(item)] > limit:
                return height[id(item)]
            continue
        if id(item) in height:
            continue
        height[id(item)] = limit + 1  # provisional: a container met again while open is a cycle
        stack.append((item, True))
        for child in items:
            if isinstance(child, (dict, list)) and id(child) in height:
                if height[id(child)] > limit:
                    return limit + 1
                continue
            stack.append((child, False))
    return None
