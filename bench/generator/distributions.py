"""Turning uniform random numbers into the desk's draws, and other small helpers.

`Weighted` picks from weighted pairs, `Calendar` spreads ticket creation over the history with
the daily and weekly rhythm and growth, `status_chooser` makes unsolved statuses mostly
recent, `Timestamps` spells epoch seconds as COPY timestamptz text (cached), and
`check_copy_safe` verifies that the phrase tables need no COPY escaping.
"""

from __future__ import annotations

import bisect
import math
from datetime import UTC, datetime

from bench.generator.shape import DAY_WEIGHTS, HOUR_WEIGHTS, MOSCOW_OFFSET, STATUS_CURVES


class Weighted:
    """Pick from (value, weight) pairs with one uniform number."""

    def __init__(self, pairs) -> None:
        self.values = [value for value, _ in pairs]
        total, self.bounds = 0.0, []
        for _, weight in pairs:
            total += weight
            self.bounds.append(total)
        self.total = total

    def pick(self, u: float):
        return self.values[bisect.bisect_right(self.bounds, u * self.total)]


class Timestamps:
    """Epoch seconds -> COPY text for timestamptz, with per-day and per-second caches
    (tens of millions of timestamps would otherwise cost a minute of strftime)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400)]

    def __call__(self, ts: float) -> str:
        day, second = divmod(int(ts), 86400)
        text = self._days.get(day)
        if text is None:
            text = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
            self._days[day] = text
        return text + self._clock[second]


class Calendar:
    """When tickets arrive: over the last two years, on weekday afternoons (Moscow time) more
    than at night or at weekends, and more each month as the shop grows."""

    def __init__(self, now: float, days: int) -> None:
        self.start = (now - days * 86400) // 3600 * 3600
        hours = int((now - self.start) // 3600)
        self.bounds: list[float] = []
        total = 0.0
        for hour in range(hours):
            local = int(self.start) + hour * 3600 + MOSCOW_OFFSET
            total += (
                HOUR_WEIGHTS[local // 3600 % 24]
                * DAY_WEIGHTS[(local // 86400 + 3) % 7]  # 1970-01-01 was a Thursday
                * (0.7 + 0.6 * hour / hours)
            )
            self.bounds.append(total)
        self.total = total

    def at(self, q: float) -> float:
        """The time below which a share q (0..1) of all tickets were created; rising with q."""
        target = q * self.total
        hour = min(bisect.bisect_right(self.bounds, target), len(self.bounds) - 1)
        before = self.bounds[hour - 1] if hour else 0.0
        within = (target - before) / (self.bounds[hour] - before)
        return self.start + (hour + min(within, 1.0)) * 3600


def status_chooser() -> list[tuple[str, float, float]]:
    """(status, amplitude, width) so that amplitude * exp(-(1 - x) / width) integrates to the
    status's share over x in 0..1 (x is the ticket's place in history, 1 = newest)."""
    return [
        (status, share / (width * (1 - math.exp(-1 / width))), width)
        for status, share, width in STATUS_CURVES
    ]


def check_copy_safe(words) -> None:
    """Phrases go into COPY rows unescaped (fast); make sure none needs escaping."""
    if isinstance(words, str):
        if any(c in words for c in "\t\n\r\\"):
            raise ValueError(f"Phrase needs COPY escaping: {words!r}")
    elif isinstance(words, (list, tuple, dict)):
        for item in words.values() if isinstance(words, dict) else words:
            check_copy_safe(item)
