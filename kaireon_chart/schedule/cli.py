"""``render-values schedule``: the subcommand's work after the values are loaded (cli.py parses)."""

from __future__ import annotations

import json
import sys
from argparse import Namespace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..valuesfile import ValuesError, parse_yaml, read_values_file
from . import output, stagger
from .timeline import Timeline, herd_problems, jobs_of

if TYPE_CHECKING:
    from ..chart import Chart

MAX_DAYS = 366


def run(args: Namespace, values: dict[str, Any], chart: Chart) -> int:
    """Print the analysis; 0, or 1 on a herd with --strict. ValueError for bad options (exit 2)."""
    if not 0 < args.days <= MAX_DAYS:
        raise ValueError(f"--days {args.days:g}: allowed: more than 0, at most {MAX_DAYS}")
    if args.herd < 1:
        raise ValueError(f"--herd {args.herd}: allowed: 1 or more")
    if (args.window or args.apply) and not args.stagger:
        raise ValueError("--window and --apply go with --stagger")
    try:
        start = output.parse_from(args.start)
    except ValueError:
        raise ValueError(
            f"--from {args.start!r}: expected an ISO 8601 date or time, e.g. 2026-12-01T00:00Z"
        ) from None
    window = stagger.parse_window(args.window) if args.window else None
    jobs, skipped = jobs_of(values, args.release_name, chart)
    tl = Timeline(jobs, start, args.days)
    result = output.data(tl, skipped, args.herd)
    found: list[stagger.Suggestion] = []
    after: dict[str, Any] = {}
    if args.stagger:
        found = stagger.suggestions(jobs, window)
        after = output.data(Timeline(stagger.staggered(jobs, found), start, args.days), skipped, args.herd)
        result["stagger"] = output.stagger_data(found, after)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(
            output.text(result) + (output.stagger_text(found, after, result) if args.stagger else "")
        )
    sys.stdout.flush()
    problems = herd_problems(tl, args.herd)
    for p in problems:
        print(f"warning: {p} [{p.check}]", file=sys.stderr)
    if args.apply and found:
        _apply(Path(args.apply), found)
    return 1 if problems and args.strict else 0


def _apply(target: Path, found: list[stagger.Suggestion]) -> None:
    from ..routes import RouteError, write_atomic  # lazy: routes ~10 ms (bench 8), add-route and --apply only

    try:
        if target.exists():  # bounded like every values file (kaireon_chart/limits.py)
            text = read_values_file(str(target))[1]
        else:
            text = ""
    except ValuesError as exc:
        raise ValueError(str(exc)) from None
    try:
        if text:
            parse_yaml(text, str(target))
        new = stagger.apply(text, found)
    except (ValuesError, RouteError) as exc:
        raise ValueError(f"{target}: {exc}") from None
    try:
        write_atomic(target, new)
    except OSError as exc:
        raise ValueError(f"{target}: cannot write: {exc.strerror}") from None
    print(f"wrote {len(found)} staggered schedule(s) into {target}", file=sys.stderr)
