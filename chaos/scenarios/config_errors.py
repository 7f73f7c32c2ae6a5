"""Malformed ``DATABASE_URL``: ``kaireon-service migrate|serve`` print ``DATABASE_URL: ...`` and exit 2.

Proves (issue 13, item 9): an unknown driver, a non-numeric port or an unclosed IPv6 bracket is a
configuration error — one line naming the variable, exit code 2 — never a Python traceback, and
the password inside the URL is never echoed.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chaos.common import Result, log_problems, result
from chaos.replica import run_cli

NAME = "config_errors"
PASSWORD = "hunter2-chaos-pw"
URLS = [
    f"postgresql+nosuchdriver://u:{PASSWORD}@127.0.0.1:5432/db",
    f"postgresql://u:{PASSWORD}@127.0.0.1:notaport/db",
    f"postgresql://u:{PASSWORD}@[::1/db",
    "mysql://u@127.0.0.1/db",
    f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:99999999/db",
    "sqlite+nosuchdriver:///x.db",
]
LINE = re.compile(r"^\s*DATABASE_URL: \S", re.M)


def _check(url: str, command: str, workdir: Path) -> list[str]:
    args = [command] + (["--port", "9", "--host", "127.0.0.1"] if command == "serve" else [])
    proc = run_cli(args, {"DATABASE_URL": url, "IN_PROCESS_SCHEDULER": "false"}, workdir, timeout=60)
    shown = url.replace(PASSWORD, "***")
    out = proc.stdout + proc.stderr
    failures = [f"{command} with DATABASE_URL={shown}: {p}" for p in log_problems(out, "output")]
    if proc.returncode != 2:
        failures.append(f"{command} with DATABASE_URL={shown}: exit {proc.returncode}, expected 2")
    if not LINE.search(proc.stderr):
        failures.append(
            f"{command} with DATABASE_URL={shown}: no 'DATABASE_URL: message' line on stderr "
            f"({proc.stderr.strip()[-200:]!r})"
        )
    if PASSWORD in out:
        failures.append(f"{command} with DATABASE_URL={shown}: the URL's password is echoed")
    return failures


def run(quick: bool, seed: int, workdir: Path) -> list[Result]:
    urls = URLS[:3] if quick else URLS
    cases = [(u, c) for u in urls for c in ("migrate", "serve")]
    if quick:
        cases = cases[::2] + [cases[-1]]  # each URL once, serve at least once
    with ThreadPoolExecutor(max_workers=3) as pool:
        found = list(pool.map(lambda uc: _check(uc[0], uc[1], workdir), cases))
    failures = [f for fs in found for f in fs]
    return [
        result(
            NAME,
            "malformed DATABASE_URL -> 'DATABASE_URL: ...' and exit 2 (migrate, serve)",
            len(cases),
            failures,
        )
    ]
