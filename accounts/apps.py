from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from rest_framework.authtoken.models import Token

        from accounts.authentication import forget_tokens

        for model in (self.get_model("User"), Token):
            post_save.connect(forget_tokens, sender=model, dispatch_uid=f"forget-{model}")
            post_delete.connect(forget_tokens, sender=model, dispatch_uid=f"forget-{model}-d")
