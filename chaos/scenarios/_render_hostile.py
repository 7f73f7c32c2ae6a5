"""Hostile cases of the render-values fuzzer (render_fuzz.py): alias bombs, huge scalars and deep
nesting, bad encodings, bad ``--set`` expressions.

Each generator is deterministic for a given ``random.Random``; the ``*_cases`` generators write their
files through ``sc.file(data)`` and yield ``(label, argv, stdin)`` for one CLI run each.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import yaml

from chaos.scenarios._render_inputs import STRING_KEYS, Case, FileMaker, list_bomb, nest


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
