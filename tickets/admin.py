from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tickets import event_words
from tickets.models import (
    Attachment,
    Customer,
    CustomerIdentity,
    Group,
    Message,
    Ticket,
    TicketEvent,
    TicketParticipant,
)
from tickets.sanitize import show_bidi


class IdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "shown_name", "language", "merged_into", "created_at")
    search_fields = ("name", "identities__value")

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, customer: Customer) -> str:
        return show_bidi(customer.name)

    raw_id_fields = ("merged_into",)
    inlines = [IdentityInline]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ("kind", "shown_value", "shown_display", "customer", "is_reachable")
    list_filter = ("kind", "is_reachable")
    search_fields = ("value", "display")
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)

    @admin.display(description=_("value"), ordering="value")
    def shown_value(self, identity: CustomerIdentity) -> str:
        return show_bidi(identity.value)

    @admin.display(description=_("display"), ordering="display")
    def shown_display(self, identity: CustomerIdentity) -> str:
        return show_bidi(identity.display)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "is_active")
    list_filter = ("tier", "is_active")
    filter_horizontal = ("members",)


class MessageInline(admin.StackedInline):
    model = Message
    fk_name = "ticket"
    extra = 0
    fields = (
        "direction",
        "channel",
        "author_customer",
        "author_user",
        "text",
        "delivery_status",
        "delivery_error",
        "created_at",
    )
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "shown_subject",
        "status",
        "priority",
        "channel",
        "customer",
        "assignee",
        "group",
        "updated_at",
    )
    list_filter = ("status", "priority", "channel", "group")
    search_fields = ("=number", "subject")
    raw_id_fields = ("customer", "assignee", "hand_back_to", "follow_up_of", "merged_into")
    readonly_fields = (
        "number",
        "created_at",
        "first_response_at",
        "last_customer_message_at",
        "solved_at",
        "closed_at",
    )
    list_select_related = ("customer", "assignee", "group")
    inlines = [MessageInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("search_vector")

    @admin.display(description=_("subject"), ordering="subject")
    def shown_subject(self, ticket: Ticket) -> str:
        return show_bidi(ticket.subject)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ("name", "content_type", "size", "sha256", "is_inline")
    exclude = ("file",)
    can_delete = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("shown_name", "content_type", "size", "message", "created_at")
    search_fields = ("name", "sha256")
    raw_id_fields = ("message",)
    readonly_fields = ("sha256", "size")

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, attachment: Attachment) -> str:
        return show_bidi(attachment.name)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "direction", "channel", "delivery_status", "created_at")
    list_filter = ("direction", "channel", "delivery_status", "is_auto_generated")
    raw_id_fields = ("ticket", "author_customer", "author_user")
    search_fields = ("external_id",)
    inlines = [AttachmentInline]
    list_select_related = ("ticket",)
    show_full_result_count = False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """The audit trail: read-only, here as everywhere, and in words (the same sentences as the
    ticket's history), not the stored JSON."""

    list_display = ("created_at", "ticket", "what", "note")
    fields = ("created_at", "ticket", "kind", "what", "note")
    readonly_fields = fields
    list_filter = ("kind",)
    search_fields = ("=ticket__number",)
    list_select_related = ("ticket", "actor", "actor_customer")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("what happened"))
    def what(self, event: TicketEvent) -> str:
        return event_words.describe(event)


@admin.register(TicketParticipant)
class TicketParticipantAdmin(admin.ModelAdmin):
    list_display = ("ticket", "user", "reason", "created_at")
    list_filter = ("reason",)
    raw_id_fields = ("ticket", "user")
    list_select_related = ("ticket", "user")
