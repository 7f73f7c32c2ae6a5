"""Which IANA time zone names exist, as Go's time.LoadLocation sees them (the bundled tzdata)."""

from __future__ import annotations


def tz_exists(name: str) -> bool:
    """The zone loads from the bundled tz database (the tzdata package), as time.LoadLocation would."""
    if name == "UTC":
        return True
    if len(name) > 255:  # no IANA name is that long (values.schema.json's maxLength); deep paths would
        return False  # make importlib.resources recurse through one package per segment
    from importlib import resources  # lazy: importlib.resources ~6 ms (bench 8), only for a time zone

    try:
        node = resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
        return node.is_file()
    except (ModuleNotFoundError, OSError, ValueError):  # pragma: no cover - tzdata is a dependency
        import zoneinfo  # lazy: zoneinfo ~2 ms (bench 8), only for a time zone

        try:
            zoneinfo.ZoneInfo(name)
            return True
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return False
