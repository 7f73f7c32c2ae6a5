"""render-values fuzzer: the real CLI against hostile files and flags, under CPU, memory and time bounds.

A CI runner runs ``render-values`` on files from pull requests, so every input below is one an attacker
(or an unlucky operator) can send. Each case runs ``python -m kaireon_chart.cli`` in a subprocess with
``RLIMIT_CPU``, ``RLIMIT_AS`` and a wall-clock timeout; it *holds* when the exit code is 0, 1 or 2,
stderr has no ``Traceback``, no resource limit was hit (no SIGXCPU/SIGKILL, no MemoryError, no
"too large for this process" from the CLI's last-resort handler) and it did not hang.

``run(quick, seed, workdir)`` returns one dict per kind of attack::

    {"scenario": "render-fuzz/<kind>", "tried": "<what>", "count": N, "held": bool, "failures": [...]}

Kinds: random types at every key of the chart's values, mutated values files, alias bombs (lists,
maps, merge keys, strings, recursive; through ``-f``, stdin, ``check``, ``add-route -f`` and
``--chart``), huge scalars (300,000-character strings shaped for each check's regex, 5,000-digit
numbers, deep nesting, files past the size bound, ``/dev/zero``), bad encodings (invalid UTF-8,
UTF-16/32 BOMs, NUL and control characters, undecodable argv) and bad ``--set``/``--set-json``/
``--set-string`` expressions. Many files go through one ``check`` process (a failing batch is re-run
file by file to name the culprit), so ``quick=True`` takes about 20 s on one core.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chaos.scenarios import _render_hostile as hostile
from chaos.scenarios import _render_inputs as inputs

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 30  # per process; a linear CLI needs a few seconds for the largest input allowed
MEMORY_BYTES = 1536 * 1024 * 1024  # address space per process (the 2025 bomb reached 4.6 GB)
TIMEOUT = 90.0  # wall clock per process (the machine may be shared): past it, the case hung
EDGE_MESSAGE = "too large for this process"  # cli.main's MemoryError/RecursionError handler


class Outcome:
    """How one CLI process ended."""

    def __init__(self, code: int | None, stdout: bytes, stderr: bytes, hung: bool = False) -> None:
        self.code, self.stdout, self.stderr, self.hung = code, stdout, stderr, hung

    @property
    def text(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def failure(self) -> str | None:
        """Why the case did not hold, or None."""
        if self.hung:
            return f"hung (no exit within {TIMEOUT:.0f} s)"
        if self.code is not None and self.code < 0:
            name = signal.Signals(-self.code).name if -self.code in signal.Signals._value2member_map_ else ""
            return f"killed by signal {-self.code} {name} (resource limit hit?)"
        if "Traceback" in self.text:
            return "traceback: " + self.text.strip().splitlines()[-1][:300]
        if "MemoryError" in self.text or EDGE_MESSAGE in self.text:
            return "hit the memory/recursion limit: " + self.text.strip()[-300:]
        if self.code not in (0, 1, 2):
            return f"exit code {self.code}: {self.text.strip()[-300:]}"
        return None


def _limits(cpu: int, memory: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_cli(
    args: list[Any],
    *,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    cpu: int = CPU_SECONDS,
    memory: int = MEMORY_BYTES,
    timeout: float = TIMEOUT,
) -> Outcome:
    """``python -m kaireon_chart.cli ARGS`` (this checkout's code) under RLIMIT_CPU/RLIMIT_AS and a timeout.
    ``args`` may hold bytes (argv that is not UTF-8)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "KAIREON_CHART_CACHE": "0", **(env or {})}
    for name in [n for n in full_env if n.startswith("KAIREON_CHART_MAX_")]:
        if name not in (env or {}):
            del full_env[name]  # the documented default bounds, unless the caller sets one
    proc = subprocess.Popen(  # noqa: S603 - our own CLI, argv list
        [sys.executable, "-m", "kaireon_chart.cli", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=full_env,
        preexec_fn=_limits(cpu, memory),
    )
    try:
        out, err = proc.communicate(stdin or b"", timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return Outcome(None, out, err, hung=True)
    except BrokenPipeError:  # the CLI stopped reading stdin early (e.g. at the size bound)
        out, err = proc.communicate()
    return Outcome(proc.returncode, out, err)


class _Scenario:
    """Counts cases and collects failures of one kind of attack."""

    def __init__(self, kind: str, tried: str, workdir: Path) -> None:
        self.kind, self.tried, self.count = kind, tried, 0
        self.failures: list[str] = []
        self.dir = workdir / kind
        self.dir.mkdir(parents=True, exist_ok=True)
        self.env = {"KAIREON_CHART_CACHE": "1", "KAIREON_CHART_CACHE_DIR": str(workdir / "cache")}
        self._n = 0

    def file(self, data: bytes | str, suffix: str = ".yaml") -> Path:
        self._n += 1
        path = self.dir / f"case{self._n:05d}{suffix}"
        path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        return path

    def case(self, label: str, args: list[Any], stdin: bytes | None = None, inputs: int = 1) -> bool:
        self.count += inputs
        why = run_cli(args, stdin=stdin, cwd=self.dir, env=self.env).failure()
        if why is not None:
            self.failures.append(f"{label}: {why}")
        return why is None

    def batch(self, label: str, files: list[Path], extra: list[str] | None = None) -> None:
        """Many files through one ``check`` process; on failure, each alone (to name the culprit)."""
        if not files:
            return
        if self.case(
            f"{label} (check, {len(files)} files)",
            ["check", *map(str, files), *(extra or [])],
            inputs=len(files),
        ):
            return
        self.failures.pop()
        for path in files:
            why = run_cli(["check", str(path), *(extra or [])], cwd=self.dir, env=self.env).failure()
            if why is not None:
                self.failures.append(f"{label} {path.name}: {why}")

    def result(self) -> dict[str, Any]:
        return {
            "scenario": f"render-fuzz/{self.kind}",
            "tried": self.tried,
            "count": self.count,
            "held": not self.failures,
            "failures": self.failures[:20],
        }


# --------------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------------


def _random_types(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "random-types",
        "random types (null, bool, int64 edges, floats, text, lists, maps) at every "
        "key of the chart's values",
        workdir,
    )
    paths = inputs.chart_paths()
    batches, size = (2, 40) if quick else (30, 40)
    for b in range(batches):
        sc.batch(f"batch {b}", [sc.file(inputs.typed_file(rng, paths)) for _ in range(size)])
    for command in ([], ["explain"]) if quick else ([], ["explain"], ["--format", "json"]) * 10:
        path = sc.file(inputs.typed_file(rng, paths))
        sc.case(f"{command or 'render'} {path.name}", [*command, "-f", str(path)])
    return sc.result()


def _mutated(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "mutated-files", "valid and invalid values files with random byte, token and line mutations", workdir
    )
    seeds = [ROOT / "chart" / "values.yaml", *sorted((ROOT / "tests" / "examples").glob("*/*.yaml"))]
    texts = [p.read_bytes() for p in seeds]
    batches, size = (2, 40) if quick else (30, 40)
    for b in range(batches):
        sc.batch(f"batch {b}", [sc.file(inputs.mutate(rng, rng.choice(texts))) for _ in range(size)])
    for _ in range(2 if quick else 20):
        path = sc.file(inputs.mutate(rng, rng.choice(texts)))
        sc.case(f"render {path.name}", ["-f", str(path)])
    return sc.result()


def _alias_bombs(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "alias-bombs",
        "YAML alias bombs (lists, maps, merge keys, strings, recursive) via -f, stdin, "
        "check, add-route -f and --chart",
        workdir,
    )
    bombs = list(hostile.bombs(rng))
    files = [(label, sc.file(text)) for label, text in bombs]
    for label, path in files if not quick else files[:1] + rng.sample(files[1:], 2):
        sc.case(label, ["-f", str(path)])
    sc.batch("all bombs", [path for _label, path in files])
    classic = files[0][1]
    sc.case("stdin bomb", ["-f", "-"], stdin=classic.read_bytes())
    sc.case("add-route -f bomb", ["add-route", "dsar-purge", "--schedule", "0 3 * * *", "-f", str(classic)])
    sc.case("explain bomb", ["explain", "-f", str(classic)])
    for where in ("values.yaml", "Chart.yaml"):
        chart = sc.dir / f"chart-{where.split('.')[0]}"
        if not chart.exists():
            shutil.copytree(ROOT / "chart", chart)
            with open(chart / where, "a", encoding="utf-8") as out:
                out.write("\n" + inputs.list_bomb(10, 9, "zz"))
        sc.case(f"--chart with a bomb in {where}", ["--chart", str(chart)])
    if not quick:
        for _ in range(20):
            width, depth = rng.randint(2, 30), rng.randint(2, 15)
            sc.case(f"bomb {width}x{depth}", ["-f", str(sc.file(inputs.list_bomb(width, depth)))])
    return sc.result()


def _huge(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "huge-scalars",
        "300,000-character strings shaped for each check (every string key), "
        "5,000-digit numbers, long keys, deep nesting, files past the size bound, /dev/zero",
        workdir,
    )
    for label, args, stdin in hostile.huge_cases(sc, rng, quick):
        files = (
            sum(1 for a in args if isinstance(a, str) and a.endswith(".yaml")) if args[:1] == ["check"] else 1
        )
        sc.case(label, args, stdin, inputs=max(1, files))
    return sc.result()


def _encodings(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "bad-encodings",
        "invalid UTF-8, UTF-16/32 BOMs, NUL and control characters, surrogates, argv that is not UTF-8",
        workdir,
    )
    for label, args, stdin in hostile.encoding_cases(sc, rng, quick):
        sc.case(label, args, stdin)
    return sc.result()


def _set_flags(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "bad-set-expressions",
        "bad --set / --set-string / --set-json expressions (grammar edges, "
        "huge numbers and indexes, deep JSON, NaN, random strings)",
        workdir,
    )
    for label, args, stdin in hostile.set_cases(rng, quick):
        sc.case(label, args, stdin)
    return sc.result()


SCENARIOS = [_random_types, _mutated, _alias_bombs, _huge, _encodings, _set_flags]


def run(quick: bool, seed: int, workdir: Path) -> list[dict[str, Any]]:
    """Run every kind of attack; one result dict per kind (see the module docstring)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    for i, scenario in enumerate(SCENARIOS):
        out.append(scenario(workdir, random.Random(f"{seed}:{i}"), quick))
    return out


if __name__ == "__main__":  # python -m chaos.scenarios.render_fuzz [--full] [SEED]
    import json
    import tempfile

    full = "--full" in sys.argv
    seed_arg = [a for a in sys.argv[1:] if a != "--full"]
    with tempfile.TemporaryDirectory() as tmp:
        for row in run(not full, int(seed_arg[0]) if seed_arg else 0, Path(tmp)):
            print(json.dumps(row))
