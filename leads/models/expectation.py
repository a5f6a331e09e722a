"""What the parents expect from the classes: each center's own list of choices.

The spec's "new expectation types without schema changes": a center admin adds, renames, orders
or retires a choice in admin; a lead stores the chosen codes (`Lead.parent_expectations`). The
lifecycle's ParentExpectation enum is only the starting list a new center is given (`seed`).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from accounts.models import Center, CenterScopedQuerySet
from leads.lifecycle import ParentExpectation


class ExpectationChoiceQuerySet(CenterScopedQuerySet):
    def active(self) -> ExpectationChoiceQuerySet:
        return self.filter(active=True)


class ExpectationChoice(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="expectation_choices")
    code = models.CharField(
        max_length=40,
        validators=[RegexValidator(r"^[a-z0-9_]+$", "Use lower-case letters, digits and _, e.g. swimming_safety.")],
        help_text="Stored on the lead and sent by the API; keep it once leads use it (rename the label instead).",
    )
    label = models.CharField(max_length=80)
    active = models.BooleanField(default=True, help_text="Retired choices stay on the leads that have them.")
    order = models.PositiveSmallIntegerField(default=0)

    objects = ExpectationChoiceQuerySet.as_manager()

    class Meta:
        ordering = ["center", "order", "label"]
        constraints = [
            models.UniqueConstraint(fields=["center", "code"], name="expectation_code_unique_per_center"),
        ]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def seed(cls, center: Center) -> None:
        """Give `center` the starting list (ParentExpectation), keeping any choice it has already."""
        cls.objects.bulk_create(
            [
                cls(center=center, code=value, label=label, order=index * 10)
                for index, (value, label) in enumerate(ParentExpectation.choices)
            ],
            ignore_conflicts=True,
        )

    @classmethod
    def choices_for(cls, center: Center | None, *, keep: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """The center's active choices in order, plus retired ones still in `keep` (a lead's own)."""
        if center is None:
            return []
        rows = cls.objects.filter(center=center).filter(models.Q(active=True) | models.Q(code__in=list(keep)))
        return list(rows.values_list("code", "label"))


def check_expectations(values, center: Center, *, keep=()) -> tuple[list[str], list[str]]:
    """(the cleaned codes, problems): every value must be one of the center's choices."""
    if values is None:
        return [], []
    if not isinstance(values, list | tuple):
        return [], ["Send a list of expectations."]
    allowed = dict(ExpectationChoice.choices_for(center, keep=keep))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        return [], [
            f"Unknown expectation: {', '.join(map(str, unknown))}. "
            f"Choose from {', '.join(allowed) or 'nothing yet (add the choices in admin)'}."
        ]
    return list(dict.fromkeys(values)), []
