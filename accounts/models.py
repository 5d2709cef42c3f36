"""People who work in the helpdesk. Customers are not users; they live in `tickets`."""

from __future__ import annotations

import re

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    AGENT = "agent", _("Agent")
    # Colleagues from other departments: free and unlimited, comment-only, never reach a customer.
    INTERNAL = "internal", _("Internal staff")


PAID_ROLES = (Role.ADMIN, Role.AGENT)
HANDLE_RE = re.compile(r"[^a-z0-9._-]+")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("Users log in by email; an email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save()
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields["role"] = Role.ADMIN
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email"), max_length=254, unique=True)  # stored lowercased
    full_name = models.CharField(_("full name"), max_length=150)
    handle = models.SlugField(
        _("handle"),
        max_length=60,
        unique=True,
        help_text=_("Used to @mention this person in internal comments."),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("en", "English"), ("ru", "Русский")],
        help_text=_("Empty: follow the browser."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name"]
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_active_idx")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        if not self.handle:
            self.handle = self._free_handle()
        # Admin-site access follows the role; there is no separate "staff" switch to forget.
        self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)
        from accounts.selectors import forget_active_colleagues

        forget_active_colleagues()  # this process sees the change at once, others within 30 s

    def _free_handle(self) -> str:
        base = HANDLE_RE.sub("", self.email.split("@")[0].lower())[:50] or "user"
        handle, n = base, 1
        while User.objects.filter(handle=handle).exclude(pk=self.pk).exists():
            n += 1
            handle = f"{base}{n}"
        return handle

    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_agent(self) -> bool:
        """Admins and agents: the paid seats that work tickets."""
        return self.role in PAID_ROLES

    @property
    def is_internal(self) -> bool:
        return self.role == Role.INTERNAL

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email
