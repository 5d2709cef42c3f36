import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from channels_inbound import inbox
from channels_inbound.models import AutoReplyTemplate, InboundEvent, Mailbox, OutboundDelivery
from channels_inbound.models_telegram import TelegramBot
from channels_inbound.telegram import connection as telegram_connection
from channels_inbound.viber import admin as viber_admin  # noqa: F401 - registers the Viber bot
from helpdesk.errors import ApplicationError


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "channel",
        "address",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "channel")
    search_fields = ("address", "provider_message_id")
    raw_id_fields = ("message",)
    readonly_fields = ("created_at", "updated_at", "sent_at")


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    """The raw inbox. Failed events show their error here and can be re-run."""

    list_display = (
        "id",
        "channel",
        "external_key",
        "status",
        "attempts",
        "received_at",
        "short_error",
    )
    list_filter = ("status", "channel")
    search_fields = ("external_key", "=reserved_number")
    readonly_fields = (
        "channel",
        "external_key",
        "payload",
        "status",
        "error",
        "attempts",
        "reserved_number",
        "message",
        "received_at",
        "next_attempt_at",
        "processed_at",
    )
    exclude = ("raw",)
    actions = ["rerun"]
    show_full_result_count = False

    @admin.display(description="error")
    def short_error(self, event):
        return event.error[:120]

    @admin.action(description="Re-run the selected failed events")
    def rerun(self, request, queryset):
        count = inbox.retry(event_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} event(s) queued again.")

    def has_add_permission(self, request):
        return False


class MailboxForm(forms.ModelForm):
    imap_password = forms.CharField(
        label=_("IMAP password"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current one."),
    )  # fmt: skip
    smtp_password = forms.CharField(
        label=_("SMTP password"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current one."),
    )  # fmt: skip

    class Meta:
        model = Mailbox
        fields = ["name", "address", "group", "is_active", "imap_host", "imap_port",
                  "imap_security", "imap_login", "imap_folder", "smtp_host", "smtp_port",
                  "smtp_security", "smtp_login", "inbound_key"]  # fmt: skip

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        for name in ("imap_password", "smtp_password"):
            if self.cleaned_data.get(name):
                setattr(mailbox, name, self.cleaned_data[name])
        if not mailbox.inbound_key:
            mailbox.inbound_key = secrets.token_urlsafe(32)
        if commit:
            mailbox.save()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "group", "is_active", "last_polled_at", "last_error")
    list_filter = ("is_active",)
    readonly_fields = ("uidvalidity", "last_uid", "last_polled_at", "last_error", "failing_since")
    fieldsets = (
        (None, {"fields": ("name", "address", "group", "is_active")}),
        (_("Incoming (IMAP)"), {"fields": ("imap_host", "imap_port", "imap_security",
                                           "imap_login", "imap_password", "imap_folder")}),
        (_("Outgoing (SMTP)"), {"fields": ("smtp_host", "smtp_port", "smtp_security",
                                           "smtp_login", "smtp_password")}),
        (_("Piped or webhook mail"), {"fields": ("inbound_key",)}),
        (_("State"), {"fields": ("uidvalidity", "last_uid", "last_polled_at", "last_error",
                                 "failing_since")}),
    )  # fmt: skip


@admin.register(AutoReplyTemplate)
class AutoReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("language", "is_active")


class TelegramBotForm(forms.ModelForm):
    token = forms.CharField(
        label=_("Telegram bot token"), required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("From @BotFather. Leave empty to keep the current one."),
    )  # fmt: skip

    class Meta:
        model = TelegramBot
        fields = ["name", "username", "group", "is_active", "webhook_secret", "greeting_en",
                  "greeting_ru", "acknowledgement_en", "acknowledgement_ru"]  # fmt: skip

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


@admin.register(TelegramBot)
class TelegramBotAdmin(admin.ModelAdmin):
    form = TelegramBotForm
    list_display = ("name", "username", "group", "is_active", "use_polling", "last_polled_at")
    list_select_related = ("group",)
    list_filter = ("is_active", "use_polling")
    readonly_fields = ("webhook_path", "connection", "last_polled_at", "last_error")
    actions = ["set_webhook", "delete_webhook"]
    fieldsets = (
        (None, {"fields": ("name", "username", "token", "group", "is_active")}),
        (_("Telegram webhook"), {"fields": ("webhook_path", "webhook_secret", "use_polling",
                                            "connection", "last_polled_at", "last_error")}),
        (_("What the Telegram bot says"), {"fields": ("greeting_en", "greeting_ru",
                                             "acknowledgement_en", "acknowledgement_ru")}),
    )  # fmt: skip

    @admin.action(description=_("Set the Telegram webhook (updates are posted to us)"))
    def set_webhook(self, request, queryset):
        self._each(request, queryset, telegram_connection.webhook_set,
                   _("Webhook set for %(bot)s."))  # fmt: skip

    @admin.action(description=_("Delete the Telegram webhook (updates are polled)"))
    def delete_webhook(self, request, queryset):
        self._each(request, queryset, telegram_connection.webhook_delete,
                   _("Webhook deleted for %(bot)s; its updates are polled."))  # fmt: skip

    def _each(self, request, queryset, action, done):
        for bot in queryset:
            try:
                action(bot=bot)
            except ApplicationError as error:
                self.message_user(request, error.message, level=messages.ERROR)
            else:
                self.message_user(request, done % {"bot": bot})

    @admin.display(description=_("connection"))
    def connection(self, bot):
        """Telegram's own view (getWebhookInfo) and ours: the last update received, the last
        one that failed."""
        if not bot.pk:
            return "-"
        state = telegram_connection.connection_state(bot=bot)

        def when(moment):
            return date_format(localtime(moment), "DATETIME_FORMAT") if moment else ""

        rows = []
        if state.provider_error:
            rows.append((_("Telegram"), state.provider_error))
        else:
            info = state.provider
            error = " ".join(filter(None, [when(info["last_error_date"]),
                                           info["last_error_message"]]))  # fmt: skip
            rows += [
                (_("webhook at Telegram"), info["url"] or _("none (updates are polled)")),
                (_("updates waiting at Telegram"), info["pending_update_count"]),
                (_("Telegram's last error"), error or "-"),
            ]
        rows.append((_("last update received"), when(state.last_received_at) or _("none yet")))
        failure = state.last_failure
        rows.append(
            (_("last update that failed"), f"{failure.external_key}: {failure.error}" if failure
             else "-")
        )  # fmt: skip
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description=_("Telegram webhook address"))
    def webhook_path(self, bot):
        from django.urls import reverse

        return reverse("inbound-telegram", args=[bot.pk]) if bot.pk else "-"
