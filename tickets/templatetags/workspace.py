"""Small pieces the workspace templates share: icons, badges, lines of the history."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import template
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from helpdesk.times import when_html
from tickets import event_words, remote_images
from tickets.models import Channel, Status
from tickets.models.tickets import PRIORITY_NAMES
from tickets.sanitize import show_bidi

register = template.Library()

CHANNEL_LABELS = dict(Channel.choices)
STATUS_LABELS = dict(Status.choices)
MENTION = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]*[a-z0-9]|[a-z0-9])", re.IGNORECASE)


@register.simple_tag
def channel_icon(channel: str) -> str:
    """An icon from the sprite in the page, with the channel's name for screen readers."""
    label = CHANNEL_LABELS.get(channel, channel)
    return format_html(
        '<svg class="icon icon-{0}" role="img" aria-label="{1}"><title>{1}</title>'
        '<use href="#i-{0}"></use></svg>',
        channel,
        label,
    )


@register.simple_tag
def status_badge(status: str) -> str:
    return format_html(
        '<span class="status status-{}">{}</span>', status, STATUS_LABELS.get(status, status)
    )


@register.simple_tag
def priority_badge(priority: int) -> str:
    name = PRIORITY_NAMES.get(priority, "normal")
    label = event_words.priority_label(name)
    return format_html('<span class="prio prio-{}">{}</span>', name, label)


@register.simple_tag(takes_context=True)
def ticket_rows(context, tickets) -> str:
    """The rows of the ticket list, built in Python: the list is the page agents load most,
    and a template loop with a dozen tags per row costs several times as much. Every value
    is escaped by format_html."""
    selectable = context["user"].is_agent
    select_label = _("Select #%(n)s")
    rows = []
    for t in tickets:
        box = (
            format_html('<input type="checkbox" name="ticket" value="{}" aria-label="{}">',
                        t.number, select_label % {"n": t.number})
            if selectable else ""
        )  # fmt: skip
        tags = format_html_join("", ' <span class="tag">{}</span>', ((tag,) for tag in t.tags))
        rows.append(format_html(
            '<tr data-number="{n}" class="row"><td>{box}</td><td class="num">{n}</td>'
            '<td class="subject">{icon} <a href="{url}">{subject}</a>{tags}</td>'
            "<td>{customer}</td><td>{status}</td><td>{priority}</td><td>{owner}</td>"
            "<td>{group}</td><td>{when}</td></tr>",
            n=t.number, box=box, icon=channel_icon(t.channel), url=f"/tickets/{t.number}/",
            subject=show_bidi(t.subject), tags=tags, customer=show_bidi(t.customer.name),
            status=status_badge(t.status), priority=priority_badge(t.priority),
            owner=t.assignee.full_name if t.assignee else "—",
            group=t.group.name if t.group else "—",
            when=when_html(t.updated_at, relative=True),
        ))  # fmt: skip
    return mark_safe("".join(rows))  # noqa: S308 - each row is built by format_html


@register.simple_tag
def options(
    items, selected=None, value="pk", label="full_name", prefix="", exclude=None, suffix=""
) -> str:
    """`<option>`s for a list of objects or (value, label) pairs, built in Python (a form's
    long person lists cost a template loop per option otherwise)."""
    parts = []
    for item in items:
        if isinstance(item, tuple):
            key, text = item
        else:
            key, text = getattr(item, value), getattr(item, label)
            extra = getattr(item, suffix, "") if suffix else ""
            if extra:
                text = f"{text} — {extra}"
        if exclude is not None and key == exclude:
            continue
        parts.append(format_html(
            '<option value="{}{}"{}>{}</option>', prefix, key,
            mark_safe(" selected") if selected is not None and key == selected else "", text,
        ))  # fmt: skip
    return mark_safe("".join(parts))  # noqa: S308 - each option is built by format_html


@register.filter
def with_mentions(text: str) -> str:
    """Escape a comment and mark its @mentions (the text itself is never trusted)."""
    escaped = conditional_escape(text)
    marked = MENTION.sub(r'<span class="mention">@\1</span>', str(escaped))
    return mark_safe(marked.replace("\n", "<br>"))  # noqa: S308 - built from escaped text


@register.filter
def shows_html(message) -> bool:
    """The HTML is shown unless a quoted conversation was folded out of the text: the HTML
    still carries the quote, so the folded text is shown instead (with the inline images
    listed under it, since they then have no place in the body)."""
    return bool(message.html and not message.quoted_text)


@dataclass(frozen=True)
class MessageBody:
    html: str
    has_remote_images: bool
    images_shown: bool


@register.simple_tag
def message_body(message, show_images_for=None) -> MessageBody:
    """A message's sanitized HTML as the ticket page shows it: inline images (cid:) from
    their stored attachments, remote images left out unless the agent asked to see this
    message's images (tickets/remote_images.py)."""
    if not shows_html(message):
        return MessageBody("", has_remote_images=False, images_shown=False)
    shown = show_images_for is not None and show_images_for == message.pk
    html, has_remote = remote_images.render_images(
        message.html,
        inline=remote_images.inline_urls(message.attachments.all()),
        show_remote=shown,
    )
    # sanitized by nh3 when stored; only <img> tags are rewritten, each built by format_html
    return MessageBody(mark_safe(html), has_remote_images=has_remote, images_shown=shown)  # noqa: S308


@register.filter
def without_remote_images(html: str) -> str:
    """Stored (sanitized) HTML with no image that loads from elsewhere: for pages that offer
    no "Show images" (the customer's status page)."""
    return mark_safe(remote_images.render_images(html, inline={}, show_remote=False)[0])  # noqa: S308


@register.filter
def is_image(content_type: str) -> bool:
    return content_type in ("image/png", "image/jpeg", "image/gif", "image/webp")


@register.simple_tag
def event_line(event) -> str:
    """One line of a ticket's history, in the reader's language ("" for the kinds whose
    message or comment shows itself)."""
    text = event_words.timeline_text(event)
    return format_html('<span class="event-text">{}</span>', text) if text else ""


@register.filter
def event_note(event) -> str:
    return event_words.timeline_note(event)
