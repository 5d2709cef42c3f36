"""The Viber webhook endpoint. Thin: verify, store, answer 200 at once."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_inbound.viber import media, webhook


class ViberWebhookApi(APIView):
    """Viber's callbacks for one bot. The body is stored exactly as it came; the worker
    processes it a moment later. Answered 200 even when it cannot be processed (it is kept
    with its error for admins), so Viber does not send a poison callback forever."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []

    @extend_schema(
        request={"application/json": dict},
        responses={200: None},
        summary="Viber callbacks for a bot (signed with X-Viber-Content-Signature)",
    )
    def post(self, request: Request, bot_id: int) -> Response:
        body = request.body
        bot = webhook.verify(
            bot_id=bot_id,
            body=body,
            signature=request.headers.get("X-Viber-Content-Signature")
            or request.query_params.get("sig", ""),
        )
        return Response(webhook.receive(bot=bot, body=body))


def media_file(request: HttpRequest, token: str) -> FileResponse:
    """A file of one of our replies, for Viber to fetch by the signed link it was sent."""
    attachment = media.attachment_for(token)
    if attachment is None:
        raise Http404(_("This link is wrong or has expired."))
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
