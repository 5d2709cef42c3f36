"""The tables the generator fills, and how their rows are spelled for COPY.

Which tables are loaded (and so stripped of indexes and foreign keys before, and have their
sequences moved after), roughly how many rows each gets per ticket (to build the biggest
indexes first), the unlogged staging table tickets go through on their way to their search
vector, the columns each COPY stream writes, and the two COPY text-format escapes (NULL and
a newline inside a field) the row writers use.
"""

from __future__ import annotations

NULL = "\\N"
NL = "\\n"  # a newline inside a COPY text-format field

LOADED_TABLES = (
    "tickets_customer",
    "tickets_customeridentity",
    "tickets_ticket",
    "tickets_message",
    "tickets_ticketevent",
    "tickets_ticketparticipant",
    "comments_internalcomment",
)
# Roughly, for scheduling the index builds longest first.
ROWS_PER_TICKET = {"tickets_ticketevent": 3.5, "tickets_message": 3.1,
                   "tickets_ticketparticipant": 1.2, "tickets_ticket": 1.0,
                   "comments_internalcomment": 0.2}  # fmt: skip
STAGING = "bench_ticket_staging"
TICKET_COLUMNS = (
    "id", "number", "subject", "status", "priority", "channel", "customer_id", "assignee_id",
    "group_id", "tags", "created_at", "updated_at", "first_response_at",
    "last_customer_message_at", "solved_at", "closed_at",
)  # fmt: skip
COPY_COLUMNS = {
    STAGING: (*TICKET_COLUMNS, "body"),
    "tickets_message": (
        "id", "ticket_id", "direction", "channel", "author_customer_id", "author_user_id",
        "sender_address", "text", "html", "quoted_text", "external_id", "delivery_status",
        "delivery_error", "is_auto_generated", "created_at",
    ),
    "tickets_ticketevent": (
        "id", "ticket_id", "kind", "actor_id", "actor_customer_id", "old", "new", "note",
        "created_at",
    ),
    "comments_internalcomment": ("id", "ticket_id", "author_id", "text", "created_at"),
    "tickets_ticketparticipant": ("id", "ticket_id", "user_id", "reason", "created_at"),
    "tickets_customer": (
        "id", "name", "language", "notes", "merged_into_id", "created_at", "updated_at",
    ),
    "tickets_customeridentity": (
        "id", "customer_id", "kind", "value", "display", "is_reachable", "created_at",
    ),
}  # fmt: skip
