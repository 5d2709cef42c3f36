from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from channels_inbound import views as public_views
from channels_inbound.telegram.views import TelegramWebhookApi
from channels_inbound.viber.views import ViberWebhookApi, media_file
from comments.urls import urlpatterns as comment_api
from helpdesk import views
from tickets.api.urls import urlpatterns as ticket_api
from tickets.urls import urlpatterns as workspace

admin.site.site_header = _("Helpdesk administration")
admin.site.site_title = _("Helpdesk admin")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("preferences/", account_views.preferences, name="preferences"),
    path("preferences/save/", account_views.preferences_save, name="preferences-save"),
    *workspace,
    path("i18n/setlang/", account_views.language_switch, name="set_language"),
    path("admin/", admin.site.urls),
    path("support/", public_views.support_form, name="support"),
    path("status/<str:token>/", public_views.status_page, name="status"),
    path(
        "status/<str:token>/files/<int:attachment_id>/",
        public_views.status_attachment,
        name="status-attachment",
    ),
    path("api/v1/public/tickets/", public_views.PublicTicketApi.as_view(), name="public-ticket"),
    path(
        "api/v1/inbound/email/<int:mailbox_id>/",
        public_views.InboundEmailApi.as_view(),
        name="inbound-email",
    ),
    path("api/v1/inbound/viber/<int:bot_id>/", ViberWebhookApi.as_view(), name="inbound-viber"),
    path("viber/files/<str:token>/", media_file, name="viber-media"),
    path(
        "api/v1/inbound/telegram/<int:bot_id>/",
        TelegramWebhookApi.as_view(),
        name="inbound-telegram",
    ),
    path("api/v1/", include((ticket_api + comment_api, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns.append(path("api-auth/", include("rest_framework.urls")))
