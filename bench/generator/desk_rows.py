"""The text and the COPY rows of a planned ticket: the writing half of `DeskGenerator`.

`DeskRows` is mixed into `DeskGenerator` (bench/generator/desk.py) and uses its state: the
random generator, the staff, the customers, the calendar, the timestamp speller and the id
counters. It builds the subject and the customers' and agents' messages from the phrases,
and writes the staging ticket row (with the text its search vector is made of), the
messages, internal comments, events and participants of each ticket, and at the end the
customers and their identities (their first ticket dates them).
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

from bench.generator.database import CopyStream
from bench.generator.distributions import Calendar, Timestamps
from bench.generator.people import CustomerProfile, Staff
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
from bench.generator.shape import TOPICS
from bench.generator.tables import NL, NULL, STAGING

if TYPE_CHECKING:
    from bench.generator.desk import Counters, Plan


class DeskRows:
    """Subjects, message texts and the rows of each ticket; see `DeskGenerator`."""

    # Set by DeskGenerator.__init__ (which also supplies `tags`, a draw like its others).
    rng: random.Random
    staff: Staff
    customers: list[CustomerProfile]
    calendar: Calendar
    ts: Timestamps
    ids: Counters
    _created_json: dict[tuple[str, str], str]

    # -- text --------------------------------------------------------------------------------

    def pick(self, options):
        return options[int(self.rng.random() * len(options))]

    def subject(self, plan: Plan) -> str:
        subject = self.pick(SUBJECTS[plan.language][plan.topic]).format_map(plan.ctx)
        if plan.priority == 4 and self.rng.random() < 0.5:
            return ("СРОЧНО: " if plan.language == "ru" else "URGENT: ") + subject
        return subject

    def customer_text(self, plan: Plan, turn: str) -> str:
        pick, language = self.pick, plan.language
        if turn != "first":
            return pick(FOLLOW_UPS[turn][language]).format_map(plan.ctx)
        parts = [pick(GREETINGS[language]), pick(PROBLEMS[language][plan.topic])]
        if self.rng.random() < 0.6:
            parts.append(pick(CUSTOMER_EXTRAS[language]))
        if self.rng.random() < 0.3:
            parts.append(pick(PROBLEMS[language][pick(TOPICS)]))  # and another thing...
        parts.append(pick(SIGNATURES[language]))
        return NL.join(parts).format_map(plan.ctx)

    def agent_text(self, plan: Plan, turn: str) -> str:
        pick, language = self.pick, plan.language
        if turn == "first":
            body = pick(ANSWERS[language][plan.topic])
        else:
            body = pick(AGENT_FOLLOW_UPS[turn][language])
        parts = (pick(AGENT_GREETINGS[language]), body, pick(AGENT_CLOSINGS[language]))
        return NL.join(parts).format_map(plan.ctx)

    # -- writing -----------------------------------------------------------------------------

    def write_ticket(self, plan: Plan, texts: list[str], out: dict[str, CopyStream]) -> None:
        """The staging row: the ticket plus the text its search vector is made of."""
        ts, count, moments = self.ts, plan.messages, plan.moments
        first_response = ts(plan.times[1]) if count > 1 else NULL
        last_inbound = ts(plan.times[(count - 1) // 2 * 2])  # inbound: the even places
        solved = ts(moments["solved"]) if "solved" in moments else NULL
        closed = ts(moments["closed"]) if "closed" in moments else NULL
        body = NL.join([plan.subject, plan.customer.search_text, *texts])
        out[STAGING].add(
            f"{plan.id}\t{999 + plan.id}\t{plan.subject}\t{plan.status}\t{plan.priority}\t"
            f"{plan.channel}\t{plan.customer.id}\t{plan.assignee or NULL}\t{plan.group_id}\t"
            f"{self.tags(plan.topic)}\t{ts(plan.created)}\t{ts(plan.updated)}\t"
            f"{first_response}\t{last_inbound}\t{solved}\t{closed}\t{body}\n"
        )

    def write_messages(self, plan: Plan, out: dict[str, CopyStream]) -> list[str]:
        """Inbound and outbound in turn; replies to web and phone tickets go out by email.
        A resolved ticket's conversation ends on thanks; before that it is still going."""
        ts, ids, add = self.ts, self.ids, out["tickets_message"].add
        resolved = plan.status in ("solved", "closed")
        channel, final, texts = plan.channel, len(plan.times) - 1, []
        for j, at in enumerate(plan.times):
            ids.message += 1
            mid = ids.message
            if j < 2:
                turn = "first"
            elif resolved and (j == final or (j == final - 1 and j % 2 == 0)):
                turn = "done"  # the customer's thanks, then maybe the agent's "glad to help"
            else:
                turn = "ongoing"
            if j % 2 == 0:
                text = self.customer_text(plan, turn)
                if channel == "email":
                    external = f"<{mid}.{plan.id}@mail.example>"
                else:
                    external = f"{channel}:{mid}" if channel in ("telegram", "viber") else ""
                add(
                    f"{mid}\t{plan.id}\tin\t{channel}\t{plan.customer.id}\t{NULL}\t\t{text}\t\t\t"
                    f"{external}\treceived\t\tf\t{ts(at)}\n"
                )
            else:
                text = self.agent_text(plan, turn)
                add(
                    f"{mid}\t{plan.id}\tout\t{plan.reply_channel}\t{NULL}\t{plan.assignee}\t\t"
                    f"{text}\t\t\t\tsent\t\tf\t{ts(at)}\n"
                )
            texts.append(text)
        return texts

    def write_comments(self, plan: Plan, out: dict[str, CopyStream]) -> list[tuple]:
        """Internal comments between creation and the last activity, by agents and by
        internal staff; returns (author, comment id, time) for events and participants."""
        r, staff, ts = self.rng.random, self.staff, self.ts
        add = out["comments_internalcomment"].add
        start, end, made = plan.created, plan.updated, []
        for k in range(plan.comments):
            self.ids.comment += 1
            people = staff.internal_ids if r() < 0.4 else staff.agent_ids
            author = people[int(r() * len(people))]
            at = start + (end - start) * (k + r()) / plan.comments
            text = self.pick(COMMENTS[plan.language]).format_map(plan.ctx)
            add(f"{self.ids.comment}\t{plan.id}\t{author}\t{text}\t{ts(at)}\n")
            made.append((author, self.ids.comment, at))
        return made

    def write_events(self, plan: Plan, comments: list[tuple], out) -> None:
        """`created`, a `replied` per answer, the last status change, a `commented` each."""
        ts, ids, add, tid = self.ts, self.ids, out["tickets_ticketevent"].add, plan.id
        ids.event += 1
        add(
            f"{ids.event}\t{tid}\tcreated\t{NULL}\t{plan.customer.id}\t{NULL}\t"
            f"{self.created_json(plan)}\t\t{ts(plan.created)}\n"
        )
        first_message = ids.message - len(plan.times) + 1
        for j in range(1, len(plan.times), 2):
            ids.event += 1
            new = f'{{"message_id": {first_message + j}, "channel": "{plan.reply_channel}"}}'
            add(
                f"{ids.event}\t{tid}\treplied\t{plan.assignee}\t{NULL}\t{NULL}\t{new}\t\t"
                f"{ts(plan.times[j])}\n"
            )
        if "status" in plan.moments:
            old, actor = "open", plan.assignee
            if plan.status == "open":
                old = "new"
            elif plan.status == "closed" and "solved" in plan.moments:
                old, actor = "solved", NULL  # closed by the system after a few quiet days
            ids.event += 1
            add(
                f'{ids.event}\t{tid}\tstatus\t{actor}\t{NULL}\t"{old}"\t"{plan.status}"\t\t'
                f"{ts(plan.moments['status'])}\n"
            )
        for author, comment_id, at in comments:
            ids.event += 1
            new = f'{{"comment_id": {comment_id}, "mentions": []}}'
            add(f"{ids.event}\t{tid}\tcommented\t{author}\t{NULL}\t{NULL}\t{new}\t\t{ts(at)}\n")

    def created_json(self, plan: Plan) -> str:
        key = (plan.channel, plan.group_name)
        text = self._created_json.get(key)
        if text is None:
            text = json.dumps(
                {
                    "channel": plan.channel,
                    "group": plan.group_name,
                    "owner": None,
                    "follow_up_of": None,
                },
                ensure_ascii=False,
            )
            self._created_json[key] = text
        return text

    def write_participants(self, plan: Plan, comments: list[tuple], out) -> None:
        """The owner, and whoever commented: who may see the ticket among internal staff."""
        ts, ids, add = self.ts, self.ids, out["tickets_ticketparticipant"].add
        seen = set()
        if plan.assignee:
            seen.add(plan.assignee)
            ids.participant += 1
            add(f"{ids.participant}\t{plan.id}\t{plan.assignee}\towner\t{ts(plan.created)}\n")
        for author, _, at in comments:
            if author not in seen:
                seen.add(author)
                ids.participant += 1
                add(f"{ids.participant}\t{plan.id}\t{author}\tcommented\t{ts(at)}\n")

    # -- customers, after the tickets (their first ticket dates them) ------------------------

    def customer_rows(self, out: dict[str, CopyStream]) -> None:
        ts, r = self.ts, self.rng.random
        identity_id = 0
        for c in self.customers:
            born = c.first_seen - 60 if c.first_seen else self.calendar.at(r())
            out["tickets_customer"].add(
                f"{c.id}\t{c.name}\t{c.language}\t\t{NULL}\t{ts(born)}\t{ts(born)}\n"
            )
            for kind, value, display in c.identities:
                identity_id += 1
                out["tickets_customeridentity"].add(
                    f"{identity_id}\t{c.id}\t{kind}\t{value}\t{display}\tt\t{ts(born)}\n"
                )
