from django.urls import path

from tickets.api import actions, customers, directory, tickets

urlpatterns = [
    path("tickets/", tickets.TicketListCreateApi.as_view(), name="ticket-list"),
    path("tickets/<int:number>/", tickets.TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<int:number>/reply/", actions.TicketReplyApi.as_view(), name="ticket-reply"),
    path("tickets/<int:number>/assign/", actions.TicketAssignApi.as_view(), name="ticket-assign"),
    path(
        "tickets/<int:number>/hand-off/", actions.TicketHandOffApi.as_view(), name="ticket-hand-off"
    ),
    path("tickets/<int:number>/status/", actions.TicketStatusApi.as_view(), name="ticket-status"),
    path(
        "tickets/<int:number>/priority/",
        actions.TicketPriorityApi.as_view(),
        name="ticket-priority",
    ),
    path("tickets/<int:number>/tags/", actions.TicketTagsApi.as_view(), name="ticket-tags"),
    path("tickets/<int:number>/merge/", actions.TicketMergeApi.as_view(), name="ticket-merge"),
    path("customers/", customers.CustomerListApi.as_view(), name="customer-list"),
    path(
        "customers/<int:customer_id>/",
        customers.CustomerDetailApi.as_view(),
        name="customer-detail",
    ),
    path(
        "customers/<int:customer_id>/identities/",
        customers.CustomerIdentityApi.as_view(),
        name="customer-identities",
    ),
    path(
        "customers/<int:customer_id>/merge/",
        customers.CustomerMergeApi.as_view(),
        name="customer-merge",
    ),
    path("groups/", directory.GroupListApi.as_view(), name="group-list"),
    path("users/", directory.UserListApi.as_view(), name="user-list"),
    path("me/", directory.MeApi.as_view(), name="me"),
    path(
        "attachments/<int:attachment_id>/",
        directory.AttachmentDownloadApi.as_view(),
        name="attachment-download",
    ),
]
