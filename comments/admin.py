from django.contrib import admin

from comments.models import InternalComment, Mention, Notification


class MentionInline(admin.TabularInline):
    model = Mention
    extra = 0
    raw_id_fields = ("user",)


@admin.register(InternalComment)
class InternalCommentAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "author", "created_at")
    raw_id_fields = ("ticket", "author")
    search_fields = ("=ticket__number", "text")
    inlines = [MentionInline]
    list_select_related = ("ticket", "author")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "ticket", "actor", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    raw_id_fields = ("user", "ticket", "comment", "actor")
    list_select_related = ("user", "ticket", "actor")


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = ("comment", "user")
    raw_id_fields = ("comment", "user")
    list_select_related = ("comment", "user")
