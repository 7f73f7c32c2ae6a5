"""Where a problem points: the file and line of the layer that set the value (kaireon_chart.origins
Origins), with two additions for reports:

* a value set by ``--set``/``--set-string``/``--set-json`` names the flag and its position among the
  flags of that kind: ``--set #2 cron.schedules.cleanup.schedule=0 3 * * *``;
* a problem about a key that is missing (``schema-required``: nothing set it) points at the nearest
  parent mapping that was set, e.g. the ``cleanup:`` line for ``cron.schedules.cleanup.path``.
"""

from __future__ import annotations

from typing import Any


def _parents(path: str) -> list[str]:
    """``a.b[0].c`` -> [``a.b[0]``, ``a.b``, ``a``] (a rendered-path suffix `` (rendered ...)`` dropped)."""
    path = path.split(" (", 1)[0]
    out: list[str] = []
    while True:
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return out
        path = path[:cut]
        out.append(path)


def flag_label(flag_text: str, set_flags: list[tuple[str, Any]]) -> str:
    """``--set a=1`` -> ``--set #N a=1``: N counts the flags of that kind, in the order given."""
    kind = flag_text.split(" ", 1)[0]
    n = 0
    for text, _parsed in set_flags:
        if text.split(" ", 1)[0] == kind:
            n += 1
            if text == flag_text:
                break
    item = flag_text[len(kind) + 1 :]
    return f"{kind} #{n} {item}"


def find(origins: Any, path: str) -> tuple[str | None, int | None]:
    """(file or flag label, 1-based line or None) for the problem at ``path``."""
    if origins is None or not path:
        return None, None
    file, line = origins.find(path)
    if file is None:
        for parent in _parents(path):
            file, line = origins.find(parent)
            if file is not None:
                break
    if file is not None and file.startswith("--"):
        return flag_label(file, origins.set_flags), None
    return file, line
