"""One endpoint per thing an agent does to a ticket. Each parses input, calls one service,
and answers with the ticket as it now is."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from helpdesk.errors import ApplicationError
from tickets import selectors, services
from tickets.api import serializers as s
from tickets.api.common import plain_data, uploaded_attachments, validated
from tickets.api.tickets import ticket_detail_data
from tickets.models import Group, Ticket
from tickets.permissions import Action
from tickets.services.merge import CONFIRM_DIFFERENT_CUSTOMER


def _user(pk: int | None) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise ApplicationError(_("There is no user with id %(id)s.") % {"id": pk})
    return user


def _group(pk: int | None) -> Group | None:
    if pk is None:
        return None
    group = Group.objects.filter(pk=pk).first()
    if group is None:
        raise ApplicationError(_("There is no group with id %(id)s.") % {"id": pk})
    return group


class TicketActionApi(APIView):
    """Base: look the ticket up (404 if unseen, 403 if the action is not allowed), act,
    answer with the ticket's detail."""

    action_name: Action
    input_serializer: type[s.StrictSerializer]

    def ticket(self, request: Request, number: int) -> Ticket:
        return selectors.ticket_get(user=request.user, number=number, action=self.action_name)

    def answer(self, request: Request, number: int, status: int = 200) -> Response:
        ticket = selectors.ticket_get(user=request.user, number=number)
        return Response(ticket_detail_data(ticket, request.user), status=status)


class TicketReplyApi(TicketActionApi):
    action_name = Action.REPLY

    @extend_schema(
        request=s.ReplySerializer,
        responses={201: s.TicketDetailSerializer},
        summary="Reply to the customer (optionally set the status in the same step)",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(s.ReplySerializer, plain_data(request))
        ticket = self.ticket(request, number)
        services.ticket_reply(
            ticket=ticket,
            by=request.user,
            text=data.get("text", ""),
            html=data.get("html", ""),
            status=data.get("status"),
            attachments=uploaded_attachments(request),
        )
        return self.answer(request, number, status=201)


class TicketAssignApi(TicketActionApi):
    action_name = Action.ASSIGN

    @extend_schema(
        request=s.AssignSerializer,
        responses=s.TicketDetailSerializer,
        summary="Assign to an agent, or to nobody (back to the group's queue)",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(s.AssignSerializer, request.data)
        ticket = self.ticket(request, number)
        services.ticket_assign(ticket=ticket, owner=_user(data["owner"]), by=request.user)
        return self.answer(request, number)


class TicketHandOffApi(TicketActionApi):
    action_name = Action.HAND_OFF

    @extend_schema(
        request=s.HandOffSerializer,
        responses=s.TicketDetailSerializer,
        summary="Hand off to a colleague, internal staff or a group, with a note",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(s.HandOffSerializer, request.data)
        ticket = self.ticket(request, number)
        services.ticket_hand_off(
            ticket=ticket,
            by=request.user,
            note=data["note"],
            to_user=_user(data.get("to_user")),
            to_group=_group(data.get("to_group")),
        )
        return self.answer(request, number)


class TicketStatusApi(TicketActionApi):
    action_name = Action.STATUS

    @extend_schema(
        request=s.StatusSerializer, responses=s.TicketDetailSerializer, summary="Change the status"
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(s.StatusSerializer, request.data)
        ticket = self.ticket(request, number)
        services.ticket_set_status(ticket=ticket, status=data["status"], by=request.user)
        return self.answer(request, number)


class TicketPriorityApi(TicketActionApi):
    action_name = Action.PRIORITY

    @extend_schema(
        request=s.PrioritySerializer,
        responses=s.TicketDetailSerializer,
        summary="Change the priority",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(s.PrioritySerializer, request.data)
        ticket = self.ticket(request, number)
        services.ticket_set_priority(ticket=ticket, priority=data["priority"], by=request.user)
        return self.answer(request, number)


class TicketTagsApi(TicketActionApi):
    action_name = Action.TAGS

    @extend_schema(
        request=s.TagsSerializer,
        responses=s.TicketDetailSerializer,
        summary="Add or remove tags, or set the whole list",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(s.TagsSerializer, request.data)
        if not data:
            raise ApplicationError(_("Give tags to add, remove or set."))
        ticket = self.ticket(request, number)
        services.ticket_set_tags(
            ticket=ticket,
            by=request.user,
            add=data.get("add", []),
            remove=data.get("remove", []),
            replace=data.get("set"),
        )
        return self.answer(request, number)


class TicketMergeApi(TicketActionApi):
    action_name = Action.MERGE

    @extend_schema(
        request=s.MergeSerializer,
        responses=s.TicketDetailSerializer,
        summary="Merge this ticket into another; answers with the one kept",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(s.MergeSerializer, request.data)
        source = self.ticket(request, number)
        into = selectors.ticket_get(user=request.user, number=data["into"], action=Action.MERGE)
        try:
            services.ticket_merge(
                source=source,
                into=into,
                by=request.user,
                confirm_different_customer=data["confirm_different_customer"],
            )
        except ApplicationError as error:
            if error.extra.get("field") != CONFIRM_DIFFERENT_CUSTOMER:
                raise
            confirm = f'{{"into": {into.number}, "{CONFIRM_DIFFERENT_CUSTOMER}": true}}'
            raise ApplicationError(
                _("%(refusal)s To merge them, send %(confirm)s.")
                % {"refusal": error.message, "confirm": confirm},
                extra=error.extra,
            ) from None
        return self.answer(request, into.number)
