from django import forms
from django.contrib import admin, messages
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels_inbound.viber import connect
from channels_inbound.viber.models import ViberBot
from helpdesk.errors import ApplicationError


class ViberBotForm(forms.ModelForm):
    token = forms.CharField(
        label=_("token"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("The bot's authentication token from the Viber admin panel. Leave empty "
                    "to keep the current one."),
    )  # fmt: skip
    avatar = forms.URLField(label=_("avatar URL"), required=False, assume_scheme="https")

    class Meta:
        model = ViberBot
        fields = ["name", "avatar", "group", "is_active", "greeting_en", "greeting_ru",
                  "acknowledgement_en", "acknowledgement_ru"]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("token") and not self.instance.token_encrypted:
            self.add_error("token", _("A new bot needs its token."))
        return cleaned

    def save(self, commit=True):
        bot = super().save(commit=False)
        if self.cleaned_data.get("token"):
            bot.token = self.cleaned_data["token"].strip()
        if commit:
            bot.save()
        return bot


@admin.register(ViberBot)
class ViberBotAdmin(admin.ModelAdmin):
    form = ViberBotForm
    list_display = ("name", "group", "is_active", "webhook_path")
    list_filter = ("is_active",)
    readonly_fields = ("webhook_path", "viber_account", "our_side")
    actions = ["set_webhook"]
    fieldsets = (
        (None, {"fields": ("name", "avatar", "token", "group", "is_active", "webhook_path")}),
        (_("Texts"), {"fields": ("greeting_en", "greeting_ru", "acknowledgement_en",
                                 "acknowledgement_ru")}),
        (_("Connection"), {"fields": ("viber_account", "our_side")}),
    )  # fmt: skip

    @admin.action(description=_("Set the webhook at Viber"))
    def set_webhook(self, request, queryset):
        for bot in queryset:
            try:
                url = connect.set_webhook(bot=bot)
            except ApplicationError as error:
                self.message_user(request, f"{bot}: {error.message}", messages.ERROR)
            else:
                text = gettext("%(bot)s: Viber sends its callbacks to %(url)s")
                self.message_user(request, text % {"bot": bot, "url": url})

    def _connection(self, bot) -> connect.Connection:
        if not hasattr(bot, "_viber_connection"):
            bot._viber_connection = connect.connection(bot=bot)
        return bot._viber_connection

    @admin.display(description=_("at Viber"))
    def viber_account(self, bot):
        if not bot.pk:
            return "-"
        state = self._connection(bot)
        if state.account is None:
            return format_html('<span class="errornote">{}</span>', state.account_error)
        account = state.account
        rows = [
            (gettext("Account"), f"{account.get('name', '')} ({account.get('uri', '')})"),
            (gettext("Webhook"), account.get("webhook") or gettext("not set")),
            (gettext("Events"), ", ".join(account.get("event_types") or [])),
            (gettext("Subscribers"), account.get("subscribers_count", "")),
        ]
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description=_("here"))
    def our_side(self, bot):
        if not bot.pk:
            return "-"
        state = self._connection(bot)
        never = gettext("never")
        rows = [
            (gettext("Last callback received"),
             formats.localize(state.last_received_at) if state.last_received_at else never),
            (gettext("Last callback that failed"),
             f"{formats.localize(state.last_error_at)}: {state.last_error}"
             if state.last_error_at else never),
        ]  # fmt: skip
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description=_("webhook address"))
    def webhook_path(self, bot):
        from django.urls import reverse

        return reverse("inbound-viber", args=[bot.pk]) if bot.pk else "-"
