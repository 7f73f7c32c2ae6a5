"""The fault-injection and fuzzing campaign (``python -m chaos``, ``make chaos``); see docs/chaos.md."""
