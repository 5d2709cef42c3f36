from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channels_inbound.viber.models import ViberBot


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
    readonly_fields = ("webhook_path",)
    fieldsets = (
        (None, {"fields": ("name", "avatar", "token", "group", "is_active", "webhook_path")}),
        (_("Texts"), {"fields": ("greeting_en", "greeting_ru", "acknowledgement_en",
                                 "acknowledgement_ru")}),
    )  # fmt: skip

    @admin.display(description=_("webhook address"))
    def webhook_path(self, bot):
        from django.urls import reverse

        return reverse("inbound-viber", args=[bot.pk]) if bot.pk else "-"
