"""Optional features and the extra that installs each: one error type naming what to install."""

from __future__ import annotations

DIST = "kaireon-chart"


class MissingExtra(RuntimeError):
    """An optional feature's dependency is not installed; the message says which extra brings it."""

    def __init__(self, feature: str, module: str, extra: str, alternative: str = "") -> None:
        hint = f" (or {alternative})" if alternative else ""
        super().__init__(
            f"{feature} needs {module}, which is not installed; install it with: "
            f"pip install '{DIST}[{extra}]'{hint}"
        )
        self.extra = extra
