from __future__ import annotations

from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from tickets.services import NewAttachment


class TicketCursor(CursorPagination):
    """Cursor pages stay fast at any depth: `WHERE number < last ORDER BY number DESC`."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-number",)

    def get_ordering(self, request, queryset, view):
        return getattr(view, "cursor_ordering", self.ordering)


class CustomerCursor(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-id",)


def uploaded_attachments(request: Request) -> list[NewAttachment]:
    return [
        NewAttachment(name=f.name, content_type=f.content_type or "", content=f)
        for f in request.FILES.getlist("attachments")
    ]


def validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def plain_data(request: Request) -> dict:
    """Request data as a dict; for multipart, lists are kept only for repeated keys."""
    data = request.data
    if hasattr(data, "lists"):
        out = {}
        for key, values in data.lists():
            if key == "attachments":
                continue
            out[key] = (
                values if len(values) > 1 or key in ("tags", "add", "remove", "set") else values[0]
            )
        return out
    return data
