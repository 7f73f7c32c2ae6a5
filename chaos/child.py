"""``python -m chaos.child NAME``: run one scenario and write its rows as JSON (used by the runner)."""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import traceback
from pathlib import Path

from chaos.common import result


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m chaos.child")
    p.add_argument("name")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    # SIGTERM from the runner (time limit): unwind, so context managers stop PostgreSQL and replicas
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    try:
        # a plain name is a module of chaos.scenarios; a dotted name any importable module (tests)
        module = importlib.import_module(args.name if "." in args.name else f"chaos.scenarios.{args.name}")
        rows = module.run(args.quick, args.seed, args.workdir)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - a crashed scenario is a failed row, with its traceback
        traceback.print_exc()
        rows = [
            result(
                args.name, "the scenario itself", 1, [f"scenario raised {type(exc).__name__}: {exc}"[:800]]
            )
        ]
    args.out.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
