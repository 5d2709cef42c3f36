"""Everything that changes tickets and customers. Views, API views and tasks call these."""

from tickets.services.assignment import ticket_assign, ticket_hand_back, ticket_hand_off
from tickets.services.attachments import NewAttachment
from tickets.services.creation import CreatedTicket, CustomerSpec, ticket_create
from tickets.services.customers import (
    customer_find_or_create,
    customer_merge,
    customer_update,
    identity_add,
)
from tickets.services.ingest import IngestResult, ticket_ingest
from tickets.services.merge import ticket_merge
from tickets.services.properties import (
    ticket_set_priority,
    ticket_set_status,
    ticket_set_subject,
    ticket_set_tags,
)
from tickets.services.reply import (
    message_set_delivery_status,
    messages_failed_by_report,
    messages_set_delivery_status,
    ticket_auto_reply,
    ticket_reply,
)

__all__ = [
    "CreatedTicket",
    "CustomerSpec",
    "IngestResult",
    "NewAttachment",
    "customer_find_or_create",
    "customer_merge",
    "customer_update",
    "identity_add",
    "message_set_delivery_status",
    "messages_failed_by_report",
    "messages_set_delivery_status",
    "ticket_assign",
    "ticket_auto_reply",
    "ticket_create",
    "ticket_hand_back",
    "ticket_hand_off",
    "ticket_ingest",
    "ticket_merge",
    "ticket_reply",
    "ticket_set_priority",
    "ticket_set_status",
    "ticket_set_subject",
    "ticket_set_tags",
]
