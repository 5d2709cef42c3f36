"""Customer-facing pages and the public web-form endpoint. Thin: parse, call, render."""

from __future__ import annotations

import hmac
import uuid

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_inbound import customer_output, status_links, webform
from helpdesk.errors import ApplicationError, Forbidden, PayloadTooLarge
from tickets.api.common import validated
from tickets.api.serializers import StrictSerializer
from tickets.models import Attachment
from tickets.sanitize import strip_bidi
from tickets.services import NewAttachment


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def uploads(request) -> list[NewAttachment]:
    return [
        NewAttachment(name=f.name, content_type=f.content_type or "", content=f)
        for f in request.FILES.getlist("attachments")
    ]


class PublicTicketInput(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.CharField(max_length=320)
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True)
    text = serializers.CharField(max_length=webform.MAX_TEXT)
    website = serializers.CharField(
        required=False, allow_blank=True, help_text="Honeypot: leave empty."
    )
    key = serializers.CharField(
        required=False, max_length=64, help_text="Your id for this submission; repeats are ignored."
    )
    language = serializers.ChoiceField(choices=["en", "ru"], required=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class PublicTicketOutput(serializers.Serializer):
    number = serializers.IntegerField()
    status_url = serializers.URLField()
    message = serializers.CharField()


class PublicTicketApi(APIView):
    """The web form as an API, for a site's own contact form."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=PublicTicketInput,
        responses={201: PublicTicketOutput},
        summary="Public: submit a request (the web form)",
    )
    def post(self, request: Request) -> Response:
        data = dict(request.data.items()) if hasattr(request.data, "items") else request.data
        data.pop("attachments", None)
        fields = validated(PublicTicketInput, data)
        submission = webform.submit(
            email=fields["email"],
            text=fields["text"],
            name=fields.get("name", ""),
            subject=fields.get("subject", ""),
            honeypot=fields.get("website", ""),
            key=fields.get("key", ""),
            language=fields.get("language") or get_language() or "",
            attachments=uploads(request),
            client=client_address(request),
        )
        return Response(
            {
                "number": submission.number,
                "status_url": submission.status_url,
                "message": _("We received your request #%(number)s.")
                % {"number": submission.number},
            },
            status=200 if submission.duplicate else 201,
        )


def support_form(request: HttpRequest) -> HttpResponse:
    context: dict = {"values": {}}
    if request.method == "POST":
        values = request.POST
        try:
            submission = webform.submit(
                email=values.get("email", ""),
                text=values.get("text", ""),
                name=values.get("name", ""),
                subject=values.get("subject", ""),
                honeypot=values.get("website", ""),
                key=values.get("key", ""),
                language=get_language() or "",
                attachments=uploads(request),
                client=client_address(request),
            )
        except ApplicationError as error:
            context.update(values=values, error=error.message)
            return render(
                request, "channels_inbound/support_form.html", context, status=error.status_code
            )
        return render(
            request, "channels_inbound/submitted.html", {"submission": submission}, status=201
        )
    context["key"] = uuid.uuid4().hex
    return render(request, "channels_inbound/support_form.html", context)


def _link_or_error_page(request: HttpRequest, token: str):
    try:
        return status_links.read_token(token), None
    except ApplicationError as error:
        page = render(
            request,
            "channels_inbound/link_problem.html",
            {"message": error.message, "expired": error.status_code == 410},
            status=error.status_code,
        )
        return None, page


def status_page(request: HttpRequest, token: str) -> HttpResponse:
    link, problem = _link_or_error_page(request, token)
    if problem is not None:
        return problem
    view = customer_output.status_view(link.number)
    ticket = view.ticket if view else None
    context = {"number": link.number, "token": token, "ticket": ticket,
               "merged": bool(view and view.merged)}  # fmt: skip
    if request.method == "POST" and ticket is not None:
        try:
            webform.submit_reply(
                link=status_links.StatusLink(ticket.number, link.email),
                text=request.POST.get("text", ""),
                attachments=uploads(request),
                client=client_address(request),
                key=request.POST.get("key", ""),
                merged=view.merged,
            )
        except ApplicationError as error:
            context.update(error=error.message, text=request.POST.get("text", ""))
        else:
            return redirect(f"{request.path}?sent=1")
    if ticket is not None:
        context.update(
            status_words=customer_output.MERGED_WORDS
            if view.merged
            else customer_output.STATUS_WORDS[ticket.status],
            thread=customer_output.public_thread(view),
            sent=request.GET.get("sent") == "1",
        )
    context["key"] = uuid.uuid4().hex
    return render(
        request,
        "channels_inbound/status.html",
        context,
        status=400 if context.get("error") else 200,
    )


def status_attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    link, problem = _link_or_error_page(request, token)
    if problem is not None:
        return problem
    view = customer_output.status_view(link.number)
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id, message__in=view.messages(), is_inline=False
        ).first()
        if view
        else None
    )
    if attachment is None:
        raise Http404(_("No such file on this request."))
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=strip_bidi(attachment.name),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class InboundEmailApi(APIView):
    """A raw message from an MTA pipe or a mail service's inbound webhook. The body is the
    message itself; the mailbox's inbound key goes in the `X-Helpdesk-Key` header."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []

    @extend_schema(
        request={"message/rfc822": bytes},
        responses={202: None},
        summary="Deliver a raw email (RFC 5322) to a mailbox",
    )
    def post(self, request: Request, mailbox_id: int) -> Response:
        from channels_inbound.mailboxes import receive_raw
        from channels_inbound.models import Mailbox

        mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
        key = request.headers.get("X-Helpdesk-Key", "")
        if (
            mailbox is None
            or not mailbox.inbound_key
            or not hmac.compare_digest(key.encode(), mailbox.inbound_key.encode())
        ):
            raise Forbidden(_("Unknown mailbox or wrong key."))
        raw = request.body
        if not raw.strip():
            raise ApplicationError(_("The request body must be the raw message."))
        if len(raw) > settings.HELPDESK_MAX_EMAIL_MB * 1024 * 1024:
            raise PayloadTooLarge(_("The message is larger than the mailbox accepts."))
        received = receive_raw(mailbox=mailbox, raw=raw)
        return Response({"event": received.event_id, "duplicate": not received.created},
                        status=202)  # fmt: skip
