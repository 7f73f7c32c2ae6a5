"""The campaign's own machinery can fail: hangs, crashes, tracebacks, lost or duplicated rows,
temp files and the SIEM receiver's scripts are each detected (fast, no PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from chaos.campaign import format_table, run_scenario
from chaos.common import CRON_SECRET, log_problems, result
from chaos.data import add_interactions, add_tenants, prepare
from chaos.reconcile import check_exports
from chaos.siem_receiver import SiemReceiver

FAKE = """
import time
from chaos.common import result

def run(quick, seed, workdir):
    if MODE == "hang":
        time.sleep(120)
    if MODE == "crash":
        raise RuntimeError("boom")
    return [result("fake", "something", 3, [] if MODE == "ok" else ["it broke"])]
"""


@pytest.mark.parametrize(
    ("mode", "held", "evidence"),
    [
        ("ok", True, ""),
        ("fail", False, "it broke"),
        ("crash", False, "RuntimeError: boom"),
        ("hang", False, "hang"),
    ],
)
def test_runner_turns_failures_crashes_and_hangs_into_rows(
    mode: str, held: bool, evidence: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the child imports fakepkg from here
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / f"fake_{mode}.py").write_text(f"MODE = {mode!r}\n" + FAKE)
    rows = run_scenario(f"fakepkg.fake_{mode}", quick=True, seed=1, workdir=tmp_path / "w", limit_s=8)
    assert all(r["held"] for r in rows) is held
    assert evidence in json.dumps(rows)
    assert ("NO" in format_table(rows)) is not held


def test_log_problems_finds_tracebacks_and_the_secret() -> None:
    assert log_problems('{"msg": "fine"}\n', "x") == []
    found = log_problems("Traceback (most recent call last):\n  File x\nValueError: bad\n", "x")
    assert found and "ValueError: bad" in found[0]
    assert log_problems(f"token {CRON_SECRET}", "x")


def test_check_exports_finds_missing_duplicated_misplaced_rows_and_temp_files(tmp_path: Path) -> None:
    engine = prepare(f"sqlite:///{tmp_path / 'db.sqlite'}")
    add_tenants(engine, ["t1", "t2"])
    at = datetime.now(UTC) - timedelta(days=1)
    add_interactions(engine, "t1", 3, at)
    add_interactions(engine, "t2", 1, at)
    root = tmp_path / "root"
    settled = datetime.now(UTC)

    def write(rel: str, recs: list[tuple[int, str]]) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("".join(json.dumps({"id": i, "tenantId": t}) + "\n" for i, t in recs))

    write("exports/t1/a.json", [(1, "t1"), (2, "t1"), (3, "t1")])
    write("exports/t2/a.json", [(4, "t2")])
    fails = check_exports(engine, root, settled)
    assert not any("never exported" in f or "more than once" in f or "another tenant" in f for f in fails), (
        fails
    )
    write("exports/t1/b.json", [(2, "t1")])
    write("exports/t1/.a.json.1234.tmp", [])
    (root / "exports/t2/a.json").unlink()
    write("exports/t1/c.json", [(4, "t2")])
    text = "\n".join(check_exports(engine, root, settled))
    for expected in ("more than once", "another tenant's directory", "hidden temp file"):
        assert expected in text
    engine.dispose()


def test_siem_receiver_scripts_and_acknowledged_ids() -> None:
    rec = SiemReceiver("elastic")
    try:
        body = b'{"create":{"_id":"7"}}\n{"a":1}\n{"create":{"_id":"8"}}\n{"a":2}\n'
        rec.set_script(["429", "ok"])
        first = httpx.post(rec.url + "/_bulk", content=body, timeout=5)
        assert first.status_code == 429 and first.headers["retry-after"] == "1"
        assert rec.acked_ids == set()
        second = httpx.post(rec.url + "/_bulk", content=body, timeout=5)
        assert second.status_code == 200 and len(second.json()["items"]) == 2
        assert rec.acked_ids == {"7", "8"}
        rec.set_script(["gzip_garbage"])
        with pytest.raises(httpx.DecodingError):
            httpx.post(rec.url + "/_bulk", content=body, timeout=5)
        rec.set_script(["items_null"])
        items = httpx.post(rec.url + "/_bulk", content=body, timeout=5).json()["items"]
        assert [i["create"]["status"] for i in items] == [None, None]
    finally:
        rec.close()


def test_result_rows_hold_only_without_failures() -> None:
    assert result("s", "t", 1, [])["held"] is True
    assert result("s", "t", 1, ["x"])["held"] is False
