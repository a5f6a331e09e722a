"""Webhook intake (issue 11, section 3): the per-center sources that may post leads, and every delivery.

An `IntakeSource` is one platform of one center (its website's generic JSON, Meta Lead Ads, Google Ads
lead forms) with the secret that authenticates it. Each lead a platform delivers becomes one
`IntakeItem`, unique per (source, the platform's lead id): a retried delivery finds its item and gets
the same answer, never a second lead. An item the verbs refuse (bad phone, no consent, unknown
program...) stays in the intake inbox as NEEDS_REVIEW with the sentence, for a counselor to fix by
hand: a payload is never dropped. How the fields map: docs/intake.md and `leads/intake.py`.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Action, CenterScopedQuerySet, Role
from leads.lifecycle import LifecycleError, require_permission


class IntakeKind(models.TextChoices):
    GENERIC = "generic", "Website (generic JSON)"
    META = "meta", "Meta Lead Ads"
    GOOGLE = "google", "Google Ads lead form"


class IntakeStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"  # only while the delivery's transaction runs
    CREATED = "CREATED", "Enquiry created"
    NEEDS_REVIEW = "NEEDS_REVIEW", "Needs review"
    DUPLICATE = "DUPLICATE", "Child already has an open lead"
    DISMISSED = "DISMISSED", "Dismissed (not an enquiry)"


LEAD_OF_ANOTHER_CENTER = "Choose the lead you made for this enquiry, in the source's center."
ALREADY_DEALT_WITH = "This intake item is already dealt with."
DISMISS_WHY = "Say why this is not an enquiry (a test, spam, a wrong number...)."


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class IntakeSourceQuerySet(CenterScopedQuerySet):
    pass


class IntakeSource(models.Model):
    center = models.ForeignKey("accounts.Center", on_delete=models.PROTECT, related_name="intake_sources")
    kind = models.CharField(max_length=16, choices=IntakeKind)
    secret = models.CharField(
        max_length=128,
        default=new_secret,
        help_text="Generic: the HMAC key of X-Signature. Meta: the app secret (X-Hub-Signature-256). "
        "Google: the key typed into the lead form's webhook settings (google_key).",
    )
    verify_token = models.CharField(
        max_length=128,
        default=new_secret,
        help_text="Meta only: the Verify token typed into the app's webhook settings (the subscription handshake).",
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The counselor or admin of the center who gets this source's new leads. "
        "Empty: the center's automatic assignment (round-robin, by source or by program).",
    )
    active = models.BooleanField(default=True, help_text="Off: deliveries are refused (404) and nothing is kept.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = IntakeSourceQuerySet.as_manager()

    class Meta:
        ordering = ["center", "kind"]
        constraints = [
            # The URL names a source by its center's code and its kind: one of each per center.
            models.UniqueConstraint(fields=["center", "kind"], name="intake_source_kind_per_center"),
            models.CheckConstraint(condition=Q(kind__in=IntakeKind.values), name="intake_source_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.center.code} {self.get_kind_display()}"

    def clean(self) -> None:
        if (
            self.center_id
            and self.assign_to_id
            and self.assign_to.role_in(self.center_id)
            not in (
                Role.COUNSELOR,
                Role.CENTER_ADMIN,
                Role.SUPER_ADMIN,
            )
        ):
            raise ValidationError({"assign_to": ["Choose a counselor or admin of this center."]})

    @property
    def path(self) -> str:
        return f"/api/v1/intake/{self.center.code}/{self.kind}"


class IntakeItemQuerySet(CenterScopedQuerySet):
    center_lookup = "source__center"

    def needs_review(self) -> IntakeItemQuerySet:
        return self.filter(status=IntakeStatus.NEEDS_REVIEW)


class IntakeItem(models.Model):
    source = models.ForeignKey(IntakeSource, on_delete=models.PROTECT, related_name="items")
    external_id = models.CharField(
        max_length=200, help_text="The platform's lead id (leadgen_id, lead_id, the generic id)."
    )
    payload = models.JSONField(help_text="What the platform sent for this lead, as received.")
    status = models.CharField(max_length=16, choices=IntakeStatus, default=IntakeStatus.RECEIVED)
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = IntakeItemQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            # Idempotency: a platform's retry of one lead finds this row instead of making a second lead.
            models.UniqueConstraint(fields=["source", "external_id"], name="intake_item_once_per_source"),
            models.CheckConstraint(condition=Q(status__in=IntakeStatus.values), name="intake_item_status_valid"),
        ]
        indexes = [
            # The inbox: a center's items needing review, newest first.
            models.Index(
                fields=["source", "-received_at"],
                condition=Q(status="NEEDS_REVIEW"),
                name="intake_item_inbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.external_id}"

    def clean(self) -> None:
        if self.lead_id is not None and self.lead.center_id != self.source.center_id:
            raise ValidationError({"lead": [LEAD_OF_ANOTHER_CENTER]})

    def resolve(self, *, lead, by) -> None:
        """A counselor made the enquiry by hand (after calling the parent): the item points to it."""
        require_permission(by, Action.CREATE_ENQUIRY, self.source.center_id)
        if lead is None or lead.center_id != self.source.center_id:
            raise ValidationError({"lead": [LEAD_OF_ANOTHER_CENTER]})
        self._settle(status=IntakeStatus.CREATED, lead=lead, by=by)

    def dismiss(self, *, reason: str, by) -> None:
        """Not an enquiry at all (a platform's test, spam): out of the inbox, with the reason. Its
        payload goes at once, since it holds a child's details we have no reason to keep."""
        require_permission(by, Action.CREATE_ENQUIRY, self.source.center_id)
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": [DISMISS_WHY]})
        self._settle(status=IntakeStatus.DISMISSED, payload={}, error=f"Dismissed: {reason[:500]}", by=by)

    def _settle(self, *, by, **fields) -> None:
        """Take the item out of the inbox with `fields`, once: the row locked, still waiting, or refused."""
        fields.update(resolved_at=timezone.now(), resolved_by=by)
        with transaction.atomic():
            item = IntakeItem.objects.select_for_update().get(pk=self.pk)
            if item.status != IntakeStatus.NEEDS_REVIEW:
                raise LifecycleError(ALREADY_DEALT_WITH)
            for name, value in fields.items():
                setattr(item, name, value)
            item.save(update_fields=list(fields))
        for name in fields:
            setattr(self, name, getattr(item, name))
