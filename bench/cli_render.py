"""1. ``render-values`` on the default values vs ``helm template`` (helm 3 and 4), whole-process wall time.

Both render the same chart directory with the chart's default values and write the manifests to
/dev/null. ``render-values`` does more than ``helm template`` (values schema *and* API-server rules,
name limits, schedule checks and the Kubernetes OpenAPI schema of the rendered CronJobs); helm checks
only the values schema. Measured twice: cold (``KAIREON_CHART_CACHE=0``) and warm (a private cache
filled once beforehand); the cache now holds only the OpenAPI layer's slow-path shapes, so the two
should agree. ``render-values`` runs the checkout's package byte-compiled, as an installed wheel does:
the package is compiled before timing and ``PYTHONDONTWRITEBYTECODE`` is dropped from its environment
(helm, a Go binary, runs with the same environment as before).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.common import (
    BYTECODE_NOTE,
    REPO,
    TOOLS,
    VENV_BIN,
    Context,
    Profile,
    Row,
    Stats,
    byte_compile,
    env_with,
    interleave,
    ratios,
    rv_env,
    timed,
)

TITLE = "1 render-values vs helm template"
GOAL = 1.0  # ours/helm wall time


def wall_runner(argv: list[str], env: dict[str, str]) -> Callable[[], float]:
    """A contender that runs ``argv`` (exit 0 expected) and returns its wall time in seconds."""

    return lambda: timed(argv, env).wall


def run(profile: Profile, ctx: Context) -> list[Row]:
    chart = str(REPO / "chart")
    cache = Path(ctx.workdir) / "rv-cache-render"
    rv = [str(VENV_BIN / "render-values"), "--chart", chart]
    cold_env = rv_env(KAIREON_CHART_CACHE="0")
    warm_env = rv_env(KAIREON_CHART_CACHE="1", KAIREON_CHART_CACHE_DIR=str(cache))
    procs = {
        "render-values (cold)": wall_runner(rv, cold_env),
        "render-values (warm cache)": wall_runner(rv, warm_env),
        "helm3 template": wall_runner([str(TOOLS / "helm3"), "template", "kaireon", chart], env_with()),
        "helm4 template": wall_runner([str(TOOLS / "helm4"), "template", "kaireon", chart], env_with()),
    }
    byte_compile()
    ctx.log(f"  ({BYTECODE_NOTE})")
    for fn in procs.values():  # warm-up: page cache, and fills the warm render-values cache
        fn()
    samples = interleave(procs, profile.cli_rounds)
    rows = []
    for ours in ("render-values (cold)", "render-values (warm cache)"):
        for ref in ("helm3 template", "helm4 template"):
            r = ratios(samples[ours], samples[ref])
            rows.append(
                Row(
                    bench=TITLE,
                    case=f"{ours}, default values",
                    unit="s",
                    ours=Stats.of(samples[ours]),
                    ref_name=ref,
                    ref=Stats.of(samples[ref]),
                    ratio=r,
                    ratio_label="ours/ref time",
                    goal=f"≤ {GOAL:.1f}×",
                    met=r.median <= GOAL,
                )
            )
    return rows
