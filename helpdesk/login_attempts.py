"""django-axes under a name that says what it holds, in the reader's language."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class LoginAttemptsConfig(AxesAppConfig):
    """django-axes names its admin section "Axes", in every language: say what it holds."""

    verbose_name = _("Login attempts")
