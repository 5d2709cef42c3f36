"""Viber: a bot (a Viber "bot account") per record; its webhook stores every callback raw in
the inbox, the adapter turns messages into ticket messages and receipts into delivery states,
and replies go out with `send_message` through the outbox."""
