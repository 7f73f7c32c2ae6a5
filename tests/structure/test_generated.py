"""Every generated file is current: `make generate` (python -m kaireon_chart.generate) would change nothing."""

from __future__ import annotations

from kaireon_chart import generate


def test_generated_files_are_current() -> None:
    assert generate.main(["--check"]) == 0, "run `make generate`"


def test_generated_blocks_are_replaced_and_the_rest_kept() -> None:
    text = "before\n<!-- generated:routes (x) -->\nstale\n<!-- /generated:routes -->\nafter\n"
    filled = generate.fill_blocks(text)
    assert filled.startswith("before\n<!-- generated:routes (x) -->\n| route |") and filled.endswith(
        "<!-- /generated:routes -->\nafter\n"
    )
    assert "stale" not in filled and "/api/v1/cron/cleanup" in filled
