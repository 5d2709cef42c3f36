"""Content negotiation for an API that speaks only JSON."""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """With one renderer there is nothing to choose: answer with it, whatever the client's
    Accept header says (as DRF's own `IgnoreClientContentNegotiation` example does), instead
    of parsing that header on every request - a fortieth of the CPU of a small API request.
    With the browsable API (DEBUG) there are two, and DRF chooses as usual."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and format_suffix is None:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
