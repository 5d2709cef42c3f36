"""The API's JSON parser: every endpoint takes a JSON object, so anything else (an array, a
string, a number, null) is refused here, in one place, with a 400 before a view sees it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JsonObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_('The request body must be a JSON object, like {"text": "..."}.'))
        return data
