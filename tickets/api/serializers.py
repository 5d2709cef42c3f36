"""API shapes. Output serializers read what selectors prepared; input serializers are
strict: unknown fields are an error, not silently ignored."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Channel, IdentityKind, Status
from tickets.models.tickets import PRIORITY_BY_NAME, PRIORITY_NAMES

PRIORITY_CHOICES = list(PRIORITY_BY_NAME)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a typo must not be silently dropped."""

    def to_internal_value(self, data):
        unknown = sorted(set(data.keys()) - set(self.fields)) if hasattr(data, "keys") else []
        errors = {name: [_("Unknown field.")] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({**error.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class PriorityField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=PRIORITY_CHOICES, **kwargs)

    def to_representation(self, value):
        return PRIORITY_NAMES.get(value, value)

    def to_internal_value(self, data):
        return PRIORITY_BY_NAME[super().to_internal_value(data)]


# --- Output -----------------------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")
    role = serializers.CharField()


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tier = serializers.IntegerField()


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IdentitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=IdentityKind.choices)
    value = serializers.CharField()
    display = serializers.CharField()
    is_reachable = serializers.BooleanField()


class TicketRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    priority = PriorityField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    customer = CustomerRefSerializer()
    owner = UserRefSerializer(source="assignee", allow_null=True)
    group = GroupRefSerializer(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_response_at = serializers.DateTimeField(allow_null=True)
    last_customer_message_at = serializers.DateTimeField(allow_null=True)
    solved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class TicketCreatedSerializer(TicketRowSerializer):
    message_id = serializers.IntegerField(help_text="The customer's first message.")


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    is_inline = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        return reverse("api:attachment-download", args=[attachment.pk])


class AuthorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["customer", "user"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.CharField()
    channel = serializers.CharField()
    author = serializers.SerializerMethodField()
    sender_address = serializers.CharField()
    text = serializers.CharField()
    html = serializers.CharField()
    delivery_status = serializers.CharField()
    delivery_error = serializers.CharField()
    is_auto_generated = serializers.BooleanField()
    attachments = AttachmentSerializer(many=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(AuthorSerializer(allow_null=True))
    def get_author(self, message):
        if message.author_user is not None:
            user = message.author_user
            return {"type": "user", "id": user.pk, "name": user.full_name}
        if message.author_customer is not None:
            customer = message.author_customer
            return {"type": "customer", "id": customer.pk, "name": customer.name}
        return None


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = UserRefSerializer(allow_null=True)
    actor_customer = CustomerRefSerializer(allow_null=True)
    old = serializers.JSONField()
    new = serializers.JSONField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class MentionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    name = serializers.CharField(source="user.full_name")
    role = serializers.CharField(source="user.role")


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefSerializer(allow_null=True)
    text = serializers.CharField()
    mentions = MentionSerializer(many=True)
    created_at = serializers.DateTimeField()


class TimelineEntrySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["message", "comment", "event"])
    created_at = serializers.DateTimeField()
    message = MessageSerializer(required=False)
    comment = CommentSerializer(required=False)
    event = EventSerializer(required=False)

    def to_representation(self, item):
        # The bound child serializers are built once per response, not once per item:
        # DRF deep-copies every field when a serializer is instantiated.
        fields = self.fields
        return {
            "type": item.kind,
            "created_at": fields["created_at"].to_representation(item.obj.created_at),
            item.kind: fields[item.kind].to_representation(item.obj),
        }


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()


class CustomerDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    language = serializers.CharField()
    notes = serializers.CharField()
    identities = IdentitySerializer(many=True)
    created_at = serializers.DateTimeField()


class TicketDetailSerializer(TicketRowSerializer):
    customer = CustomerDetailSerializer()
    hand_back_to = UserRefSerializer(allow_null=True)
    follow_up_of = TicketRefSerializer(allow_null=True)
    merged_into = TicketRefSerializer(allow_null=True)
    allowed_actions = serializers.ListField(child=serializers.CharField())
    timeline = TimelineEntrySerializer(many=True)


class CustomerRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    language = serializers.CharField()
    identities = IdentitySerializer(many=True)
    ticket_count = serializers.IntegerField()
    open_ticket_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class CustomerFullSerializer(CustomerDetailSerializer):
    merged_into = CustomerRefSerializer(allow_null=True)
    tickets = TicketRowSerializer(source="all_tickets", many=True)


class GroupSummarySerializer(GroupRefSerializer):
    """A group as internal staff see it: no member list."""

    description = serializers.CharField()


class GroupSerializer(GroupSummarySerializer):
    members = UserRefSerializer(many=True)


class ColleagueSerializer(UserRefSerializer):
    """A colleague as internal staff see them: enough to pick whom to @mention."""

    handle = serializers.CharField()
    title = serializers.CharField()


class UserSerializer(ColleagueSerializer):
    email = serializers.EmailField()
    group_ids = serializers.SerializerMethodField()

    def get_group_ids(self, user) -> list[int]:
        return [g.pk for g in user.support_groups.all()]


# --- Input ------------------------------------------------------------------------------------


class TicketFilterSerializer(StrictSerializer):
    status = serializers.CharField(
        required=False, help_text="Comma-separated statuses, or `open` for all unsolved."
    )
    owner = serializers.CharField(required=False, help_text="A user id, `me` or `none`.")
    group = serializers.CharField(required=False, help_text="A group id or `none`.")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    priority = PriorityField(required=False)
    customer = serializers.IntegerField(required=False, min_value=1)
    tag = serializers.CharField(required=False, help_text="Comma-separated; all must match.")
    q = serializers.CharField(required=False, max_length=200, help_text="Full-text search.")
    ordering = serializers.ChoiceField(
        choices=["-number", "number", "-updated_at", "updated_at", "-priority", "priority"],
        required=False,
    )
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def validate_status(self, value):
        statuses = [s.strip() for s in value.split(",") if s.strip()]
        if statuses == ["open"]:
            return ["open"]
        unknown = [s for s in statuses if s not in Status.values]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown status %(status)s; use %(allowed)s or open.")
                % {"status": ", ".join(unknown), "allowed": ", ".join(Status.values)}
            )
        return statuses

    def _id_or_word(self, value, words):
        if value in words:
            return value
        if value.isdigit():
            return int(value)
        raise serializers.ValidationError(
            _("Use an id or one of: %(words)s.") % {"words": ", ".join(words)}
        )

    def validate_owner(self, value):
        return self._id_or_word(value, ("me", "none"))

    def validate_group(self, value):
        return self._id_or_word(value, ("none",))


class CustomerInputSerializer(StrictSerializer):
    id = serializers.IntegerField(required=False, min_value=1)
    kind = serializers.ChoiceField(choices=IdentityKind.choices, required=False)
    value = serializers.CharField(required=False, max_length=320)
    name = serializers.CharField(required=False, max_length=200, allow_blank=True)

    def validate(self, attrs):
        if "id" not in attrs and not ("kind" in attrs and "value" in attrs):
            raise serializers.ValidationError(
                _("Give the customer's id, or an identity (kind and value) to find or create them.")
            )
        return attrs


class TicketCreateSerializer(StrictSerializer):
    customer = CustomerInputSerializer()
    subject = serializers.CharField(max_length=255, required=False, allow_blank=True)
    text = serializers.CharField(max_length=100_000)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    priority = PriorityField(required=False)
    group = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    owner = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)


class ReplySerializer(StrictSerializer):
    text = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    html = serializers.CharField(required=False, allow_blank=True, max_length=500_000)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class AssignSerializer(StrictSerializer):
    owner = serializers.IntegerField(allow_null=True, min_value=1)


class HandOffSerializer(StrictSerializer):
    to_user = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    to_group = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    note = serializers.CharField(max_length=5000)


class StatusSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Status.choices)


class PrioritySerializer(StrictSerializer):
    priority = PriorityField()


class TagsSerializer(StrictSerializer):
    add = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    remove = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    set = serializers.ListField(child=serializers.CharField(max_length=60), required=False)


class MergeSerializer(StrictSerializer):
    into = serializers.IntegerField(min_value=1, help_text="The number of the ticket to keep.")
    confirm_different_customer = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Required (true) when the two tickets belong to different customers.",
    )


class CustomerMergeSerializer(StrictSerializer):
    into = serializers.IntegerField(min_value=1, help_text="The id of the customer to keep.")


class CustomerUpdateSerializer(StrictSerializer):
    name = serializers.CharField(required=False, max_length=200, allow_blank=True)
    language = serializers.ChoiceField(choices=["", "en", "ru"], required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20_000)


class IdentityAddSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=IdentityKind.choices)
    value = serializers.CharField(max_length=320)


class CustomerSearchSerializer(StrictSerializer):
    q = serializers.CharField(required=False, max_length=200, allow_blank=True)
    cursor = serializers.CharField(required=False)
