"""Groups, users and the attachment download: what the workspace needs to look things up."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.selectors import user_list
from helpdesk.errors import ApplicationError
from tickets import permissions, selectors
from tickets.api import serializers as s
from tickets.models import Group
from tickets.sanitize import strip_bidi


class GroupListApi(APIView):
    @extend_schema(
        responses=s.GroupSerializer(many=True),
        summary="Groups and their members (internal staff: the groups, without members)",
    )
    def get(self, request: Request) -> Response:
        groups = Group.objects.filter(is_active=True)
        if not permissions.sees_colleague_details(request.user):
            return Response(s.GroupSummarySerializer(groups, many=True).data)
        groups = groups.prefetch_related(
            Prefetch("members", queryset=User.objects.filter(is_active=True).order_by("full_name"))
        )
        return Response(s.GroupSerializer(groups, many=True).data)


class UserListApi(APIView):
    @extend_schema(
        responses=s.UserSerializer(many=True),
        summary="Colleagues (for assigning, handing off and @mentions); internal staff get "
        "names, handles, roles and titles only",
    )
    def get(self, request: Request) -> Response:
        role = request.query_params.get("role")
        if role and role not in Role.values:
            raise ApplicationError(
                _('Unknown role "%(role)s"; use one of %(allowed)s.')
                % {"role": role, "allowed": ", ".join(Role.values)}
            )
        full = permissions.sees_colleague_details(request.user)
        users = user_list(role=role, q=request.query_params.get("q", "")[:100], full=full)
        serializer = s.UserSerializer if full else s.ColleagueSerializer
        return Response(serializer(users, many=True).data)


class MeApi(APIView):
    @extend_schema(responses=s.UserSerializer, summary="The signed-in user")
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(request.user).data)


class AttachmentDownloadApi(APIView):
    @extend_schema(
        responses={200: OpenApiResponse(description="The file")},
        summary="Download an attachment (same access as its ticket)",
    )
    def get(self, request: Request, attachment_id: int):
        attachment = selectors.attachment_get(user=request.user, attachment_id=attachment_id)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=not attachment.content_type.startswith("image/"),
            filename=strip_bidi(attachment.name),
            content_type=attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
