"""`{{ moment|when }}` and `{{ moment|when:"zone" }}`: see helpdesk/times.py."""

from __future__ import annotations

from django import template

from helpdesk.times import when_html, when_text

register = template.Library()


@register.filter
def when(moment, option: str = "") -> str:
    return when_html(moment, zone=option == "zone")


@register.filter
def when_plain(moment, option: str = "") -> str:
    """The same, as text (inside a sentence that is translated as a whole)."""
    return when_text(moment, zone=option == "zone") if moment else ""
