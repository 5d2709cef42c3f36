"""How every page writes a moment: one format ("3 December 2026, 14:05"), in the viewer's
time zone, with the zone named ("UTC+3") where a reader could take it for their own.

The viewer's zone: a signed-in person's saved one; else the browser's, which static/js/pages.js
keeps in the `tz` cookie; else one guessed from the page's language (a Russian reader most
likely lives on Moscow time); else the server's TIME_ZONE.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, tzinfo
from urllib.parse import unquote

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

ZONE_COOKIE = "tz"
ZONE_BY_LANGUAGE = {"ru": "Europe/Moscow"}
FORMAT = "j E Y, H:i"


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_named(name: str) -> tzinfo | None:
    """The zone called `name`, or None for an empty or unknown name (a cookie is untrusted)."""
    name = unquote(name)
    if not name or name not in _known_zones():
        return None
    return zoneinfo.ZoneInfo(name)


def viewer_zone(*, saved: str, cookie: str, language: str) -> tzinfo | None:
    """The zone to show times in (None: the server's)."""
    for name in (saved, cookie, ZONE_BY_LANGUAGE.get(language, "")):
        zone = zone_named(name)
        if zone is not None:
            return zone
    return None


def zone_label(moment: datetime) -> str:
    """The offset the moment is shown in: "UTC", "UTC+3", "UTC+5:30", "UTC-4"."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def when_text(moment: datetime, *, zone: bool = False) -> str:
    local = timezone.localtime(moment)
    text = date_format(local, FORMAT)
    return f"{text} ({zone_label(local)})" if zone else text


def when_html(moment: datetime | None, *, zone: bool = False, relative: bool = False) -> str:
    """A <time> element: the moment in the one format, its zone in the tooltip always and in
    the text when `zone`; `relative` lets the page's script say "5 minutes ago" instead."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" title="{}"{}>{}</time>',
        local.isoformat(),
        when_text(local, zone=True),
        mark_safe(" data-relative") if relative else "",
        when_text(local, zone=zone),
    )
