"""API tokens: a random secret shown once, stored only as its SHA-256, revocable in admin."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

#: How long `last_used_at` may lag: one write a minute per token, not one per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True, help_text="What uses it, e.g. “website enquiry form”.")
    # The first characters of the secret, so admins can tell tokens apart without the secret.
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.user.is_active

    @classmethod
    def issue(cls, user, *, name: str = "") -> tuple[ApiToken, str]:
        """Create a token for `user`; returns it and the raw secret (never stored, shown once)."""
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name[:80], prefix=raw[:8], key_hash=hash_token(raw))
        return token, raw

    @classmethod
    def authenticate(cls, raw: str):
        """The active user behind `raw`, or None (unknown, revoked, or the user is deactivated)."""
        if not raw or len(raw) > 200:
            return None
        token = cls.objects.active().select_related("user").filter(key_hash=hash_token(raw)).first()
        if token is None:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
