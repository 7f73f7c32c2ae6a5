"""Cron schedules exactly as Kubernetes accepts them: a port of robfig/cron v3.0.1 ``ParseStandard``.

:func:`parse_schedule` is what Kubernetes' ``validateScheduleFormat`` accepts (robfig, then the TZ
rule); :func:`parse_standard` is robfig alone. Errors are :class:`CronError` with robfig's exact
text; :func:`friendly` words them. The modules: errors.py, gostd.py (Go's strconv/strings/time
behaviour), parser.py, schedule.py (fire times), friendly.py. docs/cron.md has the specification.
"""

from __future__ import annotations

from .errors import FIELD_NAMES, TZ_ERROR, CronError
from .friendly import friendly
from .parser import parse_schedule, parse_standard
from .schedule import Schedule

__all__ = [
    "CronError",
    "Schedule",
    "parse_schedule",
    "parse_standard",
    "friendly",
    "TZ_ERROR",
    "FIELD_NAMES",
]
