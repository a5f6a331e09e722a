"""Forms of the web screens. They only shape input: the model verbs do the real validation.

Choice lists (assignees, trainers, batches, centers) are built by the views from querysets
scoped with `for_user`, and handed in as lists: one query per page, however many forms use them.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from leads import params  # dates within 2000-2100
from leads.models import ClosedReason, FollowUpOutcome, Gender, IVOutcome, LeadSource, ParentExpectation
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

    def __init__(self, *args, centers=(), staff=(), current_center=None, **kwargs):
        super().__init__(*args, **kwargs)
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
    outcome = forms.ChoiceField(choices=IVOutcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    scheduled_date = params.DateField(label="Call on", widget=DATE)
    assigned_to = ObjectChoiceField(label="Who calls", required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"] = ObjectChoiceField(
            objects=staff, label="Who calls", required=False, label_from=staff_label, empty_label="The lead's assignee"
        )


class FollowUpCompleteForm(forms.Form):
    """What came of the call. Each outcome needs its own details (checked in clean)."""

    OUTCOMES = [
        (FollowUpOutcome.ENROLLED, "Enrolling: convert now"),
        (FollowUpOutcome.SCHEDULED_IV, "Booked an intro visit"),
        (FollowUpOutcome.LOST, "Not joining: close the lead"),
    ]
    outcome = forms.ChoiceField(choices=OUTCOMES, widget=forms.RadioSelect)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.ChoiceField(
        label="Reason category", choices=ClosedReason.choices, required=False, initial=ClosedReason.OTHER
    )
    reason = forms.CharField(label="Why not", max_length=500, required=False)
    batch = ObjectChoiceField(label="Batch", required=False)
    scheduled_at = params.DateTimeField(label="Visit date and time", required=False, widget=DATETIME)
    start_date = params.DateField(label="Start date", required=False, widget=DATE)
    plan = forms.CharField(label="Plan", max_length=80, required=False)

    def __init__(self, *args, batches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"] = ObjectChoiceField(
            objects=batches, label="Batch", required=False, empty_label="Choose a batch", label_from=batch_label
        )

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == FollowUpOutcome.LOST and not data.get("reason"):
            self.add_error("reason", "Say why the family is not joining.")
        if outcome in (FollowUpOutcome.ENROLLED, FollowUpOutcome.SCHEDULED_IV) and not data.get("batch"):
            self.add_error("batch", "Choose the batch.")
        if outcome == FollowUpOutcome.SCHEDULED_IV and not data.get("scheduled_at"):
            self.add_error("scheduled_at", "Enter the date and time of the visit.")
        if outcome == FollowUpOutcome.ENROLLED and not data.get("start_date"):
            self.add_error("start_date", "Enter the first class date.")
        return data


class PostponeForm(forms.Form):
    next_date = params.DateField(label="Call again on", widget=DATE)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConvertForm(forms.Form):
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

    def clean_start_date(self) -> datetime.date:
        start = self.cleaned_data["start_date"]
        if start < timezone.localdate() - datetime.timedelta(days=60):
            raise forms.ValidationError("The first class is more than two months ago: check the date.")
        return start


class CloseForm(forms.Form):
    category = forms.ChoiceField(label="Reason category", choices=ClosedReason.choices)
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(forms.Form):
    follow_up_date = params.DateField(label="Call again on", required=False, widget=DATE)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReassignForm(forms.Form):
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
