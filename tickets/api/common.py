from __future__ import annotations

import threading

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


_bound = threading.local()
# What `is_valid` leaves on a serializer; cleared before it validates the next request.
_VALIDATION_STATE = ("_validated_data", "_errors", "_data")


def validated(serializer_class, data, **kwargs):
    """`data` validated by `serializer_class`, or a 400 naming every wrong field.

    DRF builds a serializer's fields anew for every instance (a deep copy of each declared
    field, then binding): on a small endpoint that is most of the request's Python. Input
    serializers keep no state of their own between validations, so each thread keeps one
    bound instance per class and hands it the next request's data."""
    if kwargs:
        serializer = serializer_class(data=data, **kwargs)
    else:
        bound = _bound.__dict__.setdefault("serializers", {})
        serializer = bound.get(serializer_class)
        if serializer is None:
            serializer = bound[serializer_class] = serializer_class(data=data)
        for name in _VALIDATION_STATE:
            serializer.__dict__.pop(name, None)
        serializer.initial_data = data
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
