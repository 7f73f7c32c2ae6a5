"""One values input as helm reads it: a ``-f`` file or stdin, bounded (limits.py), parsed (goyaml.py).

``ValuesError`` is the error of every values input helm would refuse, with ``file:line:col`` for YAML.
"""

from __future__ import annotations

import io
import sys
from typing import Any

from . import limits
from .goyaml import helm_loader
from .yamltypes import Yaml, YamlMap

__all__ = ["ValuesError", "parse_yaml", "read_values_file"]


class ValuesError(Exception):
    """A values input helm would refuse: unreadable file, YAML syntax error, bad --set expression.

    ``str()`` is ``file:line:col: message`` for YAML errors (1-based line and column).
    """

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None
    ):
        self.file, self.line, self.column, self.message = file, line, column, message
        if file is not None and line is not None:
            text = f"{file}:{line}:{column or 1}: {message}"
        elif file is not None:
            text = f"{file}: {message}"
        else:
            text = message
        super().__init__(text)


def parse_yaml(text: str, name: str = "<values>") -> YamlMap:
    """Parse one values document the way helm does; ``{}`` for an empty document."""
    import yaml  # lazy: PyYAML ~12 ms (bench 8), only when YAML is read

    try:
        data = limits.guarded_load(text, helm_loader())  # HelmLoader is a SafeLoader; aliases bounded
    except limits.LimitError as exc:
        raise ValuesError(exc.message, file=name, line=exc.line, column=exc.column) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            msg = f"{exc.context}, {exc.problem}"
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in (exc.context or ""):
            # helm 3 reads only the first document of a values file, helm 4 merges them all
            msg = (
                "a second YAML document starts here; helm 3 would ignore it and helm 4 merge it, so "
                "put all values in one document (or in separate -f files)"
            )
        if mark is None:
            raise ValuesError(msg, file=name) from None
        raise ValuesError(msg, file=name, line=mark.line + 1, column=mark.column + 1) from None
    except yaml.reader.ReaderError as exc:  # e.g. a NUL byte: no mark, a character position
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        what = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else "character"
        raise ValuesError(
            f"unacceptable {what}: {exc.reason}; allowed: printable text (no NUL or other control "
            "characters)",
            file=name,
            line=line,
            column=column,
        ) from None
    except yaml.YAMLError as exc:
        raise ValuesError(str(exc), file=name) from None
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:  # never a crash on odd input
        raise ValuesError(
            f"cannot read the values: {type(exc).__name__}: {str(exc)[:200]}", file=name
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValuesError(
            f"the document is a {_kind(data)}, values must be a map of keys; write `key: value` lines",
            file=name,
            line=1,
            column=1,
        )
    return data


def _kind(value: Yaml) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def read_values_file(
    path: str, stdin: Any = None, budget: limits.LimitsBudget | None = None
) -> tuple[str, str]:
    """Return (display name, text) of a ``-f`` argument; ``-`` reads stdin.

    At most ``limits.max_file_bytes()`` are read (``-f /dev/zero`` stops there) and, with ``budget``,
    all the files of one run share ``limits.max_total_bytes()``. Line ends are read as text mode does.
    """
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            src = sys.stdin if stdin is None else stdin
            if isinstance(src, (bytes, str)):
                src = io.BytesIO(src) if isinstance(src, bytes) else io.StringIO(src)
            data = limits.read_bytes(getattr(src, "buffer", src), budget)
        else:
            with open(path, "rb") as stream:
                data = limits.read_bytes(stream, budget)
    except limits.LimitError as exc:
        raise ValuesError(exc.message, file=name) from None
    except FileNotFoundError:
        raise ValuesError("no such file; pass an existing values file", file=name) from None
    except IsADirectoryError:
        raise ValuesError("is a directory; pass a values file", file=name) from None
    except OSError as exc:
        raise ValuesError(f"cannot read: {exc.strerror or exc}", file=name) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValuesError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8", file=name
        ) from None
    return name, text.replace("\r\n", "\n").replace("\r", "\n")
