"""Benchmarks of kaireon-chart against the tools users would otherwise use (issue 7).

``python -m bench`` runs every benchmark at full size and writes ``bench/RESULTS.md``;
``python -m bench --smoke`` runs the same plumbing at reduced sizes (under a minute) and only prints.
Each benchmark module exposes ``TITLE`` and ``run(profile, ctx) -> list[Row]`` (see :mod:`bench.common`).
"""
