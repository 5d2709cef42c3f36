"""Ticket endpoints: list and create, detail with its timeline."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from helpdesk.errors import ApplicationError
from tickets import permissions, selectors, services
from tickets.api import presenters
from tickets.api import serializers as s
from tickets.api.common import TicketCursor, plain_data, uploaded_attachments, validated
from tickets.models import Customer, Group
from tickets.permissions import Action
from tickets.selectors import TicketFilters

TICKET_ACTIONS = [
    Action.REPLY,
    Action.COMMENT,
    Action.ASSIGN,
    Action.HAND_OFF,
    Action.HAND_BACK,
    Action.STATUS,
    Action.PRIORITY,
    Action.TAGS,
    Action.MERGE,
]


def ticket_detail_data(ticket, user) -> dict:
    """The shape of `TicketDetailSerializer`, built by the fast presenter."""
    selectors.customer_identities(ticket.customer)  # read once, with a prepared query
    return presenters.ticket_detail(
        ticket,
        timeline=selectors.ticket_timeline(ticket=ticket, user=user),
        allowed_actions=[str(a) for a in TICKET_ACTIONS if permissions.can(user, a, ticket)],
    )


def _get_or_404(model, pk, what):
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        messages = {
            "group": _("There is no group with id %(id)s."),
            "user": _("There is no user with id %(id)s."),
        }
        raise ApplicationError(messages[what] % {"id": pk})
    return obj


class TicketListCreateApi(APIView):
    pagination_class = TicketCursor

    @extend_schema(
        parameters=[s.TicketFilterSerializer],
        responses=s.TicketRowSerializer(many=True),
        summary="List tickets",
    )
    def get(self, request: Request) -> Response:
        query = {k: v for k, v in request.query_params.items() if k != "format"}
        params = validated(s.TicketFilterSerializer, query)
        statuses = params.get("status", [])
        filters = TicketFilters(
            statuses=() if statuses == ["open"] else tuple(statuses),
            open_only=statuses == ["open"],
            owner=params.get("owner"),
            group=params.get("group"),
            channel=params.get("channel"),
            priority=params.get("priority"),
            customer=params.get("customer"),
            tags=tuple(t.strip().lower() for t in params.get("tag", "").split(",") if t.strip()),
            text=params.get("q", ""),
        )
        ordering = params.get("ordering", "-number")
        self.cursor_ordering = (ordering,) if "number" in ordering else (ordering, "-number")
        tickets = selectors.ticket_list(user=request.user, filters=filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(tickets, request, view=self)
        zone = timezone.get_current_timezone()
        rows = [presenters.ticket_row(t, zone) for t in page]
        return paginator.get_paginated_response(rows)

    @extend_schema(
        request=s.TicketCreateSerializer,
        responses={201: s.TicketCreatedSerializer},
        summary="Open a ticket on a customer's behalf (a phone call, say)",
    )
    def post(self, request: Request) -> Response:
        permissions.require(request.user, Action.CREATE_TICKET)
        data = validated(s.TicketCreateSerializer, plain_data(request))
        created = services.ticket_create(
            by=request.user,
            customer=self._customer(data["customer"]),
            subject=data.get("subject", ""),
            text=data["text"],
            channel=data["channel"],
            priority=data.get("priority", 2),
            group=_get_or_404(Group, data.get("group"), "group"),
            assignee=_get_or_404(User, data.get("owner"), "user"),
            tags=data.get("tags", []),
            attachments=uploaded_attachments(request),
        )
        row = presenters.ticket_row(created.ticket)
        return Response({**row, "message_id": created.message.pk}, status=201)

    def _customer(self, data) -> Customer | services.CustomerSpec:
        if "id" in data:
            customer = selectors.customer_for_new_ticket(data["id"])
            if customer is None:
                raise ApplicationError(
                    _("There is no customer with id %(id)s.") % {"id": data["id"]}
                )
            return customer
        return services.CustomerSpec(
            kind=data["kind"], value=data["value"], name=data.get("name", "")
        )


class TicketDetailApi(APIView):
    @extend_schema(responses=s.TicketDetailSerializer, summary="A ticket with its timeline")
    def get(self, request: Request, number: int) -> Response:
        ticket = selectors.ticket_get(user=request.user, number=number)
        return Response(ticket_detail_data(ticket, request.user))
