"""The customer page: identities on every channel, notes, every ticket; merging customers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.errors import ApplicationError
from tickets import selectors, services
from tickets.models import Customer, IdentityKind
from tickets.views.common import act, staff_required


def _customer(request: HttpRequest, pk: int) -> Customer:
    try:
        return selectors.customer_get(user=request.user, customer_id=pk)
    except ApplicationError as error:
        raise Http404(error.message) from None


@staff_required
def customer_page(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    if customer.merged_into_id is not None:
        return redirect("customer", pk=customer.merged_into_id)
    candidates = []
    query = request.GET.get("merge_q", "").strip()
    if query:
        candidates = list(selectors.customer_list(user=request.user, text=query)
                          .exclude(pk=customer.pk)[:10])  # fmt: skip
    return render(
        request,
        "workspace/customer.html",
        {"customer": customer, "candidates": candidates, "merge_q": query,
         "identity_kinds": IdentityKind.choices},
    )  # fmt: skip


@staff_required
@require_POST
def customer_update(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    return act(
        request,
        f"/customers/{pk}/",
        lambda: services.customer_update(
            customer=customer,
            by=request.user,
            name=request.POST.get("name"),
            notes=request.POST.get("notes"),
            language=request.POST.get("language"),
        ),
        success=_("Saved."),
    )


@staff_required
@require_POST
def identity_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request, pk)
    return act(
        request,
        f"/customers/{pk}/",
        lambda: services.identity_add(
            customer=customer,
            kind=request.POST.get("kind", ""),
            value=request.POST.get("value", ""),
            by=request.user,
        ),
        success=_("Identity added."),
    )


@staff_required
@require_POST
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another customer (`other`) into this one: this page's customer lives on. It
    cannot be undone, so the first post shows what will move and asks again (`confirm`)."""
    into = _customer(request, pk)
    other_id = request.POST.get("other", "")
    if not other_id.isdigit() or int(other_id) == into.pk:
        messages.error(request, _("Choose the customer to merge into this one."))
        return redirect("customer", pk=pk)
    source = _customer(request, int(other_id))
    if request.POST.get("confirm") != "yes":
        return render(
            request, "workspace/customer_merge.html", {"customer": into, "source": source}
        )
    return act(
        request,
        f"/customers/{pk}/",
        lambda: services.customer_merge(source=source, into=into, by=request.user),
        success=_("%(source)s was merged into %(into)s.")
        % {"source": source.name or "—", "into": into.name or "—"},
    )
