"""Two checkouts (or two instances) share one PostgreSQL and one Redis without meeting."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

ROOT = settings.BASE_DIR


def _settings_of(**env: str) -> dict:
    """The test database name and Redis prefix that a run with this environment would use."""
    script = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps({'db': settings.DATABASES['default']['TEST']['NAME'],"
        "'prefix': settings.CACHES['default']['KEY_PREFIX'],"
        "'ws': settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_NAME", "TEST_RUN_TAG")}
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_test_database_and_redis_keys_are_named_after_the_checkout(db):
    tag = hashlib.sha256(str(ROOT.resolve()).encode()).hexdigest()[:8]
    assert connection.settings_dict["NAME"].startswith(f"test_helpdesk_{tag}")
    assert settings.CACHES["default"]["KEY_PREFIX"].startswith(f"helpdesk-test-{tag}-")
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"].startswith(
        f"helpdesk-test-{tag}-"
    )


def test_another_run_tag_names_other_databases_and_keys():
    here, there = _settings_of(), _settings_of(TEST_RUN_TAG="elsewhere")
    assert there["db"] == "test_helpdesk_elsewhere"
    assert here["db"] != there["db"]
    assert here["prefix"] != there["prefix"]
    assert here["ws"] != there["ws"]


def test_clearing_the_cache_leaves_other_instances_keys_alone():
    """Django's own `clear` is FLUSHDB: it would wipe another checkout's sessions and counters
    in the same Redis database."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set("someone-else:1:session", "keep", ex=60)
    cache.set("ours", "gone")
    try:
        cache.clear()
        assert cache.get("ours") is None
        assert client.get("someone-else:1:session") == b"keep"
    finally:
        client.delete("someone-else:1:session")
