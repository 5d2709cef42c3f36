from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_inbound.telegram import webhook


class TelegramWebhookApi(APIView):
    """Where Telegram posts a bot's updates (set by setWebhook with the bot's secret)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []

    @extend_schema(
        request={"application/json": dict},
        responses={200: None},
        summary="Telegram: a bot's webhook (Bot API Update)",
    )
    def post(self, request: Request, bot_id: int) -> Response:
        webhook.receive_update(
            bot_id=bot_id, secret=request.headers.get(webhook.SECRET_HEADER), body=request.body
        )
        return Response({"ok": True})
