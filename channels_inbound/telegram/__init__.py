"""Telegram: a bot per record (channels_inbound.models_telegram), updates through the webhook
into the raw inbox, the receiver turning them into messages, the Bot API client."""
