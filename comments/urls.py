from django.urls import path

from comments import api

urlpatterns = [
    path("tickets/<int:number>/comments/", api.CommentCreateApi.as_view(), name="ticket-comment"),
    path("tickets/<int:number>/hand-back/", api.HandBackApi.as_view(), name="ticket-hand-back"),
    path("notifications/", api.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/read/", api.NotificationReadApi.as_view(), name="notification-read"),
]
