"""The load run: wrk against the product served the way `make run` serves it.

    .venv/bin/python bench/load.py [--tickets 1000000] [--duration 20] [--warmup 3]

Fills (or reuses) the `helpdesk_bench` database with bench/generate.py, starts web (granian,
the same command and worker count as `make run`), the Celery worker and beat, then for each
scenario runs wrk at concurrency 4 for a warm-up (discarded) and the measured run, and counts
the SQL queries one request of each scenario makes. Writes bench/results/load-<N>.json and
prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import processes
from scripts.devrun.common import default_web_concurrency

DATABASE = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
LUA = Path(__file__).resolve().parent / "lua"
# Above this share of CPU time taken by other guests of the host, a run says so.
STEAL_WARNING_PERCENT = 5
TARGETS = {
    "ticket list (API)": {"p95_ms": 25, "queries": 6},
    "ticket with 5 messages (API)": {"p95_ms": 20},
    "create ticket (API)": {"rps": 500},
    "create ticket (web form)": {"rps": 500},
    "queue page (25 open tickets)": {"p95_ms": 50},
    "ticket page (5 messages, 3 comments)": {"p95_ms": 50},
}


def configure(options) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": options.database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "SECRET_KEY": "bench-secret",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "HELPDESK_WEBFORM_RATE_LIMIT": "1000000/second",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "BENCH_LUA_DIR": str(LUA),
    }
    os.environ.update(env)
    return env


def generate(options) -> None:
    subprocess.run([processes.PYTHON, str(Path(__file__).parent / "generate.py"),
                    "--database-url", options.database_url, "--tickets", str(options.tickets)],
                   check=True)  # fmt: skip


def fixtures() -> dict:
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from tickets.models import Customer, Ticket

    agent = User.objects.get(email="agent01@bench.helpdesk")
    token, _ = Token.objects.get_or_create(user=agent)
    ticket = (
        Ticket.objects.filter(assignee=agent, status="open")
        .annotate(n=Count("messages", distinct=True), c=Count("internal_comments", distinct=True))
        .filter(n=5, c=3)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    from django.test import Client

    browser = Client()
    browser.force_login(agent)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    return {"token": token.key, "ticket": ticket, "customers": Customer.objects.count(),
            "agent_id": agent.pk, "cookie": cookie}  # fmt: skip


def scenarios(fx: dict) -> list[dict]:
    return [
        {"name": "ticket list (API)", "path": "/api/v1/tickets/?status=open", "lua": "get.lua"},
        {"name": "ticket with 5 messages (API)", "path": f"/api/v1/tickets/{fx['ticket']}/",
         "lua": "get.lua"},
        {"name": "queue page (25 open tickets)", "path": "/tickets/?queue=open", "lua": "page.lua"},
        {"name": "ticket page (5 messages, 3 comments)", "path": f"/tickets/{fx['ticket']}/",
         "lua": "page.lua"},
        {"name": "create ticket (API)", "path": "/api/v1/tickets/", "lua": "create_api.lua"},
        {"name": "create ticket (web form)", "path": "/api/v1/public/tickets/",
         "lua": "create_webform.lua"},
    ]  # fmt: skip


def cpu_ticks() -> list[int]:
    """The machine's CPU time so far, by kind (the `cpu` line of /proc/stat)."""
    with open("/proc/stat") as stat:
        return [int(x) for x in stat.readline().split()[1:9]]


def steal_percent(before: list[int], after: list[int]) -> float:
    """The share of the CPU the hypervisor gave to other guests between two readings. On a
    shared virtual machine that share is taken from the product, so a run with much of it
    measures the neighbours, not the code."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return round(100 * spent[7] / max(sum(spent), 1), 1)


def calibration_ms() -> float:
    """How long this machine takes for a fixed piece of pure Python (the best of three), so
    that runs on different machines, or on one machine whose host got busier, can be told
    apart: the figures of a run scale with it."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def wrk(url: str, lua: str, seconds: int, env: dict, connections: int) -> dict:
    before = cpu_ticks()
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(LUA / lua), url],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK-RESULT "))
    return {**json.loads(line.removeprefix("WRK-RESULT ")),
            "cpu_steal_percent": steal_percent(before, cpu_ticks())}  # fmt: skip


def queries_per_request(fx: dict, scenario: dict) -> int:
    """One request through Django's test client on the same database, its queries counted."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {fx['token']}")
    if scenario["lua"] == "page.lua":
        client = Client(HTTP_COOKIE=fx["cookie"])
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        if scenario["lua"] in ("get.lua", "page.lua"):
            response = client.get(scenario["path"])
        elif scenario["lua"] == "create_api.lua":
            response = client.post(
                scenario["path"],
                {"customer": {"id": 1}, "text": "Query count", "subject": "Queries"},
                content_type="application/json",
            )
        else:
            response = client.post(
                scenario["path"],
                {"email": "count@bench.example", "text": "Query count"},
                content_type="application/json",
            )
    assert response.status_code in (200, 201), response.content[:300]
    return len(queries)


def settle(timeout: int, *, outbound: bool = True) -> float:
    """Wait until the worker has processed every inbound event and sent what they answer
    with (a backlog left by an earlier run would otherwise compete with the measured
    requests). Returns the seconds waited."""
    from channels_inbound.models import InboundEvent, OutboundDelivery

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not (
            InboundEvent.objects.filter(status=InboundEvent.Status.PENDING).exists()
            or (
                outbound
                and OutboundDelivery.objects.filter(status=OutboundDelivery.Status.QUEUED).exists()
            )
        ):
            break
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def verdict(name: str, row: dict) -> str:
    target = TARGETS.get(name, {})
    ok = True
    if "p95_ms" in target:
        ok &= row["p95_ms"] <= target["p95_ms"]
    if "rps" in target:
        ok &= row["rps"] >= target["rps"]
    if "queries" in target:
        ok &= row["queries"] <= target["queries"]
    return "met" if ok else "MISSED"


def table(result: dict) -> str:
    lines = [
        f"`{result['command']}` — {result['tickets']:,} tickets, {result['date']}, "
        f"wrk -t2 -c{result['connections']} -d{result['duration_s']}s after a "
        f"{result['warmup_s']} s warm-up; calibration {result['calibration_ms']['before']} ms "
        f"before, {result['calibration_ms']['after']} ms after",
        "",
        "| scenario | median ms | p95 ms | requests/s | SQL queries | CPU steal | target | |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, row in result["scenarios"].items():
        target = ", ".join(f"{k.replace('_ms', ' ms').replace('rps', '/s')} "
                           f"{'≤' if k != 'rps' else '≥'} {v}"
                           for k, v in TARGETS.get(name, {}).items())  # fmt: skip
        lines.append(
            f"| {name} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['rps']:.0f} | "
            f"{row['queries']} | {row.get('cpu_steal_percent', 0):.0f} % | {target} | "
            f"{row['verdict']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DATABASE)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--only", help="run only scenarios whose name contains this")
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--settle-timeout", type=int, default=600)
    options = parser.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed; install it (Debian: apt-get install wrk) and run again.")
        return 1
    env = configure(options)
    if not options.skip_generate:
        generate(options)
    subprocess.run(
        [processes.PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=processes.ROOT,
        env=env,
        check=True,
    )  # as `make run` does
    import django

    django.setup()
    from django.db import connection

    fx = fixtures()
    env["BENCH_TOKEN"] = fx["token"]
    env["BENCH_CUSTOMERS"] = str(fx["customers"])
    env["BENCH_COOKIE"] = fx["cookie"]
    connection.close()

    calibration = {"before": calibration_ms()}  # before the product's processes start
    log_dir = processes.ROOT / "var" / "bench" / "load"
    port = processes.free_port()
    workers = int(os.environ.get("WEB_CONCURRENCY") or default_web_concurrency())
    web = processes.web(env, port, log_dir, workers=workers)
    worker = processes.worker(env, log_dir)
    beat = processes.beat(env, log_dir)
    results = {}
    try:
        time.sleep(10)  # let the worker and beat finish starting: their imports take CPU
        settle(options.settle_timeout)
        for scenario in scenarios(fx):
            if options.only and options.only not in scenario["name"]:
                continue
            settle(options.settle_timeout)
            url = f"http://127.0.0.1:{port}{scenario['path']}"
            wrk(url, scenario["lua"], options.warmup, env, options.connections)
            row = wrk(url, scenario["lua"], options.duration, env, options.connections)
            row["queries"] = queries_per_request(fx, scenario)
            row["verdict"] = verdict(scenario["name"], row)
            if scenario["lua"] == "create_webform.lua":
                # The answer carries the number at once; the worker creates the tickets. How
                # long until every one of them exists is part of the figure.
                row["drain_s"] = settle(options.settle_timeout, outbound=False)
                row["tickets_per_s_end_to_end"] = round(
                    row["requests"] / (row["seconds"] + row["drain_s"]), 1
                )
            results[scenario["name"]] = row
            print(f"{scenario['name']}: {json.dumps(row)}", flush=True)
            if row["cpu_steal_percent"] > STEAL_WARNING_PERCENT:
                print(f"WARNING: the hypervisor took {row['cpu_steal_percent']} % of the CPU "
                      "during this scenario; its figures are not comparable to a quiet run.",
                      flush=True)  # fmt: skip
            time.sleep(1)
    finally:
        for process in (beat, worker, web):
            processes.stop(process)
    calibration["after"] = calibration_ms()

    result = {
        "command": "make bench"
        if options.tickets == 1_000_000
        else f"python bench/load.py --tickets {options.tickets}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "tickets": options.tickets,
        "machine": f"{os.cpu_count()} cores",
        "web_workers": workers,
        "calibration_ms": calibration,
        "connections": options.connections,
        "duration_s": options.duration,
        "warmup_s": options.warmup,
        "scenarios": results,
    }
    if options.only:
        # A partial run must not replace the record of the whole one the README quotes.
        out = processes.ROOT / "var" / "bench" / f"load-{options.tickets}-only.json"
    else:
        out = processes.ROOT / "bench" / "results" / f"load-{options.tickets}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(processes.ROOT)}")
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
