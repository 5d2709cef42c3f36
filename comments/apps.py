from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = _("Internal comments")

    def ready(self) -> None:
        from comments import subscribers
        from tickets import hooks

        hooks.subscribe_ticket_events(subscribers.on_ticket_event)
        hooks.add_timeline_source(subscribers.comment_timeline)
