"""Nothing lost, nothing doubled: 10,000 web-form submissions while the worker is killed
(SIGKILL) twice and Redis is restarted once.

    .venv/bin/python bench/faults.py [--events 10000]

Runs against its own database (`helpdesk_faults`, recreated) and its own Redis (a private
redis-server on a free port, so restarting it disturbs nothing else), with a real Celery
worker and beat (whose sweep recovers what the outage lost). Submissions go through the same
service as the public endpoint. At the end every submission must be exactly one message on
exactly one ticket with the number the customer was given. Writes a JSON report to
bench/results/ and exits non-zero when the check fails.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import processes

DATABASE = "postgres://postgres@127.0.0.1:5432/helpdesk_faults"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--timeout", type=int, default=600, help="seconds to wait for the drain")
    options = parser.parse_args()

    log_dir = processes.ROOT / "var" / "bench" / "faults"
    redis_port = processes.free_port()
    env = processes.environment(DATABASE, redis_port, EMAIL_URL="consolemail://", LOG_LEVEL="ERROR",
                                 HELPDESK_WEBFORM_RATE_LIMIT="1000000/second")  # fmt: skip
    processes.recreate_database(DATABASE)

    import django

    django.setup()
    from django.db import connection

    from channels_inbound import webform
    from channels_inbound.models import InboundEvent
    from tickets.models import Message, Ticket

    redis = processes.redis(redis_port, log_dir)
    worker = processes.worker(env, log_dir)
    beat = processes.beat(env, log_dir)
    n = options.events
    faults = {n // 5: "kill worker", n // 2: "restart redis", (n * 3) // 4: "kill worker"}
    log: list[dict] = []
    started = time.monotonic()
    numbers: dict[str, int] = {}
    try:
        for i in range(n):
            if i in faults:
                what = faults[i]
                log.append({"after_events": i, "fault": what, "at_s": time.monotonic() - started})
                print(f"{i:>6} submitted: {what}", flush=True)
                if what == "kill worker":
                    processes.stop(worker, signal.SIGKILL)
                    worker = processes.worker(env, log_dir)
                else:
                    processes.stop(redis, signal.SIGKILL)
                    time.sleep(1)
                    redis = processes.redis(redis_port, log_dir)
            key = f"fault-{i:06d}"
            submission = webform.submit(
                email=f"customer{i % 2000}@faults.example",
                name=f"Customer {i % 2000}",
                subject=f"Request {i}",
                text=f"Submission {i}: where is my order {100000 + i}?",
                key=key,
                client="bench",
            )
            numbers[key] = submission.number
        produced_s = time.monotonic() - started
        print(f"{n} submitted in {produced_s:.1f} s; waiting for the worker to drain", flush=True)

        deadline = time.monotonic() + options.timeout
        while time.monotonic() < deadline:
            pending = InboundEvent.objects.filter(status=InboundEvent.Status.PENDING).count()
            if pending == 0:
                break
            print(f"  {pending} pending", flush=True)
            time.sleep(5)
        drained_s = time.monotonic() - started
    finally:
        for process in (beat, worker, redis):
            processes.stop(process)

    events = InboundEvent.objects.filter(channel="web")
    messages = Message.objects.filter(channel="web", direction="in")
    tickets_by_number = dict(Ticket.objects.values_list("number", "id"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT external_id FROM tickets_message "
            "WHERE channel = 'web' GROUP BY external_id HAVING count(*) > 1) d"
        )
        doubled = cursor.fetchone()[0]
    result = {
        "command": f"python bench/faults.py --events {n}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "events_submitted": n,
        "faults": log,
        "events_stored": events.count(),
        "events_done": events.filter(status=InboundEvent.Status.DONE).count(),
        "events_failed_or_pending": events.exclude(status=InboundEvent.Status.DONE).count(),
        "messages": messages.count(),
        "messages_doubled": doubled,
        "tickets": len(tickets_by_number),
        "promised_numbers_missing": sum(1 for v in numbers.values() if v not in tickets_by_number),
        "submit_seconds": round(produced_s, 1),
        "drain_seconds": round(drained_s, 1),
    }
    result["ok"] = (
        result["events_stored"] == n
        and result["events_done"] == n
        and result["messages"] == n
        and doubled == 0
        and result["tickets"] == n
        and result["promised_numbers_missing"] == 0
    )
    out = processes.ROOT / "bench" / "results" / "faults.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
