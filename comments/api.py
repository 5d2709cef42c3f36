from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from comments import selectors, services
from tickets import selectors as ticket_selectors
from tickets.api.common import validated
from tickets.api.serializers import (
    StrictSerializer,
    TicketDetailSerializer,
    TicketRefSerializer,
    UserRefSerializer,
)
from tickets.api.tickets import ticket_detail_data
from tickets.permissions import Action


class CommentInput(StrictSerializer):
    text = serializers.CharField(max_length=services.MAX_COMMENT_CHARS)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    ticket = TicketRefSerializer()
    actor = UserRefSerializer(allow_null=True)
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationReadInput(StrictSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Leave out to mark all as read."
    )


class NotificationReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class CommentCreateApi(APIView):
    @extend_schema(
        request=CommentInput,
        responses={201: TicketDetailSerializer},
        summary="Add an internal comment (@handle mentions notify colleagues)",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(CommentInput, request.data)
        ticket = ticket_selectors.ticket_get(
            user=request.user, number=number, action=Action.COMMENT
        )
        services.comment_create(ticket=ticket, by=request.user, text=data["text"])
        ticket = ticket_selectors.ticket_get(user=request.user, number=number)
        return Response(ticket_detail_data(ticket, request.user), status=201)


class HandBackApi(APIView):
    @extend_schema(
        request=CommentInput,
        responses=TicketDetailSerializer,
        summary="Answer with a comment and hand the ticket back, in one step",
    )
    def post(self, request: Request, number: int) -> Response:
        data = validated(CommentInput, request.data)
        ticket = ticket_selectors.ticket_get(
            user=request.user, number=number, action=Action.HAND_BACK
        )
        services.comment_and_hand_back(ticket=ticket, by=request.user, text=data["text"])
        ticket = ticket_selectors.ticket_get(user=request.user, number=number)
        return Response(ticket_detail_data(ticket, request.user))


class NotificationListApi(APIView):
    @extend_schema(
        responses=NotificationSerializer(many=True),
        summary="Your latest notifications (mentions, hand-offs, assignments)",
    )
    def get(self, request: Request) -> Response:
        unread_only = request.query_params.get("unread") in ("1", "true")
        notifications = selectors.notifications_for(user=request.user, unread_only=unread_only)
        return Response(
            {
                "unread_count": selectors.unread_count(user=request.user),
                "results": NotificationSerializer(notifications, many=True).data,
            }
        )


class NotificationReadApi(APIView):
    @extend_schema(
        request=NotificationReadInput,
        responses={200: NotificationReadOutput},
        summary="Mark notifications as read",
    )
    def post(self, request: Request) -> Response:
        data = validated(NotificationReadInput, request.data)
        marked = services.notifications_mark_read(user=request.user, ids=data.get("ids"))
        return Response(
            {"marked": marked, "unread_count": selectors.unread_count(user=request.user)}
        )
