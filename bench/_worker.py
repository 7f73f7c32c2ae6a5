"""Run one service job in this (fresh) process and report what it cost, as one JSON line on stdout.

``python -m bench._worker '<json spec>'`` with spec keys: ``module`` (service.jobs.<module>),
``database_url``, ``now`` (ISO, UTC), ``settings`` (extra Settings fields) and optional ``profile``
(a path: write a pyinstrument text profile of the job there).

Measured: the wall time of ``run(session, settings, now)`` plus the final commit, the process's peak
RSS (``ru_maxrss``, which includes the interpreter and every import — the real footprint of a job
process), the RSS after imports (baseline), and every SQL statement's duration through SQLAlchemy's
``before/after_cursor_execute`` events (count, total, the longest and its first characters).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from datetime import datetime
from typing import Any

from sqlalchemy import event

from service.config import Settings
from service.db import make_engine, make_sessionmaker


class StatementTimer:
    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.total = 0.0
        self.longest = 0.0
        self.longest_sql = ""
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        conn.info.setdefault("bench_t0", []).append(time.perf_counter())

    def _after(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        dt = time.perf_counter() - conn.info["bench_t0"].pop()
        self.count += 1
        self.total += dt
        if dt > self.longest:
            self.longest = dt
            self.longest_sql = " ".join(statement.split())[:160]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])

    module = importlib.import_module(f"service.jobs.{spec['module']}")
    settings = Settings(database_url=spec["database_url"], **spec.get("settings", {}))
    engine = make_engine(settings.database_url)
    timer = StatementTimer(engine)
    factory = make_sessionmaker(engine)
    now = datetime.fromisoformat(spec["now"])
    profiler = None
    if spec.get("profile"):
        # lazy: pyinstrument ([bench] extra) only when profiling, not in the RSS measured here
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
    baseline = _rss_mb()
    with factory() as session:
        if profiler is not None:
            profiler.start()
        t0 = time.perf_counter()
        result = module.run(session, settings, now)
        session.commit()
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.stop()
    engine.dispose()
    if profiler is not None:
        with open(spec["profile"], "w", encoding="utf-8") as fh:
            fh.write(profiler.output_text(unicode=True, color=False, show_all=False))
    out = {
        "elapsed": elapsed,
        "rows": int(getattr(result, "rows_affected", 0) or 0),
        "ok": bool(getattr(result, "ok", True)),
        "peak_rss_mb": _rss_mb(),
        "baseline_rss_mb": baseline,
        "statements": timer.count,
        "statement_seconds": timer.total,
        "longest_statement": timer.longest,
        "longest_sql": timer.longest_sql,
    }
    if hasattr(result, "due"):
        out["due"] = result.due
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
