"""Record: the frozen value class the validation layers use instead of dataclasses."""

from __future__ import annotations

import pytest

from kaireon_chart.kube import KubeIssue
from kaireon_chart.schema import SchemaIssue
from kaireon_chart.values import Origins


def test_records_behave_like_frozen_dataclasses():
    a = SchemaIssue("cron.x", "bad; allowed: y", "schema-type")
    assert a == SchemaIssue(path="cron.x", message="bad; allowed: y", check="schema-type")
    assert a != SchemaIssue("cron.x", "bad; allowed: y", "schema-enum")
    assert a != ("cron.x", "bad; allowed: y", "schema-type")
    assert len({a, SchemaIssue("cron.x", "bad; allowed: y", "schema-type")}) == 1
    assert repr(a) == "SchemaIssue(path='cron.x', message='bad; allowed: y', check='schema-type')"
    assert (a.path, a.message, a.check) == ("cron.x", "bad; allowed: y", "schema-type")
    with pytest.raises(AttributeError):
        a.path = "other"
    with pytest.raises(AttributeError):
        a.extra = 1
    with pytest.raises(TypeError):
        SchemaIssue("only", "two")
    with pytest.raises(TypeError):
        KubeIssue(0, (), "m", path=())
    assert KubeIssue(0, ("spec",), "m") == KubeIssue(index=0, path=("spec",), message="m")


def test_record_defaults():
    from kaireon_chart._record import Record

    class Where(Record):
        __slots__ = _fields = ("problem", "file", "line")
        _defaults = {"file": None, "line": None}

    assert Where("p") == Where(problem="p", file=None, line=None)
    assert Where("p", line=3).line == 3
    with pytest.raises(TypeError):
        Where()


def test_origins_defaults_are_not_shared():
    one, two = Origins(), Origins()
    one.files.append(("a.yaml", "a: 1\n"))
    assert two.files == [] and one != two
    assert Origins(files=[("a.yaml", "a: 1\n")]) == one
