"""Work a request must cause but its answer need not wait for.

The WSGI bridge sends the last chunk of the answer, then closes the response, and Django
announces the close with `request_finished`: work deferred here runs then, in the request's
thread, after the client has its answer. Outside a request (a worker, a shell, a test calling
a service) it runs at once. Only for work whose loss in a crash costs time, not data: waking
the inbox drainers, say, whom the beat sweep wakes anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.core.signals import request_finished, request_started

logger = logging.getLogger(__name__)
_local = threading.local()


def defer(work: Callable[[], None]) -> None:
    pending = getattr(_local, "pending", None)
    if pending is None:
        work()
    else:
        pending.append(work)


def finish(**kwargs) -> None:
    """Run what waits for the end of this thread's request, and leave the request."""
    pending, _local.pending = getattr(_local, "pending", None) or [], None
    for work in pending:
        try:
            work()
        except Exception:
            logger.exception("work deferred until after the response failed")


def _request_started(**kwargs) -> None:
    finish()  # what a request whose response was never closed left
    _local.pending = []


request_started.connect(_request_started, dispatch_uid="helpdesk.after_response.started")
request_finished.connect(finish, dispatch_uid="helpdesk.after_response.finished")
