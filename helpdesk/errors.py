"""One application error type and its mapping to API responses.

Services raise `ApplicationError` (or a subclass) with a message a person can act on. The DRF
exception handler turns it, and DRF's own errors, into `{"message": ..., "extra": {...}}` so
that every 4xx the API returns has the same shape.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A request the domain refuses, with a message that says what to do instead."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class Forbidden(ApplicationError):
    status_code = 403


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


class PayloadTooLarge(ApplicationError):
    status_code = 413


class TooManyRequests(ApplicationError):
    status_code = 429


class Gone(ApplicationError):
    status_code = 410


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}{name}: " if name else prefix)
        return out
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item, prefix)]
    return [f"{prefix}{detail}"]


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"message": exc.message, "extra": exc.extra}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        exc = drf.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ValidationError):
        messages = _flatten(exc.detail)
        message = _("Invalid input.")
        if messages:
            message = f"{message} {' '.join(messages)}"
        response.data = {"message": message, "extra": {"fields": exc.detail}}
    elif isinstance(exc, drf.APIException):
        response.data = {"message": str(exc.detail), "extra": {"code": exc.get_codes()}}
    return response
