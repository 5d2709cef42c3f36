from django.contrib import admin

from channels_inbound import inbox
from channels_inbound.models import InboundEvent, OutboundDelivery


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
