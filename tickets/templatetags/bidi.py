"""`bidi_safe`: a template filter (a builtin, no `{% load %}` needed) for every name, subject,
address and file name a page shows: direction controls become visible markers."""

from __future__ import annotations

from django import template

from tickets.sanitize import show_bidi

register = template.Library()


@register.filter(is_safe=True)
def bidi_safe(value) -> str:
    """The value with each direction control (U+202A-U+202E, U+2066-U+2069) shown as
    "[U+202E]". Safe in, safe out: the markers hold no markup."""
    if value is None:
        return value
    return show_bidi(value) if isinstance(value, str) else show_bidi(str(value))
