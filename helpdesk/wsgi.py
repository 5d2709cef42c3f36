"""The pages and the API as a WSGI application: what `make run` serves with granian.

Every view is synchronous, so a WSGI server runs them on its own threads with no event loop
between the socket and Django; websockets are served apart, by `helpdesk.asgi` under uvicorn
(docs/decisions.md). Behind a proxy on this machine, its X-Forwarded-For and -Proto are
trusted (as uvicorn's --proxy-headers did): the web form's rate limit counts clients, not
the proxy. FORWARDED_ALLOW_IPS names other proxies to trust, comma-separated, or *.
"""

import os

from django.core.wsgi import get_wsgi_application
from granian.utils.proxies import wrap_wsgi_with_proxy_headers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
application = wrap_wsgi_with_proxy_headers(
    get_wsgi_application(),
    trusted_hosts=os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1",
)
