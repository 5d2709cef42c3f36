from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsInboundConfig(AppConfig):
    name = "channels_inbound"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels_inbound import adapters, outbox, selectors  # noqa: F401 - its signals
        from tickets import hooks

        adapters.register_builtin()
        hooks.set_outbound_router(outbox.OutboxRouter())
