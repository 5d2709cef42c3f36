"""Email for notifications: to colleagues only, never to a customer."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from comments.models import Notification


def send_email(*, notification_id: int) -> bool:
    """Send once: the row is claimed before sending and released if sending fails, so a
    retried or duplicated task never mails twice."""
    with transaction.atomic():
        claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
    if not claimed:
        return False
    notification = (
        Notification.objects.select_related("user", "ticket", "actor")
        .defer("ticket__search_vector")
        .get(pk=notification_id)
    )
    user = notification.user
    if not user.is_active or not user.email:
        return False
    try:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            context = {
                "notification": notification,
                "ticket": notification.ticket,
                "actor": notification.actor,
                "url": f"{settings.SITE_URL}/notifications/{notification.pk}/",
            }
            subject = render_to_string("emails/notification_subject.txt", context).strip()
            text = render_to_string("emails/notification.txt", context)
            html = render_to_string("emails/notification.html", context)
        email = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
        )
        email.attach_alternative(html, "text/html")
        email.send()
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True
