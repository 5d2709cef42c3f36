"""Email ingest end to end: 10,000 varied messages from an IMAP mailbox to visible tickets.

    .venv/bin/python bench/email_ingest.py [--messages 10000] [--concurrency 3]

Puts the messages of bench/email_messages.py into a private Dovecot (the tests' harness,
tests/imap_server/), then starts the product's own Celery worker and beat against a fresh
database (`helpdesk_bench_email`) and a private Redis, and asks for one poll. The clock runs
from that moment until the last message is a message on a ticket (or an event set aside with
its error); the rate is messages per second over that time. The poller, the worker, Redis,
Dovecot and PostgreSQL all share this machine. Checks that nothing was lost or doubled and
that every reply is threaded where it belongs (on its parent's ticket, or - a colleague who
was not on the conversation - on one of its own), writes bench/results/email-ingest.json and
prints a Markdown row for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import processes
from bench.email_messages import SUPPORT, Reply, threaded

DATABASE = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_email"
TARGET_PER_SECOND = 400


def misthreaded(replies: list[Reply]) -> int:
    """Replies not where they belong: apart from their parent's ticket when they continue its
    conversation, on it when they do not (or not stored at all)."""
    from tickets.models import Message

    ids = {r.message_id for r in replies} | {r.parent_id for r in replies}
    ticket_of = dict(
        Message.objects.filter(channel="email", direction="in", external_id__in=ids).values_list(
            "external_id", "ticket_id"
        )
    )
    return sum(
        r.message_id not in ticket_of
        or r.parent_id not in ticket_of
        or (ticket_of[r.message_id] == ticket_of[r.parent_id]) != r.joins_parent
        for r in replies
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=3, help="Celery worker processes")
    parser.add_argument("--timeout", type=int, default=900)
    options = parser.parse_args()

    log_dir = processes.ROOT / "var" / "bench" / "email"
    redis_port = processes.free_port()
    env = processes.environment(DATABASE, redis_port, EMAIL_URL="dummymail://", LOG_LEVEL="WARNING",
                                 HELPDESK_IMAP_POLL_SECONDS="3600")  # fmt: skip
    processes.recreate_database(DATABASE)

    import django

    django.setup()
    from django.db import connection

    from channels_inbound.models import InboundEvent, Mailbox
    from channels_inbound.tasks import poll_mailbox
    from tests.imap_server import DovecotServer
    from tickets.models import Group, Message, Ticket

    raws, replies = threaded(options.messages)
    n = len(raws)
    redis = worker = beat = None
    with DovecotServer({SUPPORT: "bench-password"}) as dovecot:
        loaded = time.monotonic()
        dovecot.deliver_many(SUPPORT, raws)
        print(f"{n} messages in the mailbox ({time.monotonic() - loaded:.1f} s)", flush=True)
        host, port = dovecot.address
        mailbox = Mailbox(name="Support", address=SUPPORT, imap_host=host, imap_port=port,
                          imap_security=Mailbox.Security.NONE, imap_login=SUPPORT,
                          group=Group.objects.get_or_create(name="Support")[0])  # fmt: skip
        mailbox.imap_password = "bench-password"  # noqa: S105 - the private Dovecot's
        mailbox.save()
        try:
            redis = processes.redis(redis_port, log_dir)
            worker = processes.worker(env, log_dir, concurrency=options.concurrency)
            for stale in log_dir.glob("celerybeat-schedule*"):
                stale.unlink()  # a remembered last run could make the mailbox poll due now
            beat = processes.beat(env, log_dir)
            time.sleep(5)  # the worker's processes are up and waiting
            # Beat must not have polled while the worker came up: the clock starts with the
            # one poll asked for here (its interval is an hour in this run).
            assert not InboundEvent.objects.exists(), "the mailbox was polled before the clock"
            started = time.monotonic()
            poll_mailbox.delay(mailbox.pk)
            stored_at = None
            deadline = started + options.timeout
            while time.monotonic() < deadline:
                stored = InboundEvent.objects.count()
                pending = InboundEvent.objects.filter(status=InboundEvent.Status.PENDING).count()
                if stored >= n and stored_at is None:
                    stored_at = time.monotonic()
                if stored >= n and pending == 0:
                    break
                print(f"  {stored} stored, {pending} pending", flush=True)
                time.sleep(0.5)
            finished = time.monotonic()
        finally:
            for process in (beat, worker, redis):
                processes.stop(process)

    events = InboundEvent.objects.filter(channel="email")
    by_status = {s: events.filter(status=s).count() for s in InboundEvent.Status.values}
    latencies = [
        (done - received).total_seconds()
        for received, done in events.exclude(processed_at=None).values_list(
            "received_at", "processed_at"
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT external_id FROM tickets_message WHERE channel = "
            "'email' AND direction = 'in' GROUP BY external_id HAVING count(*) > 1) d"
        )
        doubled = cursor.fetchone()[0]
    seconds = finished - started
    result = {
        "command": f"python bench/email_ingest.py --messages {n} "
        f"--concurrency {options.concurrency}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "messages": n,
        "megabytes": round(sum(map(len, raws)) / 1e6, 1),
        "events": events.count(),
        "events_by_status": by_status,
        "messages_stored": Message.objects.filter(channel="email", direction="in").count(),
        "messages_doubled": doubled,
        "replies": len(replies),
        "replies_misthreaded": misthreaded(replies),
        "tickets": Ticket.objects.count(),
        "seconds": round(seconds, 2),
        "poll_seconds": round((stored_at or finished) - started, 2),
        "messages_per_second": round(n / seconds, 1),
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 0.95), 2),
        "target_messages_per_second": TARGET_PER_SECOND,
    }
    result["ok"] = (
        result["events"] == n
        and by_status.get("pending", 0) == 0
        and doubled == 0
        and result["replies_misthreaded"] == 0
        and result["messages_stored"] == by_status.get("done", 0)
    )
    result["target_met"] = result["messages_per_second"] >= TARGET_PER_SECOND
    out = processes.ROOT / "bench" / "results" / "email-ingest.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(
        f"| email ingest, IMAP to ticket ({n} messages) | {result['messages_per_second']} msg/s "
        f"| ≥ {TARGET_PER_SECOND} msg/s | {'met' if result['target_met'] else 'missed'} |"
    )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
