"""Automatic assignment's two tables (the rule itself is leads/assignment.py).

- `AssignmentCursor`: one row per center, the counselor who got its last round-robin lead. It is
  locked (select_for_update) while an enquiry is created, so concurrent enquiries take turns.
- `AssignmentRoute`: "leads from Facebook go to Priya", "Gym enquiries go to Arjun": the by-source
  and by-program modes' table; a route whose counselor cannot take leads falls back to round-robin.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from accounts.models import Center, CenterScopedQuerySet
from leads.lifecycle import LeadSource


class AssignmentCursor(models.Model):
    center = models.OneToOneField(Center, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.center_id}: last {self.last_assignee_id}"


class AssignmentRouteQuerySet(CenterScopedQuerySet):
    pass


class AssignmentRoute(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="assignment_routes")
    source = models.CharField(max_length=16, choices=LeadSource, blank=True, help_text="For the by-source mode.")
    program = models.ForeignKey(
        "leads.Program",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="For the by-program mode.",
    )
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="A counselor or admin of the center. Away or deactivated: round-robin instead.",
    )

    objects = AssignmentRouteQuerySet.as_manager()

    class Meta:
        ordering = ["center", "source", "program"]
        constraints = [
            # A route is for a source or for a program, never both or neither.
            models.CheckConstraint(
                condition=(Q(source="") & Q(program__isnull=False)) | (~Q(source="") & Q(program__isnull=True)),
                name="assignment_route_source_or_program",
            ),
            models.UniqueConstraint(
                fields=["center", "source"], condition=~Q(source=""), name="assignment_route_one_per_source"
            ),
            models.UniqueConstraint(
                fields=["center", "program"],
                condition=Q(program__isnull=False),
                name="assignment_route_one_per_program",
            ),
        ]

    def __str__(self) -> str:
        what = self.get_source_display() if self.source else str(self.program)
        return f"{what} → {self.assign_to}"

    def clean(self) -> None:
        errors = {}
        if bool(self.source) == (self.program_id is not None):
            errors["source"] = "Choose a source or a program (one of them)."
        if self.program_id and self.center_id and self.program.center_id != self.center_id:
            errors["program"] = "This program belongs to another center."
        if (
            self.center_id
            and self.assign_to_id
            and self.assign_to.role_in(self.center_id) not in ("COUNSELOR", "CENTER_ADMIN", "SUPER_ADMIN")
        ):
            errors["assign_to"] = "Choose a counselor or admin of this center."
        if errors:
            raise ValidationError(errors)
