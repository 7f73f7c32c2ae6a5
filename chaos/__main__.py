"""``python -m chaos [--quick] [--seed N] [--only NAME] [--json PATH]``: the fault-injection campaign.

Prints the table (what was tried, how often, what held), writes it as JSON and exits 1 on any
loss, any 5xx, any traceback in a log, any hang; 0 when everything held; 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from chaos.campaign import format_table, run_scenario, scenario_names
from chaos.pg import TEMPLATE_ENV, make_template


def main(argv: list[str] | None = None) -> int:
    names = scenario_names()
    p = argparse.ArgumentParser(
        prog="python -m chaos",
        description="The fault-injection and fuzzing campaign (docs/chaos.md): real PostgreSQL instances, "
        "service replicas, kill -9, hostile HTTP, rows and files. Prints what was tried, how often and what "
        "held; writes it as JSON.",
        epilog="Exit codes: 0 everything held; 1 a loss, a 5xx, a traceback, a hang or a crashed scenario; "
        "2 bad usage.",
    )
    p.add_argument("--quick", action="store_true", help="the reduced campaign (seconds per scenario)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    p.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        choices=names,
        help=f"run only this scenario (repeatable): {', '.join(names)}",
    )
    p.add_argument(
        "--json", type=Path, default=Path("chaos-results.json"), help="where to write the table as JSON"
    )
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases, files)")
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    selected = args.only or names
    root = Path(tempfile.mkdtemp(prefix="kaireon-chaos-"))
    print(
        f"chaos: {'quick' if args.quick else 'full'} campaign, seed {seed}, {len(selected)} scenario(s), "
        f"work directory {root}",
        flush=True,
    )

    template = None
    try:
        template = make_template()
        os.environ[TEMPLATE_ENV] = str(template)
    except Exception as exc:  # noqa: BLE001 - each scenario then runs initdb itself (and reports its failure)
        print(f"chaos: no PostgreSQL template ({exc}); scenarios run initdb themselves", flush=True)
    rows = []
    started = time.monotonic()
    try:
        for name in selected:
            t0 = time.monotonic()
            got = run_scenario(name, args.quick, seed, root / name)
            rows += got
            status = "held" if all(r["held"] for r in got) else "FAILED"
            print(f"chaos: {name}: {status} ({time.monotonic() - t0:.1f} s)", flush=True)
    finally:
        if template is not None:
            shutil.rmtree(template.parent, ignore_errors=True)
    print()
    print(format_table(rows))
    doc = {
        "seed": seed,
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
        "held": all(r["held"] for r in rows),
        "rows": rows,
    }
    args.json.write_text(json.dumps(doc, indent=2, default=str))
    print(f"\nchaos: table written to {args.json}; seed {seed}; {doc['seconds']} s")
    if not args.keep and doc["held"]:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"chaos: logs kept in {root}")
    return 0 if doc["held"] else 1


if __name__ == "__main__":
    sys.exit(main())
