"""The ticket page: the whole conversation, the composer, the side panel and the customer."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.selectors import active_colleagues
from helpdesk.errors import ApplicationError
from tickets import permissions, remote_images, selectors, services
from tickets.api.common import uploaded_attachments
from tickets.models import CannedResponse, Group, Priority, Status, Ticket
from tickets.models.tickets import PRIORITY_NAMES, TRANSITIONS
from tickets.permissions import Action
from tickets.services import workspace as workspace_services
from tickets.services.merge import CONFIRM_DIFFERENT_CUSTOMER
from tickets.views.common import act, is_htmx, staff_required


def _ticket(request: HttpRequest, number: int, action: Action = Action.VIEW) -> Ticket:
    try:
        return selectors.ticket_get(user=request.user, number=number, action=action)
    except ApplicationError as error:
        if error.status_code == 404:
            raise Http404(error.message) from None
        raise


def _page_context(request: HttpRequest, ticket: Ticket) -> dict:
    user = request.user
    can = {str(a): permissions.can(user, a, ticket) for a in Action if
           a not in permissions.TICKETLESS_ACTIONS}  # fmt: skip
    timeline = selectors.ticket_timeline(ticket=ticket, user=user)
    context = {
        "ticket": ticket,
        "timeline": timeline,
        "changed_by": selectors.field_changers(timeline),
        "can": can,
        "priority_name": PRIORITY_NAMES[ticket.priority],
        "next_statuses": sorted(TRANSITIONS[ticket.status]),
        "statuses": Status.choices,
        "priorities": [(p.name.lower(), p.label) for p in Priority],
    }
    if can[str(Action.REPLY)]:
        context["reply_to"], context["reply_refusal"] = selectors.reply_way(ticket)
    if user.is_agent:
        customer = ticket.customer
        colleagues = active_colleagues()
        context.update(
            identities=selectors.customer_identities(customer),
            earlier=selectors.earlier_tickets(ticket),
            agents=[u for u in colleagues if u.role != Role.INTERNAL],
            internal_staff=[u for u in colleagues if u.role == Role.INTERNAL],
            groups=selectors.active_groups(),
            canned=selectors.canned_responses_for(user),
        )  # fmt: skip
    return context


def _show_images(request: HttpRequest, context: dict) -> None:
    """`?images=<message id>`: that message's remote images are shown, and this response's
    Content-Security-Policy allows their origins (tickets/remote_images.py says why)."""
    wanted = request.GET.get("images", "")
    shown = next(
        (
            item.obj
            for item in context["timeline"]
            if item.kind == "message" and wanted.isdigit() and item.obj.pk == int(wanted)
        ),
        None,
    )
    context["show_images_for"] = shown.pk if shown else None
    if shown is not None:
        request.csp_img_src = sorted(remote_images.remote_image_origins(shown.html))


@staff_required
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    merged = (
        selectors.ticket_merged_into(user=request.user, ticket=ticket)
        if ticket.merged_into_id is not None and request.GET.get("stay") != "1"
        else None
    )
    if merged is not None:
        messages.info(request, _("#%(old)s was merged into this ticket.") % {"old": number})
        return redirect("ticket", number=merged.number)
    context = _page_context(request, ticket)
    _show_images(request, context)
    if is_htmx(request) and request.GET.get("partial") == "live":
        return render(request, "workspace/_ticket_live.html", context)
    return render(request, "workspace/ticket.html", context)


def _back(number: int) -> str:
    return f"/tickets/{number}/"


@staff_required
@require_POST
def reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    status = request.POST.get("status") or None
    return act(
        request,
        _back(number),
        lambda: services.ticket_reply(
            ticket=ticket,
            by=request.user,
            text=request.POST.get("text", ""),
            status=status,
            attachments=uploaded_attachments(request),
        ),
        success=_("Reply sent."),
        sent_draft="reply",
    )


@staff_required
@require_POST
def update(request: HttpRequest, number: int) -> HttpResponse:
    """The side panel: each changed field goes through its own service (and event)."""
    ticket = _ticket(request, number)
    post = request.POST

    def apply() -> None:
        if "status" in post and post["status"] != ticket.status:
            services.ticket_set_status(ticket=ticket, status=post["status"], by=request.user)
        if "priority" in post and post["priority"] != PRIORITY_NAMES[ticket.priority]:
            services.ticket_set_priority(ticket=ticket, priority=post["priority"], by=request.user)
        if "tags" in post:
            tags = [t for t in post["tags"].replace(",", " ").split() if t]
            services.ticket_set_tags(ticket=ticket, by=request.user, replace=tags)
        if "owner" in post:
            owner_id = post["owner"]
            owner = User.objects.filter(pk=owner_id).first() if owner_id.isdigit() else None
            if (owner.pk if owner else None) != ticket.assignee_id:
                services.ticket_assign(ticket=ticket, owner=owner, by=request.user)

    return act(request, _back(number), apply)


@staff_required
@require_POST
def assign_to_me(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    return act(
        request,
        _back(number),
        lambda: services.ticket_assign(ticket=ticket, owner=request.user, by=request.user),
        success=_("The ticket is yours."),
    )


@staff_required
@require_POST
def hand_off(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    target = request.POST.get("to", "")
    kind, _sep, pk = target.partition(":")
    to_user = User.objects.filter(pk=pk).first() if kind == "user" and pk.isdigit() else None
    to_group = Group.objects.filter(pk=pk).first() if kind == "group" and pk.isdigit() else None
    return act(
        request,
        _back(number),
        lambda: services.ticket_hand_off(
            ticket=ticket,
            by=request.user,
            note=request.POST.get("note", ""),
            to_user=to_user,
            to_group=to_group,
        ),
        success=_("Handed off."),
    )


@staff_required
@require_POST
def merge(request: HttpRequest, number: int) -> HttpResponse:
    source = _ticket(request, number)
    into_number = request.POST.get("into", "").strip().lstrip("#")
    kept: list[Ticket] = []

    def apply() -> None:
        if not into_number.isdigit():
            raise ApplicationError(_("Enter the number of the ticket to merge into."))
        into = selectors.ticket_get(user=request.user, number=int(into_number))
        kept.append(
            services.ticket_merge(
                source=source,
                into=into,
                by=request.user,
                confirm_different_customer=request.POST.get("confirm_different_customer") == "on",
            )
        )

    try:
        apply()
    except ApplicationError as error:
        if error.extra.get("field") != CONFIRM_DIFFERENT_CUSTOMER:
            messages.error(request, error.message)
            return redirect(_back(number))
        # Tickets of two customers: the dialog again, open, with the warning and the box.
        context = _page_context(request, source)
        context.update(merge_into=into_number, merge_warning=error.message)
        return render(request, "workspace/ticket.html", context, status=400)
    return redirect("ticket", number=kept[0].number)


@staff_required
def canned_text(request: HttpRequest, number: int, pk: int) -> JsonResponse:
    ticket = _ticket(request, number, Action.REPLY)
    canned = get_object_or_404(CannedResponse, pk=pk)
    if canned.owner_id not in (None, request.user.pk):
        raise Http404
    text = workspace_services.canned_render(canned=canned, ticket=ticket, agent=request.user)
    return JsonResponse({"text": text})
