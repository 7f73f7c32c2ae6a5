"""Client for the long-lived Go robfig/cron judge (.tools/cron-judge) and the Python side of a comparison."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from kaireon_chart.cron import CronError, parse_schedule, parse_standard

ROOT = Path(__file__).resolve().parents[2]
JUDGE = ROOT / ".tools" / "cron-judge"


class Judge:
    """One judge process; ask() sends a batch of questions as one JSON line."""

    def __init__(self, path: Path = JUDGE):
        env = {k: v for k, v in os.environ.items() if k != "ZONEINFO"}
        env["TZ"] = "UTC"
        self.proc = subprocess.Popen(
            [str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env
        )
        self.asked = 0

    def ask(self, questions: list[dict]) -> list[dict]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(questions) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        answers = json.loads(line)
        assert isinstance(answers, list) and len(answers) == len(questions), line[:500]
        self.asked += len(questions)
        return answers

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def python_answer(expr: str, base: datetime | None, tz: str | None, n: int) -> dict:
    """The answer the judge would give, computed by kaireon_chart.cron."""
    a = {"ok": False, "error": "", "panic": "", "tz_rule": "TZ" in expr, "next": []}
    try:
        sched = parse_standard(expr)
    except CronError as e:
        if e.kind == "panic":
            a["panic"] = e.go_panic
        else:
            a["error"] = str(e)
        return a
    a["ok"] = True
    if n and base is not None:
        t = base
        for _ in range(n):
            t = sched.next_after(t, tz or None)
            if t is None:
                a["next"].append(None)
                break
            a["next"].append(rfc3339(t))
    return a


def kubernetes_messages(expr: str) -> list[str]:
    """Kubernetes' error list for the schedule computed by parse_schedule ([] = accepted)."""
    try:
        parse_schedule(expr)
    except CronError as e:
        return list(e.messages)
    return []


def judge_kubernetes_messages(answer: dict) -> list[str] | None:
    """Kubernetes' messages from a judge answer; None for a robfig panic (no Go error text)."""
    if answer["panic"]:
        return None
    msgs = [] if answer["ok"] else [answer["error"]]
    if answer["tz_rule"]:
        msgs.append("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
    return msgs


def compare(judge: Judge, cases: list[tuple[str, datetime | None, str | None, int]]) -> list[str]:
    """Ask the judge about all cases at once; return human-readable mismatches."""
    qs = [
        {
            "expr": e,
            "from": rfc3339(b) if b is not None else "",
            "tz": tz or "",
            "n": n if b is not None else 0,
        }
        for e, b, tz, n in cases
    ]
    out = []
    for (e, b, tz, n), ga in zip(cases, judge.ask(qs), strict=True):
        assert not ga.get("fault"), ga
        pa = python_answer(e, b, tz, n)
        if pa != ga:
            out.append(f"{e!r} from={b} tz={tz}: go={ga} py={pa}")
            continue
        jm = judge_kubernetes_messages(ga)
        pm = kubernetes_messages(e)
        if jm is not None and jm != pm:
            out.append(f"{e!r}: kubernetes messages go={jm} py={pm}")
        if jm is None and (
            not pm or pm[-1] != "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
        ):
            out.append(f"{e!r}: panic input must be rejected by the TZ rule, py={pm}")
    return out
