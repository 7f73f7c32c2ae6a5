"""``python -m bench [--smoke] [--only N ...] [--out FILE]`` — run the benchmarks, print the table.

The full run writes ``bench/RESULTS.md``; ``--smoke`` (reduced sizes, fewer rounds, under a minute)
only prints unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import pg, report
from bench.common import MODULES, PROFILES, Context, Row

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def run_all(
    profile_name: str,
    only: list[int] | None = None,
    workdir: Path | None = None,
    log: Callable[[str], None] = print,
) -> tuple[list[Row], dict[str, float]]:
    """Run the selected benchmarks (1-based numbers); their rows and each one's wall time."""
    profile = PROFILES[profile_name]
    reason = pg.unavailable()
    rows: list[Row] = []
    durations: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="kbench-", dir=workdir) as tmp:
        ctx = Context(
            workdir=Path(tmp), pg_admin_url=None if reason else pg.ADMIN_URL, pg_reason=reason, log=log
        )
        for number, name in enumerate(MODULES, start=1):
            if only and number not in only:
                continue
            module = importlib.import_module(f"bench.{name}")
            log(f"[{module.TITLE}] ...")
            t0 = time.perf_counter()
            try:
                new = module.run(profile, ctx)
            except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
                traceback.print_exc()
                new = [
                    Row(
                        bench=module.TITLE,
                        case="(failed)",
                        unit="",
                        ours=None,
                        notes=f"failed: {type(exc).__name__}: {str(exc)[:200]}",
                    )
                ]
            durations[module.TITLE] = time.perf_counter() - t0
            for row in new:
                log("  " + report.one_line(row))
            rows += new
    return rows, durations


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--smoke", action="store_true", help="reduced sizes and rounds (CI; under a minute)")
    ap.add_argument(
        "--profile", choices=sorted(PROFILES), help="sizes to use (default: full, or smoke with --smoke)"
    )
    ap.add_argument("--only", type=int, nargs="+", metavar="N", help="run only these benchmarks (1-8)")
    ap.add_argument(
        "--out", type=Path, help="write the Markdown report here (default: bench/RESULTS.md for a full run)"
    )
    args = ap.parse_args(argv)
    profile = args.profile or ("smoke" if args.smoke else "full")
    t0 = time.perf_counter()
    rows, durations = run_all(profile, args.only)
    total = time.perf_counter() - t0
    print()
    print(report.table(rows))
    print(f"\n{profile} run: {total:.0f} s")
    out = args.out or (RESULTS if profile == "full" and not args.only else None)
    if out is not None:
        out.write_text(report.markdown(rows, profile, durations, total), encoding="utf-8")
        print(f"wrote {out}")
    failed = [r for r in rows if r.notes.startswith("failed:")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
