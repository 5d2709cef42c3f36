"""Events in words, in the reader's language: the ticket's history in the workspace and the
audit log in the admin say the same thing the same way."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tickets.models import Channel, EventKind, Status
from tickets.models.tickets import PRIORITY_NAMES
from tickets.sanitize import show_bidi

# Kinds whose message or comment shows itself in the timeline: no extra line there.
SHOWN_BY_THEIR_MESSAGE = frozenset(
    {
        EventKind.REPLIED,
        EventKind.CUSTOMER_REPLIED,
        EventKind.COMMENTED,
        EventKind.MENTIONED,
        EventKind.ACKNOWLEDGED,
    }
)


def priority_label(name) -> str:
    if isinstance(name, int):
        name = PRIORITY_NAMES.get(name, "normal")
    labels = {"low": _("Low"), "normal": _("Normal"), "high": _("High"), "urgent": _("Urgent")}
    return labels.get(name, name)


def _name(ref) -> str:
    return show_bidi(ref.get("name", "")) if isinstance(ref, dict) else ""


def _status(value) -> str:
    return str(dict(Status.choices).get(value, value))


def actor_name(event) -> str:
    if event.actor_id:
        return event.actor.full_name
    if event.actor_customer_id:
        return show_bidi(event.actor_customer.name) or _("The customer")
    return _("The system")


def describe(event) -> str:
    """The event as a sentence: "Vasya handed the ticket to Dima"."""
    who = actor_name(event)
    old, new, kind = event.old, event.new, event.kind
    if kind == EventKind.CREATED:
        channel = dict(Channel.choices).get((new or {}).get("channel"), "")
        return _("%(who)s opened the ticket via %(channel)s") % {"who": who, "channel": channel}
    if kind == EventKind.ASSIGNED and new and event.actor_id == new.get("id"):
        return _("%(who)s took the ticket") % {"who": who}
    if kind == EventKind.ASSIGNED:
        if new:
            return _("%(who)s assigned the ticket to %(to)s") % {"who": who, "to": _name(new)}
        return _("%(who)s put the ticket back in its group's queue") % {"who": who}
    if kind == EventKind.HANDED_OFF:
        target = _name((new or {}).get("owner")) or _name((new or {}).get("group"))
        return _("%(who)s handed the ticket to %(to)s") % {"who": who, "to": target}
    if kind == EventKind.HANDED_BACK:
        return _("%(who)s handed the ticket back to %(to)s") % {"who": who, "to": _name(new)}
    if kind in (EventKind.STATUS_CHANGED, EventKind.REOPENED):
        return _("%(who)s changed the status from %(old)s to %(new)s") % {
            "who": who,
            "old": _status(old),
            "new": _status(new),
        }
    if kind == EventKind.PRIORITY_CHANGED:
        return _("%(who)s changed the priority from %(old)s to %(new)s") % {
            "who": who,
            "old": priority_label(old),
            "new": priority_label(new),
        }
    if kind == EventKind.GROUP_CHANGED:
        return _("%(who)s moved the ticket from %(old)s to %(new)s") % {
            "who": who,
            "old": _name(old) or "—",
            "new": _name(new) or "—",
        }
    if kind == EventKind.TAGS_CHANGED:
        return _("%(who)s set the tags: %(tags)s") % {"who": who, "tags": ", ".join(new) or "—"}
    if kind == EventKind.SUBJECT_CHANGED:
        return _("%(who)s changed the subject") % {"who": who}
    if kind == EventKind.MERGED_INTO:
        return _("%(who)s merged this ticket into #%(n)s") % {"who": who, "n": new["number"]}
    if kind == EventKind.MERGED_FROM:
        return _("%(who)s merged #%(n)s into this ticket") % {"who": who, "n": old["number"]}
    if kind == EventKind.CUSTOMER_CHANGED:
        return _("%(who)s merged customer %(from)s into %(to)s; the ticket moved with them") % {
            "who": who,
            "from": _name(old) or "—",
            "to": _name(new) or "—",
        }
    if kind == EventKind.FOLLOW_UP and (new or {}).get("related"):
        return _("Someone else named this ticket: #%(n)s, possibly related") % {"n": new["number"]}
    if kind == EventKind.FOLLOW_UP:
        return _("The customer wrote again: follow-up #%(n)s") % {"n": new["number"]}
    if kind == EventKind.DELIVERY_FAILED:
        return _("A reply could not be delivered")
    if kind == EventKind.REPLIED:
        return _("%(who)s replied to the customer") % {"who": who}
    if kind == EventKind.CUSTOMER_REPLIED:
        return _("%(who)s wrote") % {"who": who}
    if kind == EventKind.COMMENTED:
        return _("%(who)s left an internal comment") % {"who": who}
    if kind == EventKind.MENTIONED:
        return _("%(who)s mentioned a colleague") % {"who": who}
    if kind == EventKind.ACKNOWLEDGED:
        return _("The customer was sent an automatic acknowledgement")
    return str(dict(EventKind.choices).get(kind, kind))


def timeline_text(event) -> str:
    """The line the ticket's history shows ("" where the message itself shows it)."""
    if event.kind in SHOWN_BY_THEIR_MESSAGE:
        return ""
    return describe(event)


def timeline_note(event) -> str:
    """The note under the line: what the person wrote. Customer merges before this version
    stored a fixed English phrase there, which the line now says in words."""
    if event.kind == EventKind.CUSTOMER_CHANGED and event.note == "customers merged":
        return ""
    return event.note
