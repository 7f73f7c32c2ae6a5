"""``Record``: a small immutable value class, what ``@dataclass(frozen=True)`` gives (keyword or positional
construction, equality, hashing, repr, no assignment), without importing ``dataclasses``, whose import of
``inspect`` costs about 10 ms of a ``render-values`` run.

    class SchemaIssue(Record):
        __slots__ = _fields = ("path", "message", "check")

``_defaults`` (field -> value) gives trailing fields a default; use immutable values only.
"""

from __future__ import annotations


class Record:
    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _defaults: dict = {}

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} arguments, {len(args)} given")
        values = dict(zip(fields, args, strict=False))
        for name, value in kwargs.items():
            if name not in fields or name in values:
                raise TypeError(f"{type(self).__name__}() got an unexpected or repeated argument {name!r}")
            values[name] = value
        for name, value in self._defaults.items():
            values.setdefault(name, value)
        missing = [name for name in fields if name not in values]
        if missing:
            raise TypeError(f"{type(self).__name__}() missing argument(s): {', '.join(missing)}")
        for name in fields:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of a {type(self).__name__}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of a {type(self).__name__}")

    def _astuple(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._astuple() == other._astuple()

    def __hash__(self):
        return hash(self._astuple())

    def __repr__(self):
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({inner})"
