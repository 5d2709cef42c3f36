"""Internal comments and the notification bell, for the workspace pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comments import selectors, services
from tickets.permissions import Action
from tickets.views.common import act, staff_required
from tickets.views.ticket import _ticket


@staff_required
@require_POST
def comment(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number, Action.COMMENT)
    return act(
        request,
        f"/tickets/{number}/",
        lambda: services.comment_create(
            ticket=ticket, by=request.user, text=request.POST.get("text", "")
        ),
        success=_("Internal comment added."),
        sent_draft="comment",
    )


@staff_required
@require_POST
def hand_back(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    return act(
        request,
        f"/tickets/{number}/",
        lambda: services.comment_and_hand_back(
            ticket=ticket, by=request.user, text=request.POST.get("text", "")
        ),
        success=_("Answered and handed back. Thank you!"),
        sent_draft="comment",
    )


@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "workspace/_notifications.html",
        {
            "notifications": selectors.notifications_for(user=request.user),
            "unread": selectors.unread_count(user=request.user),
        },
    )


@staff_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """A notification's link (in the bell and in its email): read, then on to its ticket."""
    notification = services.notification_open(user=request.user, notification_id=pk)
    if notification is None:
        raise Http404(_("No such notification."))
    return redirect("ticket", number=notification.ticket.number)


@staff_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return notifications(request)
