from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect

from helpdesk.errors import ApplicationError


def staff_required(view):
    """Signed-in agents, admins and internal staff; what each may do is the permission
    module's business, asked by every view."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_active:
            return HttpResponseForbidden()
        return view(request, *args, **kwargs)

    return wrapped


def act(
    request: HttpRequest, back: str, action, success: str = "", sent_draft: str = ""
) -> HttpResponse:
    """Run a service call from a form post; show its refusal as a message, then go back
    (post-redirect-get, so a reload never sends a form twice). `sent_draft` names the
    composer pane ("reply", "comment") whose draft the page may forget once this worked;
    after a refusal the page keeps it."""
    try:
        action()
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if success:
            messages.success(request, success, extra_tags=sent_draft)
    return redirect(back)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
