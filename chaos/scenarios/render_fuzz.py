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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CPU_SECONDS = 30  # per process; a linear CLI needs a few seconds for the largest input allowed
MEMORY_BYTES = 1536 * 1024 * 1024  # address space per process (the 2025 bomb reached 4.6 GB)
TIMEOUT = 90.0  # wall clock per process (the machine may be shared): past it, the case hung
EDGE_MESSAGE = "too large for this process"  # cli.main's MemoryError/RecursionError handler

Case = tuple[str, list[Any], bytes | None]  # (label, argv after the program, stdin)


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
# Inputs
# --------------------------------------------------------------------------------------------------


def _yaml() -> Any:
    import yaml

    return yaml


def _chart_paths() -> list[list[str]]:
    """Every key path of the chart's values.yaml (lists as index 0), plus a new schedule entry's fields."""
    data = _yaml().safe_load((ROOT / "chart" / "values.yaml").read_text(encoding="utf-8"))
    out: list[list[str]] = []

    def walk(node: Any, path: list[Any]) -> None:
        if path:
            out.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, str(key)])
        elif isinstance(node, list) and node:
            walk(node[0], [*path, 0])

    walk(data, [])
    for field in (
        "schedule",
        "path",
        "timeZone",
        "suspend",
        "concurrencyPolicy",
        "activeDeadlineSeconds",
        "startingDeadlineSeconds",
        "backoffLimit",
        "resources",
        "token",
        "enabled",
    ):
        out.append(["cron", "schedules", "fuzzJob", field])
    return out


_WORDS = [
    "",
    "null",
    "~",
    "0",
    "-1",
    "true",
    "yes",
    "on",
    "Local",
    "UTC",
    "Europe/Berlin",
    "@every 0s",
    "@daily",
    "TZ=UTC 0 0 * * *",
    "0 0 30 2 *",
    "*/5 * * * 7",
    "Forbid",
    "/api/v1/cron/x",
    "$(reboot)",
    "a b",
    "https://u:pw@host/",
    "Bearer abcdefghijkl",
    "0x1F",
    "1e400",
    "1_000",
    ".inf",
    "2024-01-01",
    "é∂ƒ",
]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.12:
        return rng.choice([None, True, False])
    if roll < 0.3:
        return rng.choice(
            [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, rng.randint(-9999, 9999)]
        )
    if roll < 0.4:
        return rng.choice([0.5, -0.0, 1e308, 1e-300, 3.0, 1e21, rng.uniform(-1e6, 1e6)])
    if roll < 0.7:
        return rng.choice(_WORDS)
    if roll < 0.8:
        return "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x2FFF)]))
            for _ in range(rng.randint(0, 40))
        )
    if depth > 3:
        return rng.choice(_WORDS)
    if roll < 0.9:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["a", "name", "value", "schedule", "1", "true", "x-y"]): random_value(rng, depth + 1)
        for _ in range(rng.randint(0, 4))
    }


def _nest(path: list[Any], value: Any) -> Any:
    for key in reversed(path):
        value = [value] if isinstance(key, int) else {key: value}
    return value


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **{k: _merge(a.get(k), v) if k in a else v for k, v in b.items()}}
    return b


def _typed_file(rng: random.Random, paths: list[list[str]]) -> str:
    doc: Any = {}
    for _ in range(rng.randint(1, 4)):
        doc = _merge(doc, _nest(rng.choice(paths), random_value(rng)))
    return str(_yaml().safe_dump(doc, allow_unicode=rng.random() < 0.5, sort_keys=False))


_TOKENS = [
    b"&a ",
    b"*a",
    b"<<: ",
    b"<<: *a",
    b"!!binary ",
    b"!!python/object:os.system ",
    b"!!str ",
    b"\t",
    b"\x00",
    b"\xff",
    b"{",
    b"[",
    b"]",
    b"}",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
    b"? ",
    b"|",
    b">-",
    b"'",
    b'"',
    b"#",
    b"\r",
    b"\xef\xbb\xbf",
    b"\n  ",
    b": ",
    b"- ",
    b"\\",
    b"%",
    b"@",
    b"`",
    b"!",
]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        at = rng.randint(0, len(buf))
        op = rng.randrange(6)
        if op == 0 and buf:
            buf[min(at, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[at:at] = rng.choice(_TOKENS)
        elif op == 2:
            del buf[at : at + rng.randint(1, 40)]
        elif op == 3:
            lines = bytes(buf).split(b"\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[rng.randrange(len(lines))])
            buf = bytearray(b"\n".join(lines))
        elif op == 4:
            buf = buf[:at]
        else:
            lines = bytes(buf).split(b"\n")
            i = rng.randrange(len(lines))
            lines[i] = b" " * rng.randint(0, 9) + lines[i].lstrip()
            buf = bytearray(b"\n".join(lines))
    return bytes(buf)


def _list_bomb(width: int, depth: int, prefix: str = "") -> str:
    lines = [f"{prefix}l0: &l0 [" + ",".join(["lol"] * width) + "]"]
    for i in range(1, depth):
        lines.append(f"{prefix}l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _bombs(rng: random.Random) -> Iterator[tuple[str, str]]:
    yield "list bomb 9x9 (the 450-byte file)", _list_bomb(9, 9)
    yield "list bomb under cron", "cron:\n" + _list_bomb(10, 8, "  ")
    yield (
        "map bomb",
        "a0: &a0 {k: v}\n"
        + "".join(
            f"a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(10)) + "}\n" for i in range(1, 9)
        ),
    )
    yield (
        "merge-key bomb",
        "m0: &m0 {a: 1, b: 2}\n"
        + "".join(
            f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 8) + f"], k{i}: 1}}\n" for i in range(1, 12)
        ),
    )
    yield "string bomb", "s: &s " + "x" * 100_000 + "\nl: [" + ", ".join(["*s"] * 200) + "]\n"
    yield "recursive list", "a: &a [1, *a]\n"
    yield "recursive map", "a: &a {b: *a}\n"
    yield "recursive merge", "a: &a {<<: *a, x: 1}\n"
    width, depth = rng.randint(2, 12), rng.randint(3, 12)
    yield f"random bomb {width}x{depth}", _list_bomb(width, depth)
    yield (
        "near the bound (must pass)",
        "cron:\n  schedules:\n    cleanup:\n      resources:\n" + _list_bomb(8, 5, "        "),
    )


# Strings shaped for each regex and parser (the 86 s "URL with a password" input first)
def _pathological(n: int) -> list[tuple[str, str]]:
    return [
        ("url-password", "a://" + "a" * n),
        ("jwt", "eyJ" * (n // 3)),
        ("repo pattern", "a/" * (n // 2) + "@"),
        ("dns", "a-" * (n // 2) + "_"),
        ("private key", "-----BEGIN " + "A" * n),
        ("spaces", " " * n + "x"),
        ("digits", "1" * n),
        ("dots", ("a" * 50 + ".") * (n // 51) + "_"),
        ("bearer", "bearer " + "a" * n),
        ("cron", "*/" * (n // 2)),
        ("github", "github_pat_" + "a" * n + "é"),
        ("tz", "A/" * (n // 2)),
        ("scheme run", "a" * n + "://"),
        ("colons", ":" * n),
        ("placeholder", "$" + "a" * n + "!"),
    ]


_STRING_KEYS = [
    ["cron", "schedules", "cleanup", "schedule"],
    ["cron", "schedules", "cleanup", "path"],
    ["cron", "schedules", "cleanup", "timeZone"],
    ["cron", "timeZone"],
    ["cron", "secret", "name"],
    ["cron", "secret", "key"],
    ["cron", "image", "repository"],
    ["cron", "image", "tag"],
    ["cron", "apiUrl"],
    ["nameOverride"],
    ["fullnameOverride"],
    ["cron", "schedules", "cleanup", "x"],
    ["api", "image", "repository"],
    ["cron", "concurrencyPolicy"],
]


def _huge_cases(sc: _Scenario, rng: random.Random, quick: bool) -> Iterator[Case]:
    n = 300_000
    shapes = _pathological(n)
    keys = _STRING_KEYS if not quick else rng.sample(_STRING_KEYS, 3)
    for key in keys:
        files = [sc.file(_yaml().safe_dump(_nest(key, text), width=10**9)) for _label, text in shapes]
        yield (f"{'.'.join(key)} x {len(shapes)} shapes", ["check", *map(str, files)], None)
    others = list(_huge_singles(sc, quick, n))
    yield from (others if not quick else rng.sample(others, 8))


def _huge_singles(sc: _Scenario, quick: bool, n: int) -> Iterator[Case]:
    yield "5000-digit int", ["-f", str(sc.file("api:\n  replicas: " + "1" * 5000 + "\n"))], None
    yield "hex int of 20000 bits", ["-f", str(sc.file("cron:\n  backoffLimit: 0x" + "f" * 5000 + "\n"))], None
    yield "long key", ["-f", str(sc.file("cron:\n  " + "k" * n + ": 1\n"))], None
    yield (
        "300k-char key under schedules",
        ["-f", str(sc.file("cron:\n  schedules:\n    " + "a" * n + ": {}\n"))],
        None,
    )
    yield (
        "many keys",
        [
            "-f",
            str(
                sc.file(
                    "cron:\n  schedules:\n"
                    + "".join(
                        f"    j{i}: {{schedule: '* * * * *', path: /x}}\n"
                        for i in range(3000 if quick else 20000)
                    )
                )
            ),
        ],
        None,
    )
    yield "depth 99", ["-f", str(sc.file("a: " + "[" * 99 + "]" * 99 + "\n"))], None
    yield "depth 101", ["-f", str(sc.file("cron: " + "{a: " * 101 + "1" + "}" * 101 + "\n"))], None
    yield "depth 5000", ["-f", str(sc.file("a: " + "[" * 5000 + "]" * 5000 + "\n"))], None
    yield "file past the size bound", ["-f", str(sc.file(b"a: " + b"x" * (1024 * 1024 + 10) + b"\n"))], None
    yield "/dev/zero", ["-f", "/dev/zero"], None
    yield "stdin past the size bound", ["-f", "-"], b"# " + b"x" * (2 * 1024 * 1024)
    yield "--set 5000 digits", ["--set", "api.replicas=" + "1" * 5000], None
    yield "--set-json 10000 digits", ["--set-json", "a=" + "1" * 10000], None
    yield (
        "--set 100k-char schedule",
        ["--set", "cron.schedules.cleanup.schedule=" + "a://" + "a" * 100_000],
        None,
    )


def _encoding_cases(sc: _Scenario, rng: random.Random, quick: bool) -> Iterator[Case]:
    base = "cron:\n  schedules:\n    cleanup:\n      schedule: '0 3 * * *'\n"
    variants: list[tuple[str, bytes]] = [
        ("invalid UTF-8", b"a: \xff\xfe\n"),
        ("UTF-16 LE BOM", b"\xff\xfe" + base.encode("utf-16-le")),
        ("UTF-16 BE BOM", b"\xfe\xff" + base.encode("utf-16-be")),
        ("UTF-32", base.encode("utf-32")),
        ("UTF-8 BOM", b"\xef\xbb\xbf" + base.encode()),
        ("NUL", base.encode() + b"x: \x00\n"),
        ("lone surrogate", b"a: \xed\xa0\x80\n"),
        ("overlong", b"a: \xc0\xaf\n"),
        ("CRLF", base.replace("\n", "\r\n").encode()),
        ("lone CR", base.replace("\n", "\r").encode()),
        ("control chars", b"a: \x1b[31m\x07\x08\n"),
        ("bidi", "a: \u202eevil\u202c\n".encode()),
        ("BOM inside", "a: x\ufeffy\n".encode()),
        ("U+2028", "a: 'x\u2028y'\n".encode()),
        ("non-character", "a: \ufffe\n".encode()),
        ("escaped surrogate", b'a: "\\ud800"\n'),
        ("escaped NUL", b'cron:\n  apiUrl: "\\0"\n'),
        ("random bytes", bytes(rng.randrange(256) for _ in range(300))),
        ("latin-1", "a: café\n".encode("latin-1")),
    ]
    files = [sc.file(data) for _label, data in variants]
    yield "all encodings (check)", ["check", *map(str, files)], None
    singles = list(zip(variants, files, strict=True))
    for (label, _data), path in singles if not quick else rng.sample(singles, 4):
        yield label, ["-f", str(path)], None
    yield "stdin UTF-16", ["-f", "-"], b"\xff\xfe" + base.encode("utf-16-le")
    yield "argv not UTF-8 (--set)", [b"--set", b"cron.schedules.x.path=\xff\xfe"], None
    yield "argv not UTF-8 (-f)", [b"-f", b"/tmp/\xff.yaml"], None
    yield "argv not UTF-8 (--release-name)", [b"--release-name", b"r\xff"], None


_SET_ALPHABET = "ab.[]{},=\\0123456789-_ \"':@é"


def _set_cases(rng: random.Random, quick: bool) -> Iterator[Case]:
    fixed = [
        "a[65537]=1",
        "a[-1]=1",
        "a[" + "9" * 5000 + "]=1",
        ".".join(["a"] * 31) + "=1",
        "=",
        ",",
        "\\",
        "a={",
        "a={b,c",
        "a=b\\",
        "a[0]b=1",
        "a.=1",
        "[0]=1",
        "a[0][0][0].b[1]=x",
        "a=1,a.b=2",
        "a.b=1,a=2",
        "api.replicas=99999999999999999999",
        "api.replicas=-9223372036854775809",
        "cron=null",
        "cron.schedules=[]",
        "a=" + "{" * 2000,
    ]
    fixed_json = [
        "a=" + "[" * 5000 + "]" * 5000,
        "a=" + '{"a":' * 900 + "1" + "}" * 900,
        "a=NaN",
        "a=Infinity",
        "a=1e400",
        "a=-" + "1" * 10000,
        'a="\\ud800"',
        'a="\\u0000"',
        "a={",
        "a=[1,",
        "a=1 2",
        "cron.schedules.cleanup=" + '{"schedule": "' + "a://" + "a" * 50_000 + '"}',
        "a=" + "9" * 320,
        "a=0." + "0" * 400 + "1",
        "a=-0",
        "a=1E+308",
    ]
    cases = [(flag, item) for item in fixed for flag in ("--set", "--set-string")]
    cases += [("--set-json", item) for item in fixed_json]
    for flag, item in cases if not quick else rng.sample(cases, 16):
        yield f"{flag} {item[:40]!r}", [flag, item], None
    for _ in range(6 if quick else 200):
        flag = rng.choice(["--set", "--set-string", "--set-json"])
        items = [
            "".join(rng.choice(_SET_ALPHABET) for _ in range(rng.randint(0, 24)))
            for _ in range(rng.randint(1, 3))
        ]
        argv = [part for item in items for part in (flag, item)]
        yield f"random {argv!r}"[:120], argv, None


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
    paths = _chart_paths()
    batches, size = (2, 40) if quick else (30, 40)
    for b in range(batches):
        sc.batch(f"batch {b}", [sc.file(_typed_file(rng, paths)) for _ in range(size)])
    for command in ([], ["explain"]) if quick else ([], ["explain"], ["--format", "json"]) * 10:
        path = sc.file(_typed_file(rng, paths))
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
        sc.batch(f"batch {b}", [sc.file(_mutate(rng, rng.choice(texts))) for _ in range(size)])
    for _ in range(2 if quick else 20):
        path = sc.file(_mutate(rng, rng.choice(texts)))
        sc.case(f"render {path.name}", ["-f", str(path)])
    return sc.result()


def _alias_bombs(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "alias-bombs",
        "YAML alias bombs (lists, maps, merge keys, strings, recursive) via -f, stdin, "
        "check, add-route -f and --chart",
        workdir,
    )
    bombs = list(_bombs(rng))
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
                out.write("\n" + _list_bomb(10, 9, "zz"))
        sc.case(f"--chart with a bomb in {where}", ["--chart", str(chart)])
    if not quick:
        for _ in range(20):
            width, depth = rng.randint(2, 30), rng.randint(2, 15)
            sc.case(f"bomb {width}x{depth}", ["-f", str(sc.file(_list_bomb(width, depth)))])
    return sc.result()


def _huge(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "huge-scalars",
        "300,000-character strings shaped for each check (every string key), "
        "5,000-digit numbers, long keys, deep nesting, files past the size bound, /dev/zero",
        workdir,
    )
    for label, args, stdin in _huge_cases(sc, rng, quick):
        inputs = (
            sum(1 for a in args if isinstance(a, str) and a.endswith(".yaml")) if args[:1] == ["check"] else 1
        )
        sc.case(label, args, stdin, inputs=max(1, inputs))
    return sc.result()


def _encodings(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "bad-encodings",
        "invalid UTF-8, UTF-16/32 BOMs, NUL and control characters, surrogates, argv that is not UTF-8",
        workdir,
    )
    for label, args, stdin in _encoding_cases(sc, rng, quick):
        sc.case(label, args, stdin)
    return sc.result()


def _set_flags(workdir: Path, rng: random.Random, quick: bool) -> dict[str, Any]:
    sc = _Scenario(
        "bad-set-expressions",
        "bad --set / --set-string / --set-json expressions (grammar edges, "
        "huge numbers and indexes, deep JSON, NaN, random strings)",
        workdir,
    )
    for label, args, stdin in _set_cases(rng, quick):
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
