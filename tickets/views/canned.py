"""Canned responses: shared ones every agent may use and edit, personal ones of their own."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tickets import permissions
from tickets.models import CannedResponse
from tickets.permissions import Action
from tickets.services import workspace as workspace_services
from tickets.views.common import act, staff_required


def _require_agent(request: HttpRequest) -> None:
    if not permissions.can(request.user, Action.CREATE_TICKET):
        raise Http404


def _visible(request: HttpRequest):
    return CannedResponse.objects.filter(owner__isnull=True) | CannedResponse.objects.filter(
        owner=request.user
    )


@staff_required
def canned_list(request: HttpRequest) -> HttpResponse:
    _require_agent(request)
    edit_id = request.GET.get("edit", "")
    editing = get_object_or_404(_visible(request), pk=int(edit_id)) if edit_id.isdigit() else None
    return render(
        request,
        "workspace/canned.html",
        {"responses": _visible(request).select_related("owner").order_by("title"),
         "editing": editing},
    )  # fmt: skip


@staff_required
@require_POST
def canned_save(request: HttpRequest) -> HttpResponse:
    _require_agent(request)
    pk = request.POST.get("id", "")
    canned = get_object_or_404(_visible(request), pk=int(pk)) if pk.isdigit() else None
    return act(
        request,
        "/canned/",
        lambda: workspace_services.canned_save(
            by=request.user,
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
            personal=request.POST.get("personal") == "on",
            canned=canned,
        ),
        success=_("Saved."),
    )


@staff_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_agent(request)
    canned = get_object_or_404(_visible(request), pk=pk)
    return act(
        request,
        "/canned/",
        lambda: workspace_services.canned_delete(by=request.user, canned=canned),
        success=_("Deleted."),
    )
