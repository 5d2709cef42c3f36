"""Which server the pages and the API run under: CPU per request, side by side.

    .venv/bin/python bench/serving.py [--seconds 10] [--rounds 3]

Starts, against the `helpdesk_bench` database (`make bench` fills it), the web command of
`make run` (granian, WSGI) and the ASGI application under uvicorn as it was served before
2026-11-30 (HTTP through the a2wsgi bridge), with the same number of processes, plus the
Celery worker that turns web-form submissions into tickets. Then, for each scenario, runs wrk
against one server and then the other, `--rounds` times, and reads how much CPU the server's
processes (and PostgreSQL) used per request. CPU per request is the figure to compare: this
machine's speed changes from minute to minute (other guests), requests per second with it.
Writes bench/results/serving-<date>.json.
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

from bench import load, processes

SCENARIOS = [
    ("ticket list (API)", "/api/v1/tickets/?status=open", "get.lua"),
    ("create ticket (API)", "/api/v1/tickets/", "create_api.lua"),
    ("create ticket (web form)", "/api/v1/public/tickets/", "create_webform.lua"),
]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def group_pids(leader: int) -> set[int]:
    """The processes of a server's session (its workers included)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == leader:
                found.add(int(entry.name))
    return found


def postgres_pids() -> set[int]:
    return {
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and (p / "comm").exists() and _comm(p).startswith("postgres")
    }


def _comm(path: Path) -> str:
    try:
        return (path / "comm").read_text()
    except OSError:
        return ""


def measure(url: str, lua: str, seconds: int, env: dict, leader: int) -> dict:
    load.wrk(url, lua, 2, env, 4)  # warm-up
    server, database = group_pids(leader), postgres_pids()
    before = cpu_seconds(server), cpu_seconds(database)
    row = load.wrk(url, lua, seconds, env, 4)
    after = cpu_seconds(server), cpu_seconds(database)
    n = max(row["requests"], 1)
    return {
        "rps": row["rps"],
        "p95_ms": row["p95_ms"],
        "web_cpu_ms_per_request": round(1000 * (after[0] - before[0]) / n, 2),
        "postgres_cpu_ms_per_request": round(1000 * (after[1] - before[1]) / n, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=load.DATABASE)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    env = load.configure(options)
    import django

    django.setup()
    from django.db import connection

    fx = load.fixtures()
    env["BENCH_TOKEN"], env["BENCH_CUSTOMERS"] = fx["token"], str(fx["customers"])
    connection.close()
    log_dir = processes.ROOT / "var" / "bench" / "serving"
    workers = int(os.environ.get("WEB_CONCURRENCY") or load.default_web_concurrency())
    ports = {
        "granian (WSGI)": processes.free_port(),
        "uvicorn (ASGI, a2wsgi)": processes.free_port(),
    }
    servers = {
        "granian (WSGI)": processes.web(env, ports["granian (WSGI)"], log_dir, workers=workers),
        "uvicorn (ASGI, a2wsgi)": processes.start("uvicorn", [
            processes.PYTHON, "-m", "uvicorn", "helpdesk.asgi:application", "--host",
            "127.0.0.1", "--port", str(ports["uvicorn (ASGI, a2wsgi)"]), "--workers",
            str(workers), "--no-access-log", "--lifespan", "off",
        ], env, log_dir),
    }  # fmt: skip
    worker = processes.worker(env, log_dir)
    results: dict[str, dict[str, list[dict]]] = {}
    try:
        for port in ports.values():
            processes.wait_for_port(port)
        time.sleep(5)
        for name, path, lua in SCENARIOS:
            for _ in range(options.rounds):
                for server, process in servers.items():
                    url = f"http://127.0.0.1:{ports[server]}{path}"
                    row = measure(url, lua, options.seconds, env, process.pid)
                    results.setdefault(name, {}).setdefault(server, []).append(row)
                    print(f"{name} | {server}: {json.dumps(row)}", flush=True)
                    load.settle(120, outbound=False)
    finally:
        for process in (worker, *servers.values()):
            processes.stop(process)
    summary = {
        name: {
            server: {
                key: statistics.median(r[key] for r in rows)
                for key in ("web_cpu_ms_per_request", "postgres_cpu_ms_per_request", "rps")
            }
            for server, rows in by_server.items()
        }
        for name, by_server in results.items()
    }
    day = datetime.now(UTC).date().isoformat()
    out = processes.ROOT / "bench" / "results" / f"serving-{day}.json"
    result = {
        "command": "python bench/serving.py",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores",
        "web_workers": workers,
        "calibration_ms": load.calibration_ms(),
        "medians": summary,
        "runs": results,
    }
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(processes.ROOT)}")
    for name, by_server in summary.items():
        for server, row in by_server.items():
            web, database = row["web_cpu_ms_per_request"], row["postgres_cpu_ms_per_request"]
            print(f"{name:26} {server:24} web {web:5.2f} ms/request, "
                  f"PostgreSQL {database:5.2f}, {row['rps']:6.1f}/s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
