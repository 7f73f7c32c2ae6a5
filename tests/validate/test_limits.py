"""Bounds on hostile input (kaireon_chart/limits.py): alias bombs, nesting, file sizes, on every loader path.

The CLI cases run the real ``render-values`` in a subprocess under RLIMIT_AS/RLIMIT_CPU (the fuzzer's
``run_cli``): before the bounds, the 9x9 alias bomb below reached 4.6 GB building a cache key.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from kaireon_chart import limits
from kaireon_chart.chart import ChartError, load_chart
from kaireon_chart.origins import Origins, _compose
from kaireon_chart.values import ValuesError, user_values
from kaireon_chart.valuesfile import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the campaign package lives at the repository root
    sys.path.insert(0, str(ROOT))

from chaos.scenarios import render_fuzz as fuzz  # noqa: E402

BOMB = fuzz.inputs.list_bomb(9, 9)  # 9**9 "lol"s from ~300 bytes


def _cli(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None):
    out = fuzz.run_cli(list(args), stdin=stdin, env=env, cpu=60, memory=1024 * 1024 * 1024)
    assert out.failure() is None, out.failure()
    return out


@pytest.fixture
def bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    assert len(BOMB) < 500
    return path


def test_bomb_is_refused_with_file_and_line(bomb: Path) -> None:
    out = _cli("-f", str(bomb))
    assert out.code == 2
    assert f"{bomb}:" in out.text and "KAIREON_CHART_MAX_EXPANDED" in out.text
    line = int(out.text.split(f"{bomb}:")[1].split(":")[0])
    assert 1 <= line <= 9  # the anchor whose copies pile up past the bound


@pytest.mark.parametrize("route", ["stdin", "check", "explain", "add-route"])
def test_bomb_is_refused_on_every_cli_path(bomb: Path, route: str) -> None:
    if route == "stdin":
        out = _cli("-f", "-", stdin=bomb.read_bytes())
        name = "<stdin>"
    elif route == "check":
        out = _cli("check", str(bomb))
        name = str(bomb)
    elif route == "explain":
        out = _cli("explain", "-f", str(bomb))
        name = str(bomb)
    else:
        out = _cli("add-route", "dsar-purge", "--schedule", "0 3 * * *", "-f", str(bomb))
        name = str(bomb)
    assert out.code == 2, out.text
    assert name in (out.text + out.stdout.decode()) and "aliases expand" in (out.text + out.stdout.decode())
    assert bomb.read_text() == BOMB  # add-route changed nothing


@pytest.mark.parametrize("where", ["values.yaml", "Chart.yaml"])
def test_bomb_in_the_chart_is_refused(tmp_path: Path, where: str) -> None:
    chart = tmp_path / "chart"
    shutil.copytree(ROOT / "chart", chart)
    with open(chart / where, "a", encoding="utf-8") as out:
        out.write("\n" + fuzz.inputs.list_bomb(10, 9, "zz"))
    with pytest.raises(ChartError, match=rf"{where}:\d+:\d+: the YAML aliases expand"):
        load_chart(chart)
    result = _cli("--chart", str(chart))
    assert result.code == 2 and where in result.text


def test_recursive_aliases_are_refused() -> None:
    for text in ("a: &a [1, *a]\n", "a: &a {b: *a}\n", "a: &a {<<: *a, x: 1}\n"):
        with pytest.raises(ValuesError, match="recursive alias") as err:
            parse_yaml(text, "r.yaml")
        assert err.value.file == "r.yaml" and err.value.line == 1


def test_aliases_under_the_bound_still_work() -> None:
    data = parse_yaml("base: &b {q: 1, r: 2}\nm: {<<: *b, r: 3}\nl: [*b, *b]\n" + fuzz.inputs.list_bomb(4, 4))
    assert data["m"] == {"q": 1, "r": 3} and data["l"] == [{"q": 1, "r": 2}] * 2
    assert len(data["l3"]) == 4 and data["l3"][0][0][0] == ["lol"] * 4


def test_the_expansion_bound_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    text = fuzz.inputs.list_bomb(10, 4)  # 10**4 leaves: about 40,000 once expanded
    assert parse_yaml(text)
    monkeypatch.setenv("KAIREON_CHART_MAX_EXPANDED", "10000")
    with pytest.raises(ValuesError, match="past 10,000"):
        parse_yaml(text, "x.yaml")
    monkeypatch.setenv("KAIREON_CHART_MAX_EXPANDED", "lots")
    with pytest.raises(ValuesError, match="KAIREON_CHART_MAX_EXPANDED='lots' is not a positive integer"):
        parse_yaml(text, "x.yaml")


def test_a_string_bomb_counts_characters() -> None:
    text = "s: &s " + "x" * 50_000 + "\nl: [" + ", ".join(["*s"] * 100) + "]\n"  # 5,000,000 characters
    with pytest.raises(ValuesError, match="aliases expand"):
        parse_yaml(text, "s.yaml")


def test_depth_bound_for_files_and_set_json(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_yaml("a: " + "[" * 99 + "]" * 99)
    with pytest.raises(ValuesError, match="nest more than 100 levels") as err:
        parse_yaml("a: " + "[" * 101 + "]" * 101, "d.yaml")
    assert (err.value.file, err.value.line) == ("d.yaml", 1)
    with pytest.raises(ValuesError, match=r"--set-json 'a=\[\[.*nest 101 levels deep"):
        user_values(set_json=["a=" + "[" * 100 + "]" * 100])
    monkeypatch.setenv("KAIREON_CHART_MAX_DEPTH", "200")
    assert user_values(set_json=["a=" + "[" * 150 + "]" * 150])


def test_size_bounds_per_file_and_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small.yaml"
    small.write_text("a: " + "x" * 600 + "\n")
    monkeypatch.setenv("KAIREON_CHART_MAX_FILE_BYTES", "500")
    with pytest.raises(ValuesError, match="larger than 500 bytes.*KAIREON_CHART_MAX_FILE_BYTES") as err:
        user_values(files=[small])
    assert err.value.file == str(small)
    monkeypatch.setenv("KAIREON_CHART_MAX_FILE_BYTES", "1000")
    monkeypatch.setenv("KAIREON_CHART_MAX_TOTAL_BYTES", "1000")
    assert user_values(files=[small]) == {"a": "x" * 600}
    with pytest.raises(ValuesError, match="larger than 1,000 bytes together.*KAIREON_CHART_MAX_TOTAL_BYTES"):
        user_values(files=[small, small])


def test_dev_zero_and_big_stdin_stop_at_the_bound() -> None:
    out = _cli("-f", "/dev/zero")
    assert out.code == 2 and "/dev/zero: larger than 1,048,576 bytes" in out.text
    out = _cli("-f", "-", stdin=b"# " + b"x" * (3 * 1024 * 1024))
    assert out.code == 2 and "<stdin>: larger than" in out.text


def test_alias_chains_are_counted_in_linear_time(tmp_path: Path) -> None:
    """20,000 anchors, each doubling the last: 2**20000 once expanded. Sizes saturate at the bound, so
    counting stays linear (a subprocess with a CPU-time limit: an exponential count would be killed).
    The depth bound is lifted so that the expansion bound is the one that answers."""
    text = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 20_000))
    path = tmp_path / "chain.yaml"
    path.write_text(text)
    out = _cli("-f", str(path), env={"KAIREON_CHART_MAX_DEPTH": "100000"})
    assert out.code == 2 and "aliases expand" in out.text


def test_check_node_directly() -> None:
    import yaml

    node = yaml.compose("a: &a [1, 2]\nb: [*a, *a]\n")
    limits.check_node(node)  # small: fine
    assert limits.check_data({"a": [[{"b": 1}]]}) is None
    deep: list = []
    for _ in range(150):
        deep = [deep]
    assert limits.check_data(deep) == 101


def test_locating_problems_indexes_each_mapping_once() -> None:
    """Origins.find looks keys up in a per-node index built once (the full fuzz run found 20,000 schedule
    entries taking minutes: every problem scanned every key of its map)."""
    text = (
        "cron:\n  schedules:\n"
        + "".join(f"    j{i}: {{schedule: x}}\n" for i in range(3000))
        + "    j1: {}\n"
    )
    origins = Origins(files=[("many.yaml", text)])
    assert origins.find("cron.schedules.j2999.schedule") == ("many.yaml", 3002)
    assert origins.find("cron.schedules.j1") == ("many.yaml", 4)  # the first of duplicate keys, as before
    assert origins.find("cron.schedules.nope") == (None, None)
    schedules = _compose(text).value[0][1].value[0][1]
    index = schedules._kaireon_keys
    origins.find("cron.schedules.j7.schedule")
    assert schedules._kaireon_keys is index and len(index) == 3000


def test_a_damaged_cache_entry_nested_past_the_recursion_limit_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kaireon_chart import cache

    monkeypatch.setenv("KAIREON_CHART_CACHE", "1")
    monkeypatch.setenv("KAIREON_CHART_CACHE_DIR", str(tmp_path))
    (tmp_path / "deadbeef.json").write_text("[" * 100_000 + "]" * 100_000)
    assert cache.get("deadbeef") is None
