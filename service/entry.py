"""The ``kaireon-service`` console script: say what to install when the service extra is missing.

The light ``pip install kaireon-chart`` ships this script without the service's dependencies; they
come with ``pip install 'kaireon-chart[service]'`` (the list is the ``service`` extra in pyproject.toml).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Sequence

DIST = "kaireon-chart"
EXTRA = "service"
EXIT_USAGE = 2
INSTALL = f"pip install '{DIST}[{EXTRA}]'"


def missing_requirements(dist: str = DIST, extra: str = EXTRA) -> list[str]:
    """Distributions of ``dist[extra]`` that are not installed (none when ``dist`` has no metadata)."""
    try:
        requires = importlib.metadata.requires(dist) or []
    except importlib.metadata.PackageNotFoundError:  # run from a checkout: nothing to compare with
        return []
    marker = re.compile(rf"""extra\s*==\s*["']{re.escape(extra)}["']""")
    missing = []
    for requirement in requires:
        if not marker.search(requirement):
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if name is None:
            continue
        try:
            importlib.metadata.version(name.group(0))
        except importlib.metadata.PackageNotFoundError:
            missing.append(name.group(0))
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    missing = missing_requirements()
    if missing:
        print(
            f"kaireon-service: the service's dependencies are not installed (missing: {', '.join(missing)}); "
            f"install them with: {INSTALL}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        # lazy: the [service] extra may be missing; this import is what fails then, caught below
        from service.cli import main as service_main
    except ImportError as exc:
        print(
            f"kaireon-service: cannot import {exc.name or exc}; install the service with: {INSTALL}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return int(service_main(argv) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
