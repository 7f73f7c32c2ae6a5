"""The render-values fuzzer of the chaos campaign, reduced (quick=True): every kind of attack holds."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the campaign package lives at the repository root
    sys.path.insert(0, str(ROOT))

from chaos.scenarios import render_fuzz as fuzz  # noqa: E402

KINDS = {
    "random-types",
    "mutated-files",
    "alias-bombs",
    "huge-scalars",
    "bad-encodings",
    "bad-set-expressions",
}


def test_quick_fuzz_run_holds(tmp_path: Path) -> None:
    rows = fuzz.run(quick=True, seed=13, workdir=tmp_path)
    assert {row["scenario"] for row in rows} == {f"render-fuzz/{kind}" for kind in KINDS}
    for row in rows:
        assert set(row) == {"scenario", "tried", "count", "held", "failures"}
        assert isinstance(row["tried"], str) and row["tried"]
        assert isinstance(row["count"], int) and row["count"] >= 5, row
        assert row["held"] is True and row["failures"] == [], row


def test_a_case_that_does_not_hold_is_reported(tmp_path: Path) -> None:
    """The verdict is not vacuous: a traceback, a signal, a hang and a strange exit code each fail."""
    assert fuzz.Outcome(2, b"", b"render-values: error: x.yaml: no such file").failure() is None
    assert "traceback" in (
        fuzz.Outcome(1, b"", b"Traceback (most recent call last):\nValueError: x").failure() or ""
    )
    assert "signal 24" in (fuzz.Outcome(-24, b"", b"").failure() or "")
    assert "hung" in (fuzz.Outcome(None, b"", b"", hung=True).failure() or "")
    assert "exit code 3" in (fuzz.Outcome(3, b"", b"").failure() or "")
    assert "memory" in (
        fuzz.Outcome(2, b"", f"error: {fuzz.EDGE_MESSAGE} (out of memory)".encode()).failure() or ""
    )
    # and real processes past their limits are seen as such
    big = tmp_path / "big.yaml"
    big.write_text("x: [" + "1," * 450_000 + "1]\n")  # 900 KB: seconds of CPU, under the size bound
    assert "memory" in (fuzz.run_cli(["-f", str(big)], memory=40 * 1024 * 1024).failure() or "")
    assert "SIGXCPU" in (fuzz.run_cli(["-f", str(big)], cpu=1).failure() or "")
