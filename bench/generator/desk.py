"""Tickets: deciding what each one is, then writing it with everything hanging off it.

`Plan` is one ticket before it is written (who wrote, about what, who handles it, and
when); `Fixture` is what the last ticket must look like for the load test; `Counters` hands
out the ids of the rows hanging off tickets. `DeskGenerator` draws each plan (status,
priority, channel, customer, group, assignee, message and comment counts, the context the
texts are filled with, the message times and status moments) and writes it with the text
and row methods of `DeskRows` (bench/generator/desk_rows.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.generator.database import CopyStream
from bench.generator.desk_rows import DeskRows
from bench.generator.distributions import (
    Calendar,
    Timestamps,
    Weighted,
    check_copy_safe,
    status_chooser,
)
from bench.generator.names import (
    CITIES,
    EN_FIRST,
    EN_LAST,
    PRODUCTS,
    PROMO_CODES,
    RU_FEMALE,
    RU_LAST,
    RU_MALE,
)
from bench.generator.people import CustomerProfile, Staff, customer_pools
from bench.generator.phrases_agent import (
    AGENT_CLOSINGS,
    AGENT_FOLLOW_UPS,
    AGENT_GREETINGS,
    ANSWERS,
    COMMENTS,
)
from bench.generator.phrases_customer import (
    CUSTOMER_EXTRAS,
    FOLLOW_UPS,
    GREETINGS,
    PROBLEMS,
    SIGNATURES,
    SUBJECTS,
)
from bench.generator.shape import (
    AGENTS,
    CHANNEL_IDENTITY,
    CHANNELS,
    COMMENTED_SHARE,
    CUSTOMER_REPLY_HOURS,
    GROUPS,
    HISTORY_DAYS,
    MESSAGE_COUNT,
    PRIORITIES,
    REPLY_HOURS,
    TAGS,
    TOPIC_ESCALATION,
    TOPICS,
)


@dataclass(slots=True)
class Fixture:
    """What the last ticket must look like: the load test's known open ticket."""

    group: str = "ru"
    assignee_index: int = 0  # agent01
    messages: int = 5
    comments: int = 3


@dataclass(slots=True)
class Counters:
    message: int = 0
    event: int = 0
    comment: int = 0
    participant: int = 0


@dataclass(slots=True)
class Plan:
    """One ticket before it is written: who wrote, about what, who handles it, and when."""

    id: int
    created: float
    status: str
    priority: int
    channel: str
    customer: CustomerProfile
    topic: str
    group_id: int
    group_name: str
    assignee: int | None
    messages: int
    comments: int
    ctx: dict
    subject: str = ""
    times: list[float] = field(default_factory=list)  # of the messages
    moments: dict[str, float] = field(default_factory=dict)  # status, solved, closed

    @property
    def language(self) -> str:
        return self.customer.language

    @property
    def reply_channel(self) -> str:
        return "email" if self.channel in ("web", "phone") else self.channel

    @property
    def updated(self) -> float:
        return max([self.times[-1], *self.moments.values()])


class DeskGenerator(DeskRows):
    """Writes tickets 1..n, each with its messages, events, comments and participants."""

    def __init__(self, rng, staff: Staff, customers, n: int, now: float) -> None:
        self.rng, self.staff, self.n, self.now = rng, staff, n, now
        self.customers = customers
        self.pools = customer_pools(customers)
        self.calendar = Calendar(now, HISTORY_DAYS)
        self.ts = Timestamps()
        self.status_curves = status_chooser()
        self.priorities, self.channels = Weighted(PRIORITIES), Weighted(CHANNELS)
        self.message_counts = Weighted(MESSAGE_COUNT)
        self.ids = Counters()
        self.fixture: dict = {}
        self._created_json: dict[tuple[str, str], str] = {}
        check_copy_safe([SUBJECTS, PROBLEMS, ANSWERS, GREETINGS, CUSTOMER_EXTRAS, SIGNATURES,
                         FOLLOW_UPS, AGENT_GREETINGS, AGENT_FOLLOW_UPS, AGENT_CLOSINGS, COMMENTS,
                         PRODUCTS, CITIES, RU_MALE, RU_FEMALE, RU_LAST, EN_FIRST, EN_LAST,
                         AGENTS, GROUPS, TAGS])  # fmt: skip

    def ticket(self, i: int, out: dict[str, CopyStream]) -> None:
        """Plan ticket i, then write it and everything hanging off it."""
        plan = self.plan(i, Fixture() if i == self.n else None)
        self.schedule(plan)
        texts = self.write_messages(plan, out)
        comments = self.write_comments(plan, out)
        self.write_events(plan, comments, out)
        self.write_participants(plan, comments, out)
        self.write_ticket(plan, texts, out)
        if i == self.n:
            self.fixture = {
                "ticket_id": i,
                "ticket_number": 999 + i,
                "customer_id": plan.customer.id,
                "group_id": plan.group_id,
            }

    # -- deciding ----------------------------------------------------------------------------

    def plan(self, i: int, fixture: Fixture | None) -> Plan:
        r = self.rng.random
        created = self.calendar.at((i - 1 + r()) / self.n)
        status = "open" if fixture else self.status(i / self.n)
        priority = self.priorities.pick(r())
        channel = self.channels.pick(r())
        customer = self.customer(channel)
        if not customer.first_seen:
            customer.first_seen = created
        topic = TOPICS[int(r() * len(TOPICS))]
        group_key = fixture.group if fixture else self.group_key(customer.language, topic)
        group_id, group_name, members = self.staff.groups[group_key]
        if fixture:
            assignee = self.staff.agent_ids[fixture.assignee_index]
        else:
            assignee = None if status == "new" else members[int(r() * len(members))]
        plan = Plan(
            id=i,
            created=created,
            status=status,
            priority=priority,
            channel=channel,
            customer=customer,
            topic=topic,
            group_id=group_id,
            group_name=group_name,
            assignee=assignee,
            messages=fixture.messages if fixture else self.message_count(status),
            comments=fixture.comments if fixture else self.comment_count(status),
            ctx=self.context(customer, assignee, created),
        )
        plan.subject = self.subject(plan)
        return plan

    def status(self, x: float) -> str:
        """x is the ticket's place in history (1 = newest); unsolved ones are mostly recent."""
        u, cumulative = self.rng.random(), 0.0
        for status, amplitude, width in self.status_curves:
            cumulative += amplitude * math.exp((x - 1) / width)
            if u < cumulative:
                return status
        return "closed"

    def customer(self, channel: str) -> CustomerProfile:
        pool = self.pools[CHANNEL_IDENTITY[channel]]
        u = self.rng.random()
        return pool[int(len(pool) * u * u)]  # a few regulars write far more than most

    def group_key(self, language: str, topic: str) -> str:
        if self.rng.random() < 0.8:
            return language
        return TOPIC_ESCALATION[topic]

    def message_count(self, status: str) -> int:
        """New tickets have only the customer's first message; pending ones wait on the
        customer (the agent wrote last); finished ones had at least one answer."""
        count = self.message_counts.pick(self.rng.random())
        if status == "new":
            return 1
        if status == "pending" and count % 2:
            return count + 1 if count < 6 else count - 1
        if status in ("on_hold", "solved", "closed"):
            return max(count, 2)
        return count

    def comment_count(self, status: str) -> int:
        if status == "new" or self.rng.random() >= COMMENTED_SHARE:
            return 0
        return 1 + int(self.rng.random() * 3)

    def tags(self, topic: str) -> str:
        r = self.rng.random
        tags = [topic] if r() < 0.7 else []
        for _ in range(int(r() * 3)):
            tag = TAGS[int(r() * len(TAGS))]
            if tag not in tags and len(tags) < 3:
                tags.append(tag)
        return "{" + ",".join(tags) + "}"

    def context(self, customer: CustomerProfile, agent_id: int | None, created: float) -> dict:
        """The numbers and names this ticket's texts are filled with."""
        r, language = self.rng.random, customer.language
        day = datetime.fromtimestamp(created + r() * 10 * 86400, UTC)
        if language == "ru":
            amount = f"{int(r() * 300) * 50 + 290:,}".replace(",", " ")
        else:
            amount = f"{int(r() * 60) * 5 + 9}"
        return {
            "order": 100000 + int(r() * 900000),
            "product": PRODUCTS[language][int(r() * len(PRODUCTS[language]))],
            "amount": amount,
            "date": f"{day.day:02d}.{day.month:02d}",
            "city": CITIES[language][int(r() * len(CITIES[language]))],
            "days": 2 + int(r() * 12),
            "code": PROMO_CODES[int(r() * len(PROMO_CODES))],
            "percent": (5, 10, 15, 20, 30)[int(r() * 5)],
            "points": 100 + int(r() * 50) * 20,
            "invoice": f"INV-{day.year}-{int(r() * 100000):05d}",
            "track": f"{int(r() * 10**9):09d}",
            "phone": f"+7 9{int(r() * 100):02d} {int(r() * 1000):03d}-{int(r() * 100):02d}-11",
            "attempts": 3 + int(r() * 5),
            "n": 2 + int(r() * 4),
            "first": customer.first,
            "name": customer.name,
            "agent": self.staff.first_names.get(agent_id, ""),
        }

    def schedule(self, plan: Plan) -> None:
        """Message times and status moments: replies after gaps that depend on the priority,
        then the status change; squeezed into what is left until now for the newest tickets."""
        expo = self.rng.expovariate
        reply_mean = REPLY_HOURS[plan.priority] * 3600
        offsets, at = [0.0], 0.0
        for j in range(1, plan.messages):
            at += 120 + expo(1 / (reply_mean if j % 2 else CUSTOMER_REPLY_HOURS * 3600))
            offsets.append(at)
        tail = self.status_offsets(plan.status, offsets)
        last = max(at, *tail.values()) if tail else at
        room = (self.now - plan.created) * 0.95
        scale = room / last if last > room else 1.0
        plan.times = [plan.created + o * scale for o in offsets]
        plan.moments = {key: plan.created + o * scale for key, o in tail.items()}

    def status_offsets(self, status: str, offsets: list[float]) -> dict[str, float]:
        """When the ticket reached its status, relative to its creation."""
        expo, last = self.rng.expovariate, offsets[-1]
        if status == "new":
            return {}
        if status == "open":
            # Opened by the first answer, or by an agent taking the ticket before answering.
            return {"status": offsets[1] if len(offsets) > 1 else 300 + expo(1 / 1800)}
        if status in ("pending", "on_hold"):
            return {"status": last + 60 + expo(1 / 3600)}
        solved = last + 300 + expo(1 / (6 * 3600))
        if status == "solved":
            return {"status": solved, "solved": solved}
        if self.rng.random() < 0.1:  # closed straight away: spam, duplicates
            return {"status": solved, "closed": solved}
        closed = solved + (2 + 5 * self.rng.random()) * 86400  # auto-closed after a few days
        return {"status": closed, "solved": solved, "closed": closed}
