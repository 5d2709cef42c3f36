from tickets.models.customers import Channel, Customer, CustomerIdentity, IdentityKind
from tickets.models.events import EventKind, TicketEvent
from tickets.models.groups import Group
from tickets.models.messages import Attachment, DeliveryStatus, Direction, Message
from tickets.models.tickets import (
    OPEN_STATUSES,
    Priority,
    Status,
    Ticket,
    TicketParticipant,
)
from tickets.models.workspace import CannedResponse, SavedFilter

__all__ = [
    "OPEN_STATUSES",
    "Attachment",
    "CannedResponse",
    "Channel",
    "Customer",
    "CustomerIdentity",
    "DeliveryStatus",
    "Direction",
    "EventKind",
    "Group",
    "IdentityKind",
    "Message",
    "Priority",
    "SavedFilter",
    "Status",
    "Ticket",
    "TicketEvent",
    "TicketParticipant",
]
