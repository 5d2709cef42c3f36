"""One ASGI application: Django for HTTP, Channels consumers for websockets.

HTTP goes to Django's synchronous handler through a single WSGI-to-ASGI bridge. Every view
here is synchronous, and Django's own ASGI handler would hop between the event loop and
worker threads for each middleware (its mixins run `sync_to_async` per hook): one hop per
request instead of a dozen is the difference between 50 and several hundred requests per
second per process (docs/decisions.md). Websockets stay fully asynchronous.
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
# Must run before anything imports models. A few threads per process: views wait on the
# database, and the pool gives each thread its connection.
django_http = WSGIMiddleware(get_wsgi_application(), workers=4)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from helpdesk.routing import websocket_urlpatterns  # noqa: E402
from helpdesk.ws_auth import SessionOrTokenAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_http,
        "websocket": AllowedHostsOriginValidator(
            SessionOrTokenAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
