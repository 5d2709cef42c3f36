"""Run web, worker and beat in the foreground with prefixed output; stop them together."""

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from scripts.devrun.common import (
    CELERY_QUEUES,
    COLOURS,
    PYTHON,
    ROOT,
    STOP_SIGNALS,
    STOP_TIMEOUT,
    VAR,
    Options,
)

# --- Running the children -----------------------------------------------------------------------


BACKGROUND = ("nice", "-n", "10") if shutil.which("nice") else ()


def child_commands(options: Options) -> dict[str, list[str]]:
    return {
        # Pages and API: synchronous Django on granian's threads, no event loop in between.
        "web": [
            *(PYTHON, "-m", "granian", "--interface", "wsgi", "helpdesk.wsgi:application"),
            *("--host", options.host, "--port", str(options.port), "--no-ws"),
            *("--workers", str(options.web_concurrency), "--blocking-threads", "1"),
        ],
        # Websockets: the Channels consumers, asynchronous, under uvicorn.
        "realtime": [
            *(PYTHON, "-m", "uvicorn", "helpdesk.asgi:application"),
            *("--host", options.host, "--port", str(options.realtime_port), "--proxy-headers"),
            *("--workers", "1", "--no-access-log", "--lifespan", "off"),
        ],
        # Background work yields the CPU to people: a flood of inbound mail slows the worker,
        # never the pages agents are waiting on.
        "worker": [
            *BACKGROUND,
            *(PYTHON, "-m", "celery", "-A", "helpdesk", "worker", "-l", "info"),
            *("-Q", CELERY_QUEUES, "--concurrency", str(options.celery_concurrency)),
        ],
        "beat": [
            *(PYTHON, "-m", "celery", "-A", "helpdesk", "beat", "-l", "info"),
            *("--schedule", str(VAR / "celerybeat-schedule")),
        ],
    }


def describe_exit(returncode: int) -> str:
    if returncode >= 0:
        return f"exited with code {returncode}"
    try:
        return f"was killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"was killed by signal {-returncode}"


def exit_status(returncode: int) -> int:
    """Our exit status when a child stopped on its own: never 0, since that is a failure."""
    if returncode < 0:
        return 128 - returncode
    return returncode or 1


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    pending: bytes = b""  # output after the last newline
    open: bool = True  # whether its output pipe is still open


@dataclass
class Supervisor:
    """Runs children in the foreground with prefixed output and stops them all together."""

    colour: bool
    children: list[Child] = field(default_factory=list)
    signals: int = 0  # SIGINT, SIGTERM and SIGHUP received so far
    width: int = 6
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def run(self, commands: dict[str, list[str]], environ: dict[str, str]) -> int:
        """Start the commands and wait; return 0 after a signal, else the failed child's status."""
        for signum in STOP_SIGNALS:  # before starting anything, so that no child is left behind
            signal.signal(signum, self._on_signal)
        self.width = max(len(name) for name in [*commands, "run"])
        for name, command in commands.items():
            self._start(name, command, environ)
        exited = self._wait_for_first_exit()
        if exited is None:
            self.announce("stopping (press Ctrl-C again to kill at once)")
            status = 0
        else:
            self._drain(timeout=0.5)  # show its last words before saying it has gone
            returncode = exited.process.returncode
            self.announce(f"{exited.name} {describe_exit(returncode)}; stopping the others")
            status = exit_status(returncode)
        self.stop()
        return status

    def stop(self) -> None:
        """SIGTERM every child's process group, wait up to STOP_TIMEOUT, then SIGKILL them.

        A further signal while waiting kills at once."""
        signals_before = self.signals
        self._signal_groups(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._alive() and time.monotonic() < deadline and self.signals == signals_before:
            self._pump(timeout=0.1)
        for child in self._alive():
            self.announce(f"killing {child.name}")
        self._signal_groups(signal.SIGKILL)  # also whatever a child left behind in its group
        for child in self.children:
            child.process.wait()
        self._drain(timeout=1.0)

    def announce(self, message: str) -> None:
        self._write("run", message.encode())
        sys.stdout.flush()

    def _on_signal(self, _signum: int, _frame: object) -> None:
        self.signals += 1

    def _start(self, name: str, command: list[str], environ: dict[str, str]) -> None:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,  # our own signals decide when it stops, not the terminal's
        )
        child = Child(name, process)
        self.children.append(child)
        self.selector.register(process.stdout, selectors.EVENT_READ, child)

    def _wait_for_first_exit(self) -> Child | None:
        while self.signals == 0:
            for child in self.children:
                if child.process.poll() is not None:
                    return child
            self._pump(timeout=0.2)
        return None

    def _alive(self) -> list[Child]:
        return [child for child in self.children if child.process.poll() is None]

    def _signal_groups(self, signum: signal.Signals) -> None:
        for child in self.children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.process.pid, signum)

    def _pump(self, timeout: float) -> None:
        """Copy whatever output is ready to our stdout, waiting at most `timeout` seconds."""
        if not any(child.open for child in self.children):
            time.sleep(timeout)
            return
        for key, _events in self.selector.select(timeout):
            child: Child = key.data
            data = os.read(key.fd, 65536)
            if data:
                *lines, child.pending = (child.pending + data).split(b"\n")
                for line in lines:
                    self._write(child.name, line)
            else:
                self._close(child)
        sys.stdout.flush()

    def _drain(self, timeout: float) -> None:
        """Copy the output of exited children until their pipes close (or `timeout` passes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            child.open and child.process.poll() is not None for child in self.children
        ):
            self._pump(timeout=0.05)

    def _close(self, child: Child) -> None:
        self.selector.unregister(child.process.stdout)
        child.process.stdout.close()
        child.open = False
        if child.pending:
            self._write(child.name, child.pending)
            child.pending = b""

    def _write(self, name: str, line: bytes) -> None:
        label = f"{name:<{self.width}} |"
        if self.colour:
            label = f"\033[{COLOURS.get(name, '0')}m{label}\033[0m"
        sys.stdout.buffer.write(label.encode() + b" " + line.rstrip(b"\r") + b"\n")


def use_colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
