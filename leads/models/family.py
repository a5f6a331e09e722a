"""The family behind a lead: children, parents and the link between them."""

from __future__ import annotations

import datetime

from django.db import models

from accounts.models import CenterScopedQuerySet
from leads.phones import display_phone, validate_phone


class Gender(models.TextChoices):
    BOY = "Boy", "Boy"
    GIRL = "Girl", "Girl"
    OTHER = "Other", "Other"


class FamilyQuerySet(CenterScopedQuerySet):
    """Children, parents, batches and enrollments: scoped by their own center."""


class Parent(models.Model):
    center = models.ForeignKey("accounts.Center", on_delete=models.PROTECT, related_name="parents")
    name = models.CharField(max_length=120)
    phone = models.CharField(
        max_length=20, validators=[validate_phone], help_text="Stored in E.164, e.g. +919876543210."
    )
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # The enquiry form finds a family by phone: one parent per phone in a center.
            models.UniqueConstraint(fields=["center", "phone"], name="parent_phone_unique_per_center"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_phone})"

    @property
    def display_phone(self) -> str:
        return display_phone(self.phone)


class Child(models.Model):
    center = models.ForeignKey("accounts.Center", on_delete=models.PROTECT, related_name="children")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80, blank=True)
    dob = models.DateField("date of birth")
    gender = models.CharField(max_length=8, choices=Gender)
    school = models.CharField(max_length=160, blank=True)
    parents = models.ManyToManyField(Parent, through="FamilyLink", related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        ordering = ["first_name", "last_name"]
        verbose_name_plural = "children"
        constraints = [
            models.CheckConstraint(condition=models.Q(gender__in=Gender.values), name="child_gender_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def age_on(self, day: datetime.date) -> tuple[int, int]:
        """Age in (years, months) on `day`."""
        months = (day.year - self.dob.year) * 12 + day.month - self.dob.month
        if day.day < self.dob.day:
            months -= 1
        months = max(months, 0)
        return months // 12, months % 12

    @property
    def age_display(self) -> str:
        years, months = self.age_on(datetime.date.today())
        if years == 0:
            return f"{months} mo"
        return f"{years} y {months} mo" if months else f"{years} y"


class FamilyLink(models.Model):
    parent = models.ForeignKey(Parent, on_delete=models.CASCADE, related_name="links")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="links")
    relationship = models.CharField(max_length=40, default="Parent")
    is_primary = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="family_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} → {self.child.full_name}"
