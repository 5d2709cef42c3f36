from django.contrib import admin

from channels_inbound.models import OutboundDelivery


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
