"""Imports sit at the top of the module; one inside a function says why, in a `# lazy:` comment.

A function-level import is kept only for a measured start-up cost, an optional dependency (an
extra) or something that must happen later (docs/ARCHITECTURE.md, "Speed"). The comment goes on the
import's line, or directly above it; one comment above a run of consecutive imports covers the run.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("kaireon_chart", "service", "bench", "chaos")
MARK = "# lazy:"


def unexplained(source: str) -> list[int]:
    """Line numbers of the function-level imports in ``source`` that no `# lazy:` comment explains."""
    lines = source.splitlines()
    tree = ast.parse(source)
    spans: dict[int, int] = {}  # first line -> last line of each function-level import
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    spans[node.lineno] = node.end_lineno or node.lineno
    ends = {end: start for start, end in spans.items()}

    def marked(first: int, last: int) -> bool:
        return any(MARK in lines[n - 1] for n in range(first, last + 1))

    out = []
    for start, end in sorted(spans.items()):
        if marked(start, end):
            continue
        top = start
        while top - 1 in ends:  # the run of consecutive imports this one belongs to
            top = ends[top - 1]
            if marked(top, spans[top]):
                break
        above = top - 1
        while above >= 1 and lines[above - 1].strip().startswith("#"):  # the comment block above
            if MARK in lines[above - 1]:
                break
            above -= 1
        if not (above >= 1 and MARK in lines[above - 1]) and not marked(top, spans[top]):
            out.append(start)
    return out


def _files() -> list[Path]:
    out = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if "/_generated/" in rel or "/migrations/versions/" in rel:
                continue
            out.append(path)
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_every_function_level_import_says_why_it_is_lazy(package: str) -> None:
    found = {}
    for path in _files():
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(f"{package}/"):
            lines = unexplained(path.read_text(encoding="utf-8"))
            if lines:
                found[rel] = lines
    assert found == {}, f"function-level imports without a {MARK!r} comment (hoist them or say why)"


def test_the_checker_tells_explained_from_unexplained_imports() -> None:
    source = textwrap.dedent(
        """\
        import os


        def a():
            import json  # lazy: reason
            # lazy: both below
            import csv
            from pathlib import (
                Path,
            )
            import re
            return json, csv, Path, re


        def b():
            import shutil
            # an ordinary comment
            import glob
            # a reason spread over lines
            # lazy: it says so here
            import zlib
            return shutil, glob, zlib
        """
    )
    assert unexplained(source) == [16, 18]
