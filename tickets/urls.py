from django.urls import path

from comments import views as comment_views
from tickets.views import canned, customers, queue, ticket

urlpatterns = [
    path("tickets/", queue.queue_view, name="queue"),
    path("tickets/bulk/", queue.bulk_start, name="bulk"),
    path("tickets/bulk/<str:job_id>/", queue.bulk_progress, name="bulk-progress"),
    path("filters/", queue.saved_filter_create, name="filter-create"),
    path("filters/<int:pk>/delete/", queue.saved_filter_delete, name="filter-delete"),
    path("tickets/<int:number>/", ticket.ticket_page, name="ticket"),
    path("tickets/<int:number>/reply/", ticket.reply, name="ticket-reply"),
    path("tickets/<int:number>/comment/", comment_views.comment, name="ticket-comment"),
    path("tickets/<int:number>/hand-back/", comment_views.hand_back, name="ticket-hand-back"),
    path("tickets/<int:number>/update/", ticket.update, name="ticket-update"),
    path("tickets/<int:number>/assign-me/", ticket.assign_to_me, name="ticket-assign-me"),
    path("tickets/<int:number>/hand-off/", ticket.hand_off, name="ticket-hand-off"),
    path("tickets/<int:number>/merge/", ticket.merge, name="ticket-merge"),
    path("tickets/<int:number>/canned/<int:pk>/", ticket.canned_text, name="ticket-canned"),
    path("customers/<int:pk>/", customers.customer_page, name="customer"),
    path("customers/<int:pk>/update/", customers.customer_update, name="customer-update"),
    path("customers/<int:pk>/identities/", customers.identity_add, name="customer-identity"),
    path("customers/<int:pk>/merge/", customers.customer_merge, name="customer-merge"),
    path("canned/", canned.canned_list, name="canned"),
    path("canned/save/", canned.canned_save, name="canned-save"),
    path("canned/<int:pk>/delete/", canned.canned_delete, name="canned-delete"),
    path("notifications/", comment_views.notifications, name="notifications"),
    path("notifications/<int:pk>/", comment_views.notification_open, name="notification-open"),
    path("notifications/read/", comment_views.notifications_read, name="notifications-read"),
]
