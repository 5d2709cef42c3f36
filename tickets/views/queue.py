"""The queue: the left rail of queues and the list of tickets with filters."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.errors import ApplicationError
from tickets import queues, selectors
from tickets.models import Channel, Priority, SavedFilter, Status
from tickets.models.tickets import PRIORITY_BY_NAME
from tickets.selectors import TicketFilters
from tickets.services import workspace as workspace_services
from tickets.views.common import act, is_htmx, staff_required

FILTER_PARAMS = ("queue", "status", "owner", "group", "channel", "priority", "tag", "q", "sort")


def _filters(params) -> TicketFilters:
    status = params.get("status", "")
    owner = params.get("owner", "")
    group = params.get("group", "")
    priority = params.get("priority", "")
    return TicketFilters(
        statuses=(status,) if status in Status.values else (),
        owner=int(owner) if owner.isdigit() else owner if owner in ("me", "none") else None,
        group=int(group) if group.isdigit() else "none" if group == "none" else None,
        channel=params.get("channel") if params.get("channel") in Channel.values else None,
        priority=PRIORITY_BY_NAME.get(priority),
        tags=tuple(t for t in [params.get("tag", "").strip().lower()] if t),
        text=params.get("q", "").strip()[:200],
    )


@staff_required
def queue_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = request.GET
    key = params.get("queue") or queues.default_queue(user)
    tickets = queues.queue_tickets(user=user, key=key, filters=_filters(params))
    sort = params.get("sort", "newest")
    page = queues.page_of(tickets, sort=sort, cursor=params.get("cursor", ""))
    kept = {k: params[k] for k in FILTER_PARAMS if params.get(k)}
    kept["queue"] = key
    context = {
        "queues": queues.queues_for(user),
        "saved_filters": queues.saved_filters_for(user) if user.is_agent else [],
        "current": key,
        "page": page,
        "params": kept,
        "query": urlencode(kept),
        "next_query": urlencode({**kept, "cursor": page.next_cursor}) if page.next_cursor else "",
        "first_page": not params.get("cursor"),
        "statuses": Status.choices,
        "priorities": [(p.name.lower(), p.label) for p in Priority],
        "channels": Channel.choices,
        "groups": selectors.active_groups(),
        "sorts": [("newest", _("Newest")), ("activity", _("Last activity")),
                  ("priority", _("Priority")), ("oldest", _("Oldest"))],
    }  # fmt: skip
    if is_htmx(request) and params.get("partial") == "rows":
        return render(request, "workspace/_queue_live.html", context)
    return render(request, "workspace/queue.html", context)


@staff_required
@require_POST
def saved_filter_create(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    return act(
        request,
        f"/tickets/?{query}",
        lambda: workspace_services.saved_filter_create(
            by=request.user, name=request.POST.get("name", ""), query=query
        ),
        success=_("Filter saved."),
    )


@staff_required
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    return act(
        request,
        "/tickets/",
        lambda: workspace_services.saved_filter_delete(by=request.user, saved=saved),
        success=_("Filter removed."),
    )


@staff_required
@require_POST
def bulk_start(request: HttpRequest) -> HttpResponse:
    from tickets.services import bulk
    from tickets.tasks import bulk_update

    numbers = [int(n) for n in request.POST.getlist("ticket") if n.isdigit()]
    action = request.POST.get("action", "")
    if action == "tag":
        action = f"tag:{request.POST.get('tag', '').strip()}"
    try:
        job_id = bulk.bulk_start(by=request.user, numbers=numbers, action=action)
    except ApplicationError as error:
        return _bulk_refused(request, error)
    bulk_update.delay(job_id, request.user.pk, numbers, action)
    return bulk_progress(request, job_id)


@staff_required
def bulk_progress(request: HttpRequest, job_id: str) -> HttpResponse:
    from tickets.services import bulk

    try:
        progress = bulk.progress(job_id, user=request.user)
    except ApplicationError as error:
        return _bulk_refused(request, error)
    return render(
        request, "workspace/_bulk_progress.html", {"job_id": job_id, "progress": progress}
    )


def _bulk_refused(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return render(
        request,
        "workspace/_bulk_progress.html",
        {"error": error.message},
        status=error.status_code,
    )
