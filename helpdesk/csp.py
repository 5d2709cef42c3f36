"""The Content-Security-Policy every response carries.

Scripts come only from our own static files (no inline script, no eval: event handlers are
bound in static/js/*.js from data attributes); images only from us and `data:` URLs, so an
email's remote images (tracking pixels) are never loaded unless the agent asks for one
message's images - that response then also allows exactly those images' origins
(`request.csp_img_src`, set by the ticket page; tickets/remote_images.py). Styles allow inline
`style` attributes: htmx inserts its indicator style and Django's admin and Swagger UI set
some; stored customer HTML has no `style` attribute left (tickets/sanitize.py), and CSS can
load images only under `img-src`. The websocket may be on a port of its own
(`REALTIME_PORT`), which `connect-src` then names. `HELPDESK_CSP_REPORT_URI` adds a
`report-uri` for browsers to report violations to.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

HEADER = "Content-Security-Policy"

BASE = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def _realtime_sources(request: HttpRequest) -> list[str]:
    port = settings.REALTIME_PORT
    if not port:
        return []  # on the page's own origin: 'self' covers ws:/wss: there
    try:
        host, _port = split_domain_port(request.get_host())
    except DisallowedHost:
        return []
    if not host:
        return []
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return [f"ws://{host}:{port}", f"wss://{host}:{port}"]


def policy(request: HttpRequest) -> str:
    directives = {name: list(values) for name, values in BASE.items()}
    directives["img-src"] += list(getattr(request, "csp_img_src", ()))
    directives["connect-src"] += _realtime_sources(request)
    text = "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())
    if settings.HELPDESK_CSP_REPORT_URI:
        text += f"; report-uri {settings.HELPDESK_CSP_REPORT_URI}"
    return text


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(request)
        return response
