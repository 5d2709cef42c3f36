from django.urls import path

from tickets.consumers import WorkspaceConsumer

websocket_urlpatterns = [path("ws/", WorkspaceConsumer.as_asgi())]
