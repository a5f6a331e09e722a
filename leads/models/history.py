"""Append-only status history: one row per lifecycle move, written in the move's transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from leads.lifecycle import LeadStatus, Move


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Status history is append-only.")

    def _erase_personal_data(self, **values) -> int:
        """The one write history allows: erasure (leads.erasure) overwriting the free text it holds.

        Only the model's `ERASABLE_FIELDS` may be written, so the rows, their statuses, actions,
        actors and times (what every figure reads) stay as they were.
        """
        refused = set(values) - set(self.model.ERASABLE_FIELDS)
        if refused:
            raise TypeError(f"Erasure may only overwrite {', '.join(self.model.ERASABLE_FIELDS)}.")
        return super().update(**values)

    def delete(self):
        raise TypeError("Status history is append-only.")


class StatusChangeQuerySet(AppendOnlyQuerySet):
    def clear_notes(self) -> int:
        """Erasure's one write to history: empty the free-text notes, nothing else (the database
        triggers of migration 0011 allow exactly this). Returns how many rows were matched."""
        return models.QuerySet.update(self, note="")


class LeadStatusChange(models.Model):
    """One lifecycle move. Append-only in the ORM (below) and in the database (migration 0011's
    triggers refuse UPDATE and DELETE, except an UPDATE of `note` alone: `clear_notes`)."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=24, blank=True, help_text="Empty for the enquiry itself.")
    to_status = models.CharField(max_length=24)
    action = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.TextField(blank=True)

    objects = StatusChangeQuerySet.as_manager()

    #: What erasing the family overwrites (`AppendOnlyQuerySet._erase_personal_data`).
    ERASABLE_FIELDS = ("note",)

    class Meta:
        ordering = ["at", "pk"]
        get_latest_by = "at"
        indexes = [
            # Timeline of one lead and time-in-stage both read a lead's rows in order.
            models.Index(fields=["lead", "at"], name="status_change_lead_at"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status} ({self.action})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Status history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Status history is append-only.")

    @property
    def to_status_label(self) -> str:
        return LeadStatus(self.to_status).label

    @property
    def action_label(self) -> str:
        return Move(self.action).label


#: How an automatic assignment's row begins ("Assigned to Priya by round-robin"): its subject is the sentence.
ASSIGNED = "Assigned to "


class DetailChange(models.Model):
    """A correction of what was typed (the child's or a parent's details), on the lead's timeline.

    Kept apart from `LeadStatusChange` on purpose: it is not a lifecycle move, so the funnel,
    time-in-stage and every figure that reads status history never see it. Append-only too.
    `changes` is `[[label, before, after], ...]` in display form ("phone", "+91 98100 55501", ...).
    """

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="detail_changes")
    subject = models.CharField(max_length=160, help_text="Whose details: the child, or which parent.")
    changes = models.JSONField(default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    #: What erasing the family overwrites (`AppendOnlyQuerySet._erase_personal_data`).
    ERASABLE_FIELDS = ("subject", "changes")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["lead", "at"], name="detail_change_lead_at")]

    def __str__(self) -> str:
        return self.summary

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Detail changes are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Detail changes are append-only.")

    @property
    def summary(self) -> str:
        """details changed: phone +91 98100 55501 -> +91 98100 55502"""
        if self.subject.startswith(ASSIGNED):  # automatic assignment (leads/assignment.py)
            return self.subject
        parts = [f"{label} {before or '(empty)'} -> {after or '(empty)'}" for label, before, after in self.changes]
        return "details changed: " + "; ".join(parts)
