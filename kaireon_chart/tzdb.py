"""Which IANA time zone names exist, as Go's time.LoadLocation sees them (the bundled tzdata)."""

from __future__ import annotations


def tz_exists(name: str) -> bool:
    """The zone loads from the bundled tz database (the tzdata package), as time.LoadLocation would."""
    if name == "UTC":
        return True
    from importlib import resources

    try:
        node = resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
        return node.is_file()
    except (ModuleNotFoundError, OSError, ValueError):  # pragma: no cover - tzdata is a dependency
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(name)
            return True
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return False
