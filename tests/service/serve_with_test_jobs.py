"""``kaireon-service`` with one extra job, ``test-slow``, for tests that need a run in progress.

``test-slow`` works in steps: each step is one ``SELECT 1`` through the run's session, then the
runner's :func:`~service.runner.heartbeat` and :func:`~service.runner.should_stop` (a batch
boundary), then a short sleep. It runs while the file named by ``KT_HOLD_FILE`` exists (at most
120 s), else ``KT_MIN_STEPS`` steps (default 2). It answers ``{"ok": true, "steps": n}``.

Usage: ``python tests/service/serve_with_test_jobs.py serve ...`` (same arguments as
``kaireon-service``).
"""

from __future__ import annotations

import os
import sys
import time
import types
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from service import jobs
from service.cli import main
from service.config import Settings
from service.jobs._result import JobResult
from service.runcontext import heartbeat, should_stop


class SlowResult(JobResult):
    ok: bool = True
    steps: int = 0


def run(session: Session, settings: Settings, now: datetime) -> SlowResult:
    hold = os.environ.get("KT_HOLD_FILE", "")
    min_steps = int(os.environ.get("KT_MIN_STEPS", "2"))
    result = SlowResult()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        session.execute(text("SELECT 1"))
        session.commit()
        result.steps += 1
        heartbeat()
        if should_stop():
            break
        if result.steps >= min_steps and not (hold and os.path.exists(hold)):
            break
        time.sleep(0.05)
    return result


def register() -> None:
    module = types.ModuleType("kaireon_test_slow_job")
    module.ROUTE = "test-slow"  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    jobs.JOB_MODULES["test-slow"] = module.__name__


if __name__ == "__main__":
    register()
    sys.exit(main())
