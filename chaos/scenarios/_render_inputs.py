"""Inputs of the render-values fuzzer (render_fuzz.py): random values at every key of the chart's
values, mutated values files, and the building blocks of the hostile cases (alias list bombs, the
string-valued keys); the hostile files and flags themselves: :mod:`chaos.scenarios._render_hostile`.

Each generator is deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import random
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
