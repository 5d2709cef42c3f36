"""The workspace websocket: pushes ticket events to staff who may see them."""

from __future__ import annotations

from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.models import User
from helpdesk.realtime import AGENTS_GROUP, RealtimeEvent, send, ticket_group, user_group
from tickets import permissions, selectors
from tickets.models import Ticket
from tickets.permissions import Action

UNAUTHENTICATED = 4401
RECENT_EVENTS = 256


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHENTICATED)
            return
        self.user = user
        self.joined: set[str] = set()
        self.recent: deque[str] = deque(maxlen=RECENT_EVENTS)
        await self._join(user_group(user.pk))
        if user.is_agent:
            await self._join(AGENTS_GROUP)
        await self.accept()

    async def disconnect(self, code):
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    async def receive_json(self, content, **kwargs):
        action = content.get("action") if isinstance(content, dict) else None
        if action == "watch":
            ticket_id = await self._viewable_ticket_id(content.get("number"))
            if ticket_id is None:
                await self.send_json({"type": "error", "message": "No such ticket you can see."})
                return
            await self._join(ticket_group(ticket_id))
            await self.send_json({"type": "watching", "ticket_id": ticket_id})
        elif action == "presence":
            await self._presence(content)
        elif action == "unwatch":
            ticket_id = content.get("ticket_id")
            group = ticket_group(ticket_id) if isinstance(ticket_id, int) else None
            if group in self.joined:
                await self.channel_layer.group_discard(group, self.channel_name)
                self.joined.discard(group)
        else:
            await self.send_json({"type": "error", "message": "Unknown action."})

    async def _presence(self, content) -> None:
        """ "Anna is viewing" / "Anna is writing": relayed to the ticket's group, where every
        receiver's socket checks again that its user may see the ticket."""
        state = content.get("state")
        if state not in ("viewing", "typing"):
            return
        ticket_id = await self._viewable_ticket_id(content.get("number"))
        if ticket_id is None:
            return
        event = RealtimeEvent(
            "presence",
            ticket_id,
            {"user_id": self.user.pk, "name": self.user.get_short_name(), "state": state},
            to_agents=False,
        )
        await send(event)

    async def realtime_event(self, message):
        event = message["event"]
        if event["id"] in self.recent:
            return
        self.recent.append(event["id"])
        if await self._may_receive(event):
            await self.send_json(
                {"type": event["type"], "ticket_id": event["ticket_id"], **event["payload"]}
            )

    def _current_user(self) -> User | None:
        """The user as they are now: a socket lives for hours, and a role, a group, an
        involvement or the account itself may change meanwhile."""
        return User.objects.filter(pk=self.user.pk, is_active=True).first()

    @database_sync_to_async
    def _viewable_ticket_id(self, number) -> int | None:
        if not isinstance(number, int) or isinstance(number, bool):
            return None
        ticket = selectors.ticket_visible(user=self._current_user(), number=number)
        return None if ticket is None else ticket.pk

    @database_sync_to_async
    def _may_receive(self, event) -> bool:
        """Every event is re-checked against the permission module before it leaves."""
        user = self._current_user()
        if user is None:
            return False
        if event["ticket_id"] is None:
            return user.pk in event["user_ids"]
        ticket = Ticket.objects.defer("search_vector").filter(pk=event["ticket_id"]).first()
        if ticket is None:
            return False
        action = Action.VIEW_INTERNAL if event["internal"] else Action.VIEW
        return permissions.can(user, action, ticket)
