"""Inputs of the render-values fuzzer (render_fuzz.py): hostile values, files, bombs, scalars, flags.

Each generator is deterministic for a given ``random.Random``; the ``*_cases`` generators write their
files through ``sc.file(data)`` and yield ``(label, argv, stdin)`` for one CLI run each.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import yaml

ROOT = Path(__file__).resolve().parents[2]
Case = tuple[str, list[Any], bytes | None]  # (label, argv after the program, stdin)


class FileMaker(Protocol):
    def file(self, data: bytes | str, suffix: str = ".yaml") -> Path: ...


def chart_paths() -> list[list[str]]:
    """Every key path of the chart's values.yaml (lists as index 0), plus a new schedule entry's fields."""
    data = yaml.safe_load((ROOT / "chart" / "values.yaml").read_text(encoding="utf-8"))
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


WORDS = [
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
        return rng.choice(WORDS)
    if roll < 0.8:
        return "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x2FFF)]))
            for _ in range(rng.randint(0, 40))
        )
    if depth > 3:
        return rng.choice(WORDS)
    if roll < 0.9:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["a", "name", "value", "schedule", "1", "true", "x-y"]): random_value(rng, depth + 1)
        for _ in range(rng.randint(0, 4))
    }


def nest(path: list[Any], value: Any) -> Any:
    for key in reversed(path):
        value = [value] if isinstance(key, int) else {key: value}
    return value


def merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **{k: merge(a.get(k), v) if k in a else v for k, v in b.items()}}
    return b


def typed_file(rng: random.Random, paths: list[list[str]]) -> str:
    doc: Any = {}
    for _ in range(rng.randint(1, 4)):
        doc = merge(doc, nest(rng.choice(paths), random_value(rng)))
    return str(yaml.safe_dump(doc, allow_unicode=rng.random() < 0.5, sort_keys=False))


TOKENS = [
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


def mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        at = rng.randint(0, len(buf))
        op = rng.randrange(6)
        if op == 0 and buf:
            buf[min(at, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[at:at] = rng.choice(TOKENS)
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


def list_bomb(width: int, depth: int, prefix: str = "") -> str:
    lines = [f"{prefix}l0: &l0 [" + ",".join(["lol"] * width) + "]"]
    for i in range(1, depth):
        lines.append(f"{prefix}l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def bombs(rng: random.Random) -> Iterator[tuple[str, str]]:
    yield "list bomb 9x9 (the 450-byte file)", list_bomb(9, 9)
    yield "list bomb under cron", "cron:\n" + list_bomb(10, 8, "  ")
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
    yield f"random bomb {width}x{depth}", list_bomb(width, depth)
    yield (
        "near the bound (must pass)",
        "cron:\n  schedules:\n    cleanup:\n      resources:\n" + list_bomb(8, 5, "        "),
    )


# Strings shaped for each regex and parser (the 86 s "URL with a password" input first)
def pathological(n: int) -> list[tuple[str, str]]:
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


STRING_KEYS = [
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


def huge_cases(sc: FileMaker, rng: random.Random, quick: bool) -> Iterator[Case]:
    n = 300_000
    shapes = pathological(n)
    keys = STRING_KEYS if not quick else rng.sample(STRING_KEYS, 3)
    for key in keys:
        files = [sc.file(yaml.safe_dump(nest(key, text), width=10**9)) for _label, text in shapes]
        yield (f"{'.'.join(key)} x {len(shapes)} shapes", ["check", *map(str, files)], None)
    others = list(huge_singles(sc, quick, n))
    yield from (others if not quick else rng.sample(others, 8))


def huge_singles(sc: FileMaker, quick: bool, n: int) -> Iterator[Case]:
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


def encoding_cases(sc: FileMaker, rng: random.Random, quick: bool) -> Iterator[Case]:
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


SET_ALPHABET = "ab.[]{},=\\0123456789-_ \"':@é"


def set_cases(rng: random.Random, quick: bool) -> Iterator[Case]:
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
            "".join(rng.choice(SET_ALPHABET) for _ in range(rng.randint(0, 24)))
            for _ in range(rng.randint(1, 3))
        ]
        argv = [part for item in items for part in (flag, item)]
        yield f"random {argv!r}"[:120], argv, None
