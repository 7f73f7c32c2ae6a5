"""The shutdown flag: set from a signal handler, polled by running jobs."""

from __future__ import annotations

import time


class StopFlag:
    """A shutdown flag that is safe to set from a signal handler.

    ``set()`` is one attribute store: no lock, no I/O. (``threading.Event.set`` takes a Condition
    lock; a second signal arriving while the first handler holds it re-enters the handler on the
    same thread and deadlocks the process.) Readers poll :meth:`is_set`; nobody waits on it.
    """

    __slots__ = ("_set", "_at")

    def __init__(self) -> None:
        self._set = False
        self._at = 0.0

    def set(self) -> None:
        if not self._set:
            self._at = time.monotonic()  # a clock read: no lock either
        self._set = True

    def remaining(self, budget: float) -> float:
        """Seconds left of ``budget`` counted from the first :meth:`set` (all of it while unset)."""
        return budget if not self._set else max(budget - (time.monotonic() - self._at), 0.0)

    def clear(self) -> None:
        self._set = False

    def is_set(self) -> bool:
        return self._set
