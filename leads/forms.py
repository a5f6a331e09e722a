"""Forms of the web screens: one per verb, used by every screen that offers the verb (the lead
page, the board's dialog, the follow-up queue). They only shape input: the model verbs hold the
rules and their sentences.

Choice lists (assignees, trainers, batches) come from `CenterChoices`, scoped to the lead's
center and handed in as lists: one query per page, however many forms use them.
"""

from __future__ import annotations

import datetime
from functools import cached_property
from typing import Any

from django import forms
from django.db.models import Count
from django.utils import timezone

from accounts.models import Role, User
from leads import params  # dates within 2000-2100
from leads.models import Batch, ClosedReason, FollowUpOutcome, Gender, IVOutcome, LeadSource, ParentExpectation
from leads.phones import normalize_phone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects the view already loaded; cleans to the object itself."""

    def __init__(self, *, objects=(), label_from=str, empty_label: str | None = "—", **kwargs):
        self.objects = {str(obj.pk): obj for obj in objects}
        choices = [(pk, label_from(obj)) for pk, obj in self.objects.items()]
        if empty_label is not None:
            choices.insert(0, ("", empty_label))
        super().__init__(choices=choices, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


class CenterChoices:
    """The center's people and batches for the forms' choice lists: one query each, when needed."""

    def __init__(self, center):
        self.center = center

    @cached_property
    def people(self) -> list[User]:
        return list(User.objects.in_centers(self.center))

    @property
    def staff(self) -> list[User]:
        return [user for user in self.people if user.role in (Role.COUNSELOR, Role.CENTER_ADMIN)]

    @property
    def trainers(self) -> list[User]:
        return [user for user in self.people if user.role == Role.TRAINER]

    @cached_property
    def batches(self) -> list[Batch]:
        batches = list(
            Batch.objects.filter(center=self.center, is_active=True)
            .select_related("trainer")
            .annotate(enrolled=Count("enrollments"))
        )
        for batch in batches:
            batch.free_places = max(batch.capacity - batch.enrolled, 0)
        return batches

    def form_kwargs(self, form_class: type[forms.Form]) -> dict:
        """The choice lists `form_class` asks for (its `needs`)."""
        return {name: getattr(self, name) for name in getattr(form_class, "needs", ())}


def add_verb_errors(form: forms.Form, error, rename: dict[str, str] | None = None) -> None:
    """Show a model verb's ValidationError next to the fields it names (the rest on top);
    `rename` maps the verb's keys to the form's where they differ (else the form's ERROR_FIELDS)."""
    rename = rename if rename is not None else getattr(form, "ERROR_FIELDS", {})
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        key = rename.get(key, key)
        form.add_error(key if key in form.fields else None, messages)


def staff_label(user) -> str:
    return f"{user} ({user.get_role_display().lower()})"


def batch_label(batch) -> str:
    free = getattr(batch, "free_places", None)
    places = "" if free is None else f" · {free} of {batch.capacity} places free" if free > 0 else " · full"
    return f"{batch}{places}"


class EnquiryForm(forms.Form):
    """The spec's discovery form; field names mirror `Lead.create_enquiry`'s keys with _ for ."""

    center = ObjectChoiceField(label="Center", empty_label="Choose the center")
    child_first_name = forms.CharField(label="First name", max_length=80)
    child_last_name = forms.CharField(label="Last name", max_length=80, required=False)
    child_dob = forms.DateField(label="Date of birth", widget=DATE)
    child_gender = forms.ChoiceField(label="Gender", choices=Gender.choices, widget=forms.RadioSelect)
    parent_name = forms.CharField(label="Parent's name", max_length=120)
    parent_phone = forms.CharField(
        label="Phone", max_length=30, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    parent_email = forms.EmailField(label="Email", required=False)
    school = forms.CharField(label="School", max_length=160, required=False)
    source = forms.ChoiceField(label="How they heard of us", choices=LeadSource.choices, initial=LeadSource.WALK_IN)
    parent_expectations = forms.MultipleChoiceField(
        label="What the parents expect",
        choices=ParentExpectation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_schedule = forms.CharField(
        label="Preferred schedule",
        max_length=160,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Weekdays after 4 PM"}),
    )
    remarks = forms.CharField(label="Remarks", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assigned_to = ObjectChoiceField(label="Assigned to", required=False, label_from=staff_label)

    def __init__(self, *args, centers=(), staff=(), current_center=None, programs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._add_program_field(programs)
        centers = list(centers)
        if len(centers) <= 1:
            # One center: no choice to make, it is the center.
            del self.fields["center"]
            self.only_center = centers[0] if centers else None
        else:
            self.only_center = None
            self.fields["center"] = ObjectChoiceField(
                objects=centers, label="Center", empty_label="Choose the center", label_from=lambda c: c.name
            )
            if current_center is not None:
                self.fields["center"].initial = str(current_center.pk)
        self.fields["assigned_to"] = ObjectChoiceField(
            objects=staff, label="Assigned to", required=False, label_from=staff_label, empty_label="Me"
        )

    def _add_program_field(self, programs) -> None:
        """The program the parent asks about: a choice among the center's (the verb checks the center)."""
        programs = list(programs)
        several = len({program.center_id for program in programs}) > 1
        self.fields["program"] = ObjectChoiceField(
            objects=programs,
            label="Program",
            required=False,
            empty_label="Not decided yet",
            label_from=lambda p: f"{p.name} ({p.center.code})" if several else p.name,
        )

    def clean_child_first_name(self) -> str:
        return self.cleaned_data["child_first_name"].strip()

    def clean_child_dob(self) -> datetime.date:
        dob = self.cleaned_data["child_dob"]
        if dob > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if dob < timezone.localdate() - datetime.timedelta(days=365 * 18):
            raise forms.ValidationError("This child would be over 18: check the year.")
        return dob

    def clean_parent_phone(self) -> str:
        return normalize_phone(self.cleaned_data["parent_phone"])

    def chosen_center(self):
        return self.only_center or self.cleaned_data.get("center")

    def enquiry_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "center": self.chosen_center(),
            "child": {
                "first_name": data["child_first_name"],
                "last_name": data["child_last_name"],
                "dob": data["child_dob"],
                "gender": data["child_gender"],
            },
            "parent": {"name": data["parent_name"], "phone": data["parent_phone"], "email": data["parent_email"]},
            "source": data["source"],
            "school": data["school"],
            "preferred_schedule": data["preferred_schedule"],
            "parent_expectations": data["parent_expectations"],
            "remarks": data["remarks"],
            "assigned_to": data.get("assigned_to"),
            "program": data.get("program"),
        }

    @staticmethod
    def field_for_error_key(key: str) -> str | None:
        """Map the verb's error keys ("child.dob", "parent.phone", "child.school") to fields."""
        key = {"child.school": "school", "__all__": None}.get(key, key)
        return key.replace(".", "_") if key else None


# -- lead page actions ---------------------------------------------------------------------------


class DiscoveryForm(forms.Form):
    school = forms.CharField(max_length=160, required=False)
    preferred_schedule = forms.CharField(max_length=160, required=False)
    parent_expectations = forms.MultipleChoiceField(
        label="Parent expectations",
        choices=ParentExpectation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    discovery_notes = forms.CharField(label="Discovery notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ScheduleVisitForm(forms.Form):
    """`lead.schedule_intro_visit`."""

    needs = ("batches", "trainers")
    batch = ObjectChoiceField(label="Batch", empty_label="Choose a batch", label_from=batch_label)
    trainer = ObjectChoiceField(label="Trainer", required=False, empty_label="The batch's trainer")
    scheduled_at = params.DateTimeField(label="Date and time", widget=DATETIME)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, batches=(), trainers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"] = ObjectChoiceField(
            objects=batches, label="Batch", empty_label="Choose a batch", label_from=batch_label
        )
        self.fields["trainer"] = ObjectChoiceField(
            objects=trainers, label="Trainer", required=False, empty_label="The batch's trainer"
        )


class OutcomeForm(forms.Form):
    """`intro_visit.record_outcome`; `outcomes` narrows the choice (the board's drop on Follow-up
    pending offers the two that land there), `with_follow_up` adds an optional next call."""

    outcome = forms.ChoiceField(choices=IVOutcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_date = params.DateField(required=False, widget=DATE, help_text="Optional: when to call next.")

    def __init__(self, *args, outcomes: list[str] | None = None, with_follow_up: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if outcomes is not None:
            self.fields["outcome"].choices = [(value, IVOutcome(value).label) for value in outcomes]
        if not with_follow_up:
            del self.fields["follow_up_date"]


class FollowUpForm(forms.Form):
    """`lead.add_follow_up`."""

    needs = ("staff",)
    scheduled_date = params.DateField(label="Call on", widget=DATE)
    assigned_to = ObjectChoiceField(label="Who calls", required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"] = ObjectChoiceField(
            objects=staff, label="Who calls", required=False, label_from=staff_label, empty_label="The lead's assignee"
        )


class CompleteFollowUpForm(forms.Form):
    """`follow_up.complete`: one form for every outcome; `clean` asks only for the chosen outcome's
    fields (the model verb checks them again, with the same sentences)."""

    needs = ("batches", "trainers")
    LABELS = {
        FollowUpOutcome.ENROLLED: "Enrolling: convert now",
        FollowUpOutcome.SCHEDULED_IV: "Booked an intro visit",
        FollowUpOutcome.POSTPONED: "Call again later",
        FollowUpOutcome.LOST: "Not joining: close the lead",
    }
    outcome = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="Outcome")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # POSTPONED
    next_date = params.DateField(required=False, widget=DATE, label="Call again on")
    # LOST
    category = forms.ChoiceField(
        choices=ClosedReason.choices, initial=ClosedReason.OTHER, required=False, label="Reason category"
    )
    reason = forms.CharField(required=False, max_length=500, label="Why are they not joining?")
    # SCHEDULED_IV and ENROLLED
    batch = ObjectChoiceField(label="Batch", required=False)
    # SCHEDULED_IV
    trainer = ObjectChoiceField(label="Trainer", required=False)
    scheduled_at = params.DateTimeField(required=False, widget=DATETIME, label="Visit date and time")
    # ENROLLED
    start_date = params.DateField(required=False, widget=DATE, label="First class")
    plan = forms.CharField(required=False, max_length=80, label="Plan", help_text="e.g. Weekly, 3 months")

    REQUIRED = {
        FollowUpOutcome.POSTPONED: {"next_date": "Pick the date of the next follow-up."},
        FollowUpOutcome.LOST: {"reason": "Say why the family is not joining."},
        FollowUpOutcome.SCHEDULED_IV: {
            "batch": "Choose the batch the child will try.",
            "scheduled_at": "Enter the date and time of the visit.",
        },
        FollowUpOutcome.ENROLLED: {"batch": "Choose the batch.", "start_date": "Enter the first class date."},
    }
    #: Which fields each outcome shows: (CSS classes of the outcomes that show them, fields).
    GROUPS = (
        ("of-POSTPONED", ["next_date"]),
        ("of-LOST", ["category", "reason"]),
        ("of-SCHEDULED_IV of-ENROLLED", ["batch"]),
        ("of-SCHEDULED_IV", ["trainer", "scheduled_at"]),
        ("of-ENROLLED", ["start_date", "plan"]),
    )

    def __init__(self, *args, batches=(), trainers=(), outcomes: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        outcomes = outcomes or list(self.LABELS)
        self.fields["outcome"].choices = [(value, self.LABELS[value]) for value in outcomes]
        self.fields["batch"] = ObjectChoiceField(
            objects=batches, label="Batch", required=False, empty_label="Choose a batch", label_from=batch_label
        )
        self.fields["trainer"] = ObjectChoiceField(
            objects=trainers, label="Trainer", required=False, empty_label="The batch's trainer"
        )
        self.only_outcome = outcomes[0] if len(outcomes) == 1 else None
        if self.only_outcome:  # a form for one outcome (the lead page's "Postpone")
            self.fields["outcome"].initial = self.only_outcome
            self.fields["outcome"].required = False
            self.fields["outcome"].widget = forms.HiddenInput()
            shown = {name for classes, names in self.GROUPS if f"of-{outcomes[0]}" in classes for name in names}
            for name in [n for n in self.fields if n not in shown | {"outcome", "notes"}]:
                del self.fields[name]
            self.order_fields([*shown, "notes"])

    def clean_outcome(self) -> str:
        return self.only_outcome or self.cleaned_data["outcome"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, message in self.REQUIRED.get(data.get("outcome"), {}).items():
            if name in self.fields and not data.get(name):
                self.add_error(name, message)
        return data

    def groups(self) -> list[tuple[str, list]]:
        return [(classes, [self[name] for name in names if name in self.fields]) for classes, names in self.GROUPS]

    def complete_kwargs(self) -> dict[str, Any]:
        """`follow_up.complete`'s keyword arguments for the chosen outcome."""
        data = self.cleaned_data
        outcome = data["outcome"]
        kwargs: dict[str, Any] = {"outcome": outcome, "notes": data.get("notes", "")}
        if outcome == FollowUpOutcome.POSTPONED:
            kwargs["next_date"] = data["next_date"]
        elif outcome == FollowUpOutcome.LOST:
            kwargs["reason"] = data["reason"]
            kwargs["category"] = data.get("category") or ClosedReason.OTHER
        elif outcome == FollowUpOutcome.SCHEDULED_IV:
            kwargs["intro_visit"] = {
                "scheduled_at": data["scheduled_at"],
                "batch": data["batch"],
                "trainer": data.get("trainer"),
                "notes": data.get("notes", ""),
            }
        elif outcome == FollowUpOutcome.ENROLLED:
            kwargs["enroll"] = {"batch": data["batch"], "start_date": data["start_date"], "plan": data.get("plan", "")}
        return kwargs

    #: The verb's error keys -> this form's fields.
    ERROR_FIELDS = {"next_follow_up_date": "next_date", "scheduled_date": "next_date", "enrollment": "batch"}


class ConvertForm(forms.Form):
    """`lead.enroll_and_convert` (the start-date and capacity rules are the model's)."""

    needs = ("batches",)
    batch = ObjectChoiceField(label="Batch")
    start_date = params.DateField(label="First class", widget=DATE)
    plan = forms.CharField(
        label="Plan",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Weekly, 3 months"}),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, batches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"] = ObjectChoiceField(
            objects=batches, label="Batch", empty_label="Choose a batch", label_from=batch_label
        )


class CloseForm(forms.Form):
    """`lead.close` (the lead page, the board's dialog and admin's "Close selected leads")."""

    category = forms.ChoiceField(label="Reason category", choices=ClosedReason.choices, initial=ClosedReason.OTHER)
    reason = forms.CharField(label="Why is it lost?", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(forms.Form):
    """`lead.reopen`."""

    follow_up_date = params.DateField(label="Call again on", required=False, widget=DATE)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReassignForm(forms.Form):
    needs = ("staff",)
    assigned_to = ObjectChoiceField(label="Assign to", required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"] = ObjectChoiceField(
            objects=staff, label="Assign to", required=False, label_from=staff_label, empty_label="Nobody"
        )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Write a note for the team…"}),
    )
