"""API tokens: a random secret shown once, stored only as its SHA-256, revocable in admin."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

#: How long `last_used_at` may lag: one write a minute per token, not one per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def password_fingerprint(user) -> str:
    """A digest of the user's password hash: a token carries the one of its day, so a password
    change (a new hash) ends every token issued before it, with no extra query or field on User."""
    return hashlib.sha256(f"api-token:{user.password}".encode()).hexdigest()[:32]


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        """Not revoked, not expired (`API_TOKEN_DAYS`), and of an active user."""
        born_after = timezone.now() - datetime.timedelta(days=settings.API_TOKEN_DAYS)
        return self.filter(revoked_at__isnull=True, user__is_active=True, created_at__gt=born_after)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True, help_text="What uses it, e.g. “website enquiry form”.")
    # The first characters of the secret, so admins can tell tokens apart without the secret.
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    password_fingerprint = models.CharField(max_length=32, editable=False, default="")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def expires_at(self) -> datetime.datetime:
        return self.created_at + datetime.timedelta(days=settings.API_TOKEN_DAYS)

    @property
    def state(self) -> str:
        """Why the token works or not, in the words admin shows: the same tests as `authenticate`."""
        if self.revoked_at is not None:
            return "revoked"
        if not self.user.is_active:
            return "user deactivated"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.password_fingerprint != password_fingerprint(self.user):
            return "password changed"
        return "active"

    @property
    def is_active(self) -> bool:
        return self.state == "active"

    @classmethod
    def issue(cls, user, *, name: str = "") -> tuple[ApiToken, str]:
        """Create a token for `user`; returns it and the raw secret (never stored, shown once)."""
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name[:80],
            prefix=raw[:8],
            key_hash=hash_token(raw),
            password_fingerprint=password_fingerprint(user),
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str):
        """The active user behind `raw`, or None (unknown, revoked, expired, the user deactivated or
        their password changed since the token was issued)."""
        if not raw or len(raw) > 200:
            return None
        token = cls.objects.active().select_related("user").filter(key_hash=hash_token(raw)).first()
        if token is None or token.password_fingerprint != password_fingerprint(token.user):
            return None  # unknown, revoked, expired, or the password changed since it was issued
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user

    def may_be_revoked_by(self, user) -> bool:
        """Its owner, a super admin, or a center admin who may manage the owner (`User.may_manage`:
        every center of the owner is theirs, so a shared staff member's token is not one center's)."""
        return user.is_active and (user.pk == self.user_id or user.may_manage(self.user))

    def revoke(self, *, by, request=None) -> bool:
        """Revoke at once (the next request with it gets 401) and log it; False if already revoked.

        Refused with PermissionDenied unless `may_be_revoked_by(by)`. One transaction: the token
        row is locked, stamped and one access-log row (TOKEN, "revoked") is appended.
        """
        if not self.may_be_revoked_by(by):
            raise PermissionDenied("Only an admin of all of this person's centers can revoke their tokens.")
        with transaction.atomic():
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            if locked.revoked_at is not None:
                self.revoked_at = locked.revoked_at
                return False
            self.revoked_at = timezone.now()
            type(self).objects.filter(pk=self.pk).update(revoked_at=self.revoked_at)
            self.log(request, by=by, detail="revoked")
        return True

    def log(self, request=None, *, by, detail: str) -> None:
        """One TOKEN row in the access log, under one of the owner's centers (None: no center)."""
        from accounts.models import AccessAction, AccessLog, home_center_id

        AccessLog.record(
            request,
            action=AccessAction.TOKEN,
            object_type="api_token",
            object_id=self.pk,
            user=by,
            center_id=home_center_id(self.user),
            detail=detail,
        )
