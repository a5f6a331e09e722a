"""Insights: in-app notifications, the reminder log that makes reminders idempotent,
contact attempts (one-tap call / WhatsApp) and each center's message templates."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from insights.placeholders import render_template, validate_template


class NotificationKind(models.TextChoices):
    DIGEST = "DIGEST", "Daily digest"
    OVERDUE = "OVERDUE", "Overdue follow-up"
    ESCALATION = "ESCALATION", "Overdue follow-up (escalated)"
    LEAD_ASSIGNED = "LEAD_ASSIGNED", "Lead assigned to you"
    FOLLOW_UP_ASSIGNED = "FOLLOW_UP_ASSIGNED", "Follow-up assigned to you"
    VISIT_REMINDER = "VISIT_REMINDER", "Intro-visit reminder to the parent"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        """A user's own notifications only (no one reads another's bell)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def mark_read(self) -> int:
        return self.unread().update(read_at=timezone.now())


class Notification(models.Model):
    """One in-app notification (the bell). Email and SMS copies are tracked in ReminderLog."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The bell counts a user's unread notifications on every page.
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_created"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.TextChoices):
    IN_APP = "IN_APP", "In-app"
    EMAIL = "EMAIL", "Email"
    SMS = "SMS", "SMS"


class DeliveryStatus(models.TextChoices):
    SENDING = "SENDING", "Sending"
    SENT = "SENT", "Sent"
    LOGGED = "LOGGED", "Logged only (not sent)"
    FAILED = "FAILED", "Failed"


class ReminderLog(models.Model):
    """One row per (reminder, channel): claimed before sending, then marked by what really happened.

    The unique `(key, channel)` makes `send_reminders` idempotent even when two cron runs
    overlap: only the run that inserts the row sends. SENT means a real backend accepted the
    message; LOGGED that a log-only backend wrote it down and nothing left the machine. A FAILED
    row is retried by later runs (up to `MAX_ATTEMPTS`) with the same `idempotency_key`; a row left
    SENDING by a run that died becomes FAILED after REMINDER_SENDING_TIMEOUT (see insights.reminders).
    """

    MAX_ATTEMPTS = 3

    key = models.CharField(max_length=120, help_text="What was sent, e.g. overdue:42 or digest:2026-11-29.")
    kind = models.CharField(max_length=24, choices=NotificationKind)
    channel = models.CharField(max_length=8, choices=Channel)
    object_id = models.BigIntegerField(null=True, blank=True, help_text="The lead, follow-up or visit concerned.")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address = models.CharField(max_length=254, blank=True, help_text="Email address or phone number used.")
    status = models.CharField(max_length=8, choices=DeliveryStatus, default=DeliveryStatus.SENDING)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(default=timezone.now, help_text="When the latest attempt started.")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When a backend accepted (or logged) it.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["key", "channel"], name="reminder_log_once_per_channel"),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="reminder_log_status_valid"
            ),
        ]
        indexes = [
            # send_reminders asks "was this lead/follow-up already notified to this user?".
            models.Index(fields=["kind", "object_id", "recipient"], name="reminder_log_lookup"),
            # Each run looks for rows a dead run left SENDING (few, so a small partial index).
            models.Index(fields=["claimed_at"], condition=models.Q(status="SENDING"), name="reminder_log_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.key} · {self.channel} · {self.status}"

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt of this row, different for every row (of any database): a
        provider that takes an idempotency key accepts a retry after a lost answer only once."""
        digest = hashlib.sha256(f"{self.pk}|{self.key}|{self.channel}|{self.created_at.timestamp():.6f}".encode())
        return f"crm-reminder-{self.pk}-{digest.hexdigest()[:20]}"


class ContactChannel(models.TextChoices):
    CALL = "CALL", "Call"
    WHATSAPP = "WHATSAPP", "WhatsApp"


class ContactAttemptQuerySet(models.QuerySet):
    def create(self, **kwargs) -> ContactAttempt:
        """Log the attempt and, in the same transaction, move the lead's first contact earlier if it is.

        Every way of logging an attempt (the contact view, tests, the admin's add form calls
        `save_model`, see ContactAttemptAdmin) keeps `Lead.first_contact_at`, which the dashboard reads.
        """
        with transaction.atomic():
            attempt = super().create(**kwargs)
            attempt.count_as_contact()
        return attempt


class ContactAttempt(models.Model):
    """A tap on a call or WhatsApp link: part of the lead's timeline, feeds time to first contact."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="contact_attempts")
    channel = models.CharField(max_length=10, choices=ContactChannel)
    template = models.CharField(max_length=16, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ContactAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["lead", "at"], name="contact_attempt_lead_at")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} at {self.at:%d %b %Y %H:%M}"

    def count_as_contact(self) -> None:
        """The lead's first contact becomes this attempt's time when it had none or a later one."""
        from leads.models import Lead

        Lead.objects.filter(Q(first_contact_at__isnull=True) | Q(first_contact_at__gt=self.at), pk=self.lead_id).update(
            first_contact_at=self.at
        )


class TemplateKind(models.TextChoices):
    WELCOME = "WELCOME", "Welcome"
    FOLLOW_UP = "FOLLOW_UP", "Follow-up"
    VISIT_REMINDER = "VISIT_REMINDER", "Visit reminder"


#: Used when a center has not written its own; placeholders are listed in insights.placeholders.PLACEHOLDERS.
DEFAULT_TEMPLATES: dict[str, str] = {
    TemplateKind.WELCOME: "Hello {parent}, thank you for your interest in {center}! We would love to meet {child}. "
    "When suits you for a free intro class?",
    TemplateKind.FOLLOW_UP: "Hello {parent}, this is {counselor} from {center}, following up about {child}. "
    "Do you have a moment to talk?",
    TemplateKind.VISIT_REMINDER: "Hello {parent}, a reminder of {child}'s intro class at {center} on {visit}. "
    "See you there!",
}


class MessageTemplate(models.Model):
    """A center's own wording for a WhatsApp / SMS message to parents."""

    center = models.ForeignKey("accounts.Center", on_delete=models.CASCADE, related_name="message_templates")
    kind = models.CharField(max_length=16, choices=TemplateKind)
    body = models.TextField(
        validators=[validate_template],
        help_text="Placeholders: {parent}, {child}, {center}, {counselor}, {visit}, {follow_up}; nothing else in braces.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["center", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["center", "kind"], name="message_template_once_per_center"),
            models.CheckConstraint(
                condition=models.Q(kind__in=TemplateKind.values), name="message_template_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.center.code} · {self.get_kind_display()}"

    @staticmethod
    def body_for(center_id: int, kind: str) -> str:
        row = MessageTemplate.objects.filter(center_id=center_id, kind=kind).values_list("body", flat=True).first()
        return row or DEFAULT_TEMPLATES[kind]

    @staticmethod
    def render(body: str, **values: str) -> str:
        """Named placeholders only, bounded in length (see insights.placeholders)."""
        return render_template(body, **values)
