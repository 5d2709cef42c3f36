"""Settings for the test suite: the real PostgreSQL and Redis, Celery tasks run in-process.

Each pytest-xdist worker gets its own Redis database, so real-time tests running in
parallel never hear each other's events. Each checkout gets its own test databases and Redis
key prefix (named after a hash of its path, or TEST_RUN_TAG), so two checkouts running their
suites on one PostgreSQL and Redis server never meet.
"""

import hashlib
import os
from pathlib import Path

_checkout = (
    os.environ.get("TEST_RUN_TAG")
    or hashlib.sha256(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:8]
)
os.environ.setdefault("TEST_DATABASE_NAME", f"test_helpdesk_{_checkout}")

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DEBUG", "false")
# The suite opens and closes connections per test; a pool only adds resets to that.
os.environ.setdefault("DATABASE_POOL_SIZE", "0")
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL_BASE", "redis://127.0.0.1:6379/") + str(
    8 + int(_worker) % 8
)
os.environ["REDIS_KEY_PREFIX"] = f"helpdesk-test-{_checkout}-{_worker}"

from helpdesk.settings import *  # noqa: E402, F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# Eager tasks drain the inbox inside the request: waiting there for more events helps nothing.
HELPDESK_INBOX_LINGER_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test" / f"media-{_worker}"  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
STATIC_ROOT = BASE_DIR / "var" / "test" / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# No test reaches the real Viber: the tests that send start a local fake (tests/fake_viber.py).
VIBER_API_BASE_URL = "http://127.0.0.1:9/pa"
