"""Every check is linear in its input: each regex that was quadratic or exponential, on its pathological input.

Each case runs in a subprocess under RLIMIT_CPU (not a wall-clock assertion): a quadratic or
exponential version is killed by SIGXCPU and the test fails; a linear one needs well under a second.
Before the fix, "a://" + 300,000 "a"s took 86 s in the "URL with a password" check, and the image
repository pattern of values.schema.json took minutes on 60 characters ("a/" * 30 + "@").
The parsers that replaced two regexes are checked against those regexes on small inputs (hypothesis).
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaireon_chart.checks import secrets

ROOT = Path(__file__).resolve().parents[2]
N = 300_000
CPU_SECONDS = 20

# (name, Python expression evaluated in the subprocess with `s` bound to the pathological input)
_SECRET_CASES = {
    "url-password": "'a://' + 'a' * N",
    "url-password-scheme-run": "'a' * N + '://'",
    "url-password-many": "'a://b' * (N // 5)",
    "jwt": "'eyJ' * (N // 3)",
    "jwt-dots": "('eyJ' + 'a' * 6 + '.') * (N // 10)",
    "private-key": "'-----BEGIN ' + 'A' * N",
    "private-key-many": "'-----BEGIN A' * (N // 12)",
    "bearer": "'bearer ' + ' ' * N + 'x'",
    "github": "'github_pat_' + 'a' * N + 'é'",
    "github-short": "'ghp_' + 'a' * N + '_'",
    "slack": "'xoxb-' * (N // 5)",
    "aws": "'AKIA' * (N // 4)",
    "sk": "'sk-' * (N // 3)",
}


def _run_limited(code: str) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))

    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


@pytest.mark.parametrize("name", sorted(_SECRET_CASES))
def test_secret_shapes_are_linear(name: str) -> None:
    code = (
        f"N = {N}\ns = {_SECRET_CASES[name]}\n"
        "from kaireon_chart.checks import secrets\n"
        "secrets._shape(s); secrets._shape(s + '@'); secrets._shape('x' + s)\n"
        "list(secrets.scan({'cron': {'schedules': {'a': {'schedule': s}}}, 'api': {'env': [{'name': 'A', 'value': s}]}}))\n"
        "print('done')\n"
    )
    proc = _run_limited(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "done", (proc.returncode, proc.stderr[-500:])


def _schema_patterns() -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.append(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((ROOT / "schemas" / "values.schema.json").read_text()))
    return sorted(set(found))


@pytest.mark.parametrize("pattern", _schema_patterns())
def test_schema_patterns_are_linear(pattern: str) -> None:
    """Every pattern of the values schema, on inputs built to make a backtracking engine repeat work."""
    code = (
        f"import re\nN = {N}\np = re.compile({pattern!r})\n"
        "for s in ['a/' * (N // 2) + '@', 'a' * N + '!', 'a-' * (N // 2) + '_', 'a.' * (N // 2) + '_',\n"
        "          'a:1' + '/a' * (N // 2) + '@', 'https://' + 'a' * N + ' ', '0' * N + ':', '/a' * N + ' ']:\n"
        "    p.search(s)\nprint('done')\n"
    )
    proc = _run_limited(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "done", (
        pattern,
        proc.returncode,
        proc.stderr[-300:],
    )


def test_the_schema_validators_are_linear_on_the_repository_pattern() -> None:
    """Both validators (the generated one and jsonschema) on the input that hung the old pattern."""
    code = (
        "from kaireon_chart import schema\nfrom kaireon_chart.chart import load_chart\n"
        "from kaireon_chart.values import coalesce\nc = load_chart()\n"
        "for s in ['a/' * 30 + '@', 'a/' * 100000 + '@']:\n"
        "    v = coalesce({'cron': {'image': {'repository': s}}, 'api': {'image': {'repository': s}}}, c.values)\n"
        "    assert schema.check(v, c.schema)\nprint('done')\n"
    )
    proc = _run_limited(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "done", (proc.returncode, proc.stderr[-300:])


# The parsers answer exactly as the regexes they replaced (on inputs small enough for the regexes).
_OLD_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")
_OLD_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_OLD_REPO = re.compile(r"^[^\s:@]+(:[0-9]+)?(/[^\s:@]+)*$")


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab1+-.:/@ \n", max_size=30)
    | st.lists(st.sampled_from(["https://", "u", ":", "pw", "@", "/", " ", "a.b", "://"]), max_size=10).map(
        "".join
    )
)
def test_url_password_parser_matches_the_regex(text: str) -> None:
    assert secrets._has_url_password(text) == bool(_OLD_URL.search(text))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["eyJ", "abcde", "x", ".", "-", "_", " ", "eyJabcde."]), max_size=12).map(
        "".join
    )
)
def test_jwt_parser_matches_the_regex(text: str) -> None:
    assert secrets._has_jwt(text) == bool(_OLD_JWT.search(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a0/:@ \n", max_size=14))
def test_repository_pattern_is_the_same_language(text: str) -> None:
    from kaireon_chart.schema import PATTERN_MEANINGS

    new = next(p for p in PATTERN_MEANINGS if "(:[0-9]+" in p)
    assert bool(re.search(new, text)) == bool(_OLD_REPO.search(text))
