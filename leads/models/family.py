"""The family behind a lead: children, parents and the link between them."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import CenterScopedQuerySet
from leads.phones import display_phone, normalize_phone


class Gender(models.TextChoices):
    BOY = "Boy", "Boy"
    GIRL = "Girl", "Girl"
    OTHER = "Other", "Other"


class FamilyQuerySet(CenterScopedQuerySet):
    """Children, parents, batches and enrollments: scoped by their own center."""


class PhoneField(models.CharField):
    """A phone number, always stored in E.164 whatever door saved it (forms, admin, API, import).

    `to_python` (run by `full_clean` and every model form) turns "98765 43210" into +919876543210
    or says what is wrong; `pre_save` normalises what code assigned directly, so a row never holds
    a number as typed and the family lookup by phone always finds it.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalize_phone(value)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value not in self.empty_values:
            try:
                value = normalize_phone(value)
            except ValidationError:
                pass  # full_clean reports it; a raw save keeps what it was given rather than fail late
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        # Exact lookups by a typed number find the stored E.164 one (`filter(phone="98765 43210")`).
        value = super().get_prep_value(value)
        if isinstance(value, str) and value:
            try:
                return normalize_phone(value)
            except ValidationError:
                return value
        return value


class Parent(models.Model):
    center = models.ForeignKey("accounts.Center", on_delete=models.PROTECT, related_name="parents")
    name = models.CharField(max_length=120)
    phone = PhoneField(help_text="Stored in E.164, e.g. +919876543210.")
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once by `leads.erasure.erase_family`: the name, phone and email were overwritten.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

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
    # A phone enquiry often gives only the age: `dob` is then worked back from it and flagged, shown
    # as "about 4 y" everywhere, and editing the child with the real date clears the flag.
    dob_is_approximate = models.BooleanField(
        "date of birth is approximate", default=False, help_text="Worked back from the age the parent gave."
    )
    gender = models.CharField(max_length=8, choices=Gender)
    school = models.CharField(max_length=160, blank=True)
    parents = models.ManyToManyField(Parent, through="FamilyLink", related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once by `leads.erasure.erase_family`: names, school and birth day were overwritten.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

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
        if self.dob_is_approximate:
            # Only what the parent said: years (months for babies), never a false precision.
            return f"about {months} mo" if years == 0 else f"about {years} y"
        if years == 0:
            return f"{months} mo"
        return f"{years} y {months} mo" if months else f"{years} y"

    @property
    def dob_display(self) -> str:
        """The birth date as the pages show it: the date, or "about 4 y" when only the age is known."""
        if self.dob_is_approximate:
            return f"{self.age_display} (age given, date unknown)"
        return f"{self.dob:%-d %b %Y}"


def approximate_dob(today: datetime.date, years: int, months: int | None = None) -> datetime.date:
    """The birth date of a child `years` (and `months`) old today: the middle of the year of age
    when only years are known ("4" is 4 y 6 mo on average), else the middle of that month."""
    total = years * 12 + (6 if months is None else months)
    year, month = divmod(today.year * 12 + today.month - 1 - total, 12)
    day = min(today.day, 28)
    return datetime.date(year, month + 1, day) - datetime.timedelta(days=15)


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


def primary_parent_of(child_id: int) -> Parent | None:
    """The child's primary parent (else the first linked): whom messages go to and whose consent counts."""
    # An erased parent (leads.erasure) has a placeholder number: no message or call goes to it.
    link = (
        FamilyLink.objects.filter(child_id=child_id, parent__erased_at__isnull=True)
        .select_related("parent")
        .order_by("-is_primary", "pk")
        .first()
    )
    return link.parent if link else None


def find_family(
    center,
    phone: str,
    *,
    first_name: str,
    last_name: str,
    dob: datetime.date | None,
    dob_is_approximate: bool = False,
) -> tuple[Parent | None, Child | None]:
    """The family an enquiry belongs to: the parent with this phone in the center, and among their
    children the one with this name and date of birth (None where there is no match)."""
    parent = Parent.objects.filter(center=center, phone=phone).first()
    if parent is None:
        return None, None
    # An approximate birth date (an age the parent gave) matches the same child by name alone.
    same_birth = models.Q(dob=dob) | models.Q(dob_is_approximate=True)
    if dob_is_approximate:
        same_birth = models.Q()
    child = (
        Child.objects.filter(links__parent=parent, first_name__iexact=first_name, last_name__iexact=last_name)
        .filter(same_birth)
        .order_by("dob_is_approximate", "pk")
        .first()
    )
    return parent, child
