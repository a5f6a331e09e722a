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
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from leads import params  # dates within 2000-2100
from leads.lifecycle import FOLLOW_UP_DEFAULT_TIME, FOLLOW_UP_NEEDS_REASON
from leads.models import (
    Batch,
    ClosedReason,
    ExpectationChoice,
    FollowUpOutcome,
    Gender,
    IVOutcome,
    LeadSource,
)
from leads.models.consent import RECORDABLE_METHODS, ConsentMethod, check_consent
from leads.models.enrollment import Session, sessions_of
from leads.models.lead import DIFFERENT_PERSON, SAME_PARENT
from leads.phones import normalize_phone

CLOSE_CATEGORY_REQUIRED = "Choose why the lead is lost."
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class FollowUpTimeField(params.DateTimeField):
    """When to call: a date and time in the center's clock (bind the form inside
    `timezone.override(center.tzinfo)`); a bare date is FOLLOW_UP_DEFAULT_TIME that day, as in the API."""

    widget = DATETIME

    def to_python(self, value):
        if isinstance(value, str) and len(value.strip()) == 10:
            value = f"{value.strip()}T{FOLLOW_UP_DEFAULT_TIME:%H:%M}"
        return super().to_python(value)


def follow_up_initial(day: datetime.date, tz) -> datetime.datetime:
    """A form's suggested follow-up time: FOLLOW_UP_DEFAULT_TIME on `day`, in the center's clock."""
    return datetime.datetime.combine(day, FOLLOW_UP_DEFAULT_TIME, tzinfo=tz)


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

    def __init__(self, center, user: User | None = None, *, lead=None):
        self.center = center
        self.user = user
        self.lead = lead

    @property
    def may_override_age_band(self) -> bool:
        """Only a center admin (or super admin) books a child outside a batch's age band."""
        from accounts.models import Action

        return self.user is not None and self.user.may(Action.MANAGE_CENTER, self.center)

    @cached_property
    def sessions(self) -> list[tuple[Batch, list[Session]]]:
        """Each active batch with its next sessions and their free seats (one more query)."""
        by_batch = sessions_of(self.batches)
        return [(batch, by_batch[batch.pk]) for batch in self.batches]

    @cached_property
    def expectation_choices(self) -> list[tuple[str, str]]:
        """The center's "what the parents expect" list, with any retired choice the lead still has."""
        keep = (self.lead.parent_expectations or []) if self.lead is not None else []
        return ExpectationChoice.choices_for(self.center, keep=keep)

    @cached_property
    def people(self) -> list[User]:
        return list(User.objects.in_centers(self.center).with_role_in(self.center))

    @property
    def staff(self) -> list[User]:
        return [user for user in self.people if user.center_role in (Role.COUNSELOR, Role.CENTER_ADMIN)]

    @property
    def trainers(self) -> list[User]:
        return [user for user in self.people if user.center_role == Role.TRAINER]

    @property
    def interval_days(self) -> int:
        """The center's default gap before the next call (a postponed follow-up without a date)."""
        return self.center.follow_up_interval_days

    @cached_property
    def batches(self) -> list[Batch]:
        batches = list(
            Batch.objects.filter(center=self.center, is_active=True)
            .select_related("trainer")
            .annotate(enrolled=Count("enrollments"))
        )
        for batch in batches:
            batch.center = self.center  # their sessions are in its time zone: no query per batch
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
    """ "Priya Sharma (counselor)", or "Priya Sharma (counselor, TLGC)" once `mark_centers` ran."""
    label = user.__dict__.get("center_label")
    return f"{user} ({user.get_role_display().lower()}{', ' + label if label else ''})"


def batch_label(batch) -> str:
    free = getattr(batch, "free_places", None)
    places = "" if free is None else f" · {free} of {batch.capacity} places free" if free > 0 else " · full"
    return f"{batch}{places}"


class ConsentForm(forms.Form):
    """The parent's consent as a counselor records it (enquiry form, lead page): how and to what.

    No rule here: `check_consent` (the verb's) says what is missing, and the form shows it next to
    the field (`field_for_error_key`). The web-form method is the public form's, so it is not offered.
    """

    consent_method = forms.ChoiceField(
        label="How the parent agreed",
        choices=[(m, ConsentMethod(m).label) for m in RECORDABLE_METHODS if m != ConsentMethod.WEB_FORM],
        required=False,
        widget=forms.RadioSelect,
    )
    consent_processing = forms.BooleanField(
        label="The parent agrees that we keep this enquiry's data (needed to save it)", required=False
    )
    consent_reminders = forms.BooleanField(label="Reminders by SMS, WhatsApp or email", required=False)
    consent_marketing = forms.BooleanField(label="News and offers (marketing)", required=False)
    #: The notice version the page showed; the verb refuses if a newer one was published meanwhile.
    consent_notice_version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def consent_data(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("consent_method") and not data.get("consent_processing"):
            return None  # nothing recorded: the verb says what to do
        return {
            "method": data.get("consent_method"),
            "processing": bool(data.get("consent_processing")),
            "reminders": bool(data.get("consent_reminders")),
            "marketing": bool(data.get("consent_marketing")),
            "notice_version": data.get("consent_notice_version"),
        }

    #: The verb's "consent" / "consent.<field>" keys to the field they belong next to.
    ERROR_FIELDS = {
        "consent": "consent_method",
        "consent.method": "consent_method",
        "consent.processing": "consent_processing",
        "consent.notice_version": "consent_processing",
        "consent.obtained_at": "consent_processing",
        "consent.address": "consent_processing",
    }

    @classmethod
    def consent_field_for_error_key(cls, key: str) -> str | None:
        return cls.ERROR_FIELDS.get(key)


class EnquiryForm(ConsentForm):
    """The spec's discovery form; field names mirror `Lead.create_enquiry`'s keys with _ for ."""

    center = ObjectChoiceField(label="Center", empty_label="Choose the center")
    child_first_name = forms.CharField(label="First name", max_length=80)
    child_last_name = forms.CharField(label="Last name", max_length=80, required=False)
    child_dob = forms.DateField(label="Date of birth", widget=DATE, required=False)
    # A phone enquiry often gives only the age: the verb works an approximate date of birth back from it.
    child_age = forms.IntegerField(label="or age (years)", min_value=0, max_value=18, required=False)
    child_age_months = forms.IntegerField(label="and months", min_value=0, max_value=11, required=False)
    child_gender = forms.ChoiceField(label="Gender", choices=Gender.choices, widget=forms.RadioSelect)
    parent_name = forms.CharField(label="Parent's name", max_length=120)
    parent_phone = forms.CharField(
        label="Phone", max_length=30, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    parent_email = forms.EmailField(label="Email", required=False)
    #: Asked when the phone is known under another name (templates/leads/_phone_match.html).
    same_parent = forms.ChoiceField(
        label="Same parent or a different person?",
        choices=[(SAME_PARENT, "Same parent"), (DIFFERENT_PERSON, "A different person")],
        required=False,
        widget=forms.RadioSelect,
    )
    #: One per rendered form: a second submit of it is a double submit, not a re-entry.
    submission = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    # The intake inbox item this enquiry is made from (leads/views/intake_inbox.py): linked on save.
    intake = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    school = forms.CharField(label="School", max_length=160, required=False)
    # No default: a pre-selected "Walk-in" would count every unasked enquiry as a walk-in.
    source = forms.ChoiceField(
        label="How they heard of us",
        choices=[("", "Choose how they heard of us"), *LeadSource.choices],
        error_messages={"required": "Choose how the family heard of us."},
    )
    parent_expectations = forms.MultipleChoiceField(
        label="What the parents expect",
        choices=(),  # the center's own list: `expectation_choices`
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

    def __init__(
        self,
        *args,
        centers=(),
        staff=(),
        current_center=None,
        expectation_choices=(),
        programs=(),
        automatic=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["parent_expectations"].choices = list(expectation_choices)
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
            objects=staff,
            label="Assigned to",
            required=False,
            label_from=staff_label,
            # Left empty, the verb applies the center's automatic assignment (leads/assignment.py);
            # a center that keeps "whoever records it" gives it to the one typing.
            empty_label="Automatic (the center's rule)" if automatic else "Me",
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

    def clean_child_dob(self) -> datetime.date | None:
        dob = self.cleaned_data["child_dob"]
        if dob is None:
            return None
        if dob > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if dob < timezone.localdate() - datetime.timedelta(days=365 * 18):
            raise forms.ValidationError("This child would be over 18: check the year.")
        return dob

    def clean_parent_phone(self) -> str:
        return normalize_phone(self.cleaned_data["parent_phone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        no_dob = "child_dob" in data and data["child_dob"] is None
        no_age = data.get("child_age") is None and data.get("child_age_months") is None
        age_errors = {"child_age", "child_age_months"} & set(self.errors)
        if no_dob and no_age and not age_errors:
            self.add_error("child_dob", "Enter the date of birth, or the age if the parent does not know it.")
        self._check_consent_now()
        return data

    def _check_consent_now(self) -> None:
        """The verb's consent check, run with the other fields' errors too, so one submit shows them
        all (the verb runs it again on save; it is the one rule, not a copy)."""
        center = self.chosen_center()
        if center is None:
            return
        try:
            check_consent(self.consent_data(), center)
        except forms.ValidationError as error:
            for key, messages in error.message_dict.items():
                field = self.ERROR_FIELDS.get(key)
                if field not in self.errors:
                    self.add_error(field, messages)

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
                "age": data.get("child_age"),
                "age_months": data.get("child_age_months"),
                "gender": data["child_gender"],
            },
            "parent": {
                "name": data["parent_name"],
                "phone": data["parent_phone"],
                "email": data["parent_email"],
                "same_parent": data.get("same_parent") or None,
            },
            "source": data["source"],
            "school": data["school"],
            "preferred_schedule": data["preferred_schedule"],
            "parent_expectations": data["parent_expectations"],
            "remarks": data["remarks"],
            "assigned_to": data.get("assigned_to"),
            "program": data.get("program"),
            "consent": self.consent_data(),
        }

    @staticmethod
    def field_for_error_key(key: str) -> str | None:
        """Map the verb's error keys ("child.dob", "parent.phone", "child.school") to fields."""
        if key.startswith("consent"):
            return ConsentForm.consent_field_for_error_key(key)
        key = {"child.school": "school", "__all__": None}.get(key, key)
        return key.replace(".", "_") if key else None


# -- lead page actions ---------------------------------------------------------------------------


class DiscoveryForm(forms.Form):
    needs = ("expectation_choices",)
    school = forms.CharField(max_length=160, required=False)
    preferred_schedule = forms.CharField(max_length=160, required=False)
    parent_expectations = forms.MultipleChoiceField(
        label="Parent expectations",
        choices=(),  # the lead's center's own list
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    discovery_notes = forms.CharField(label="Discovery notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, expectation_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent_expectations"].choices = list(expectation_choices)


class SessionChoiceField(forms.ChoiceField):
    """A choice among the batches' coming sessions, grouped by batch ("Tiny Tumblers · 2 y to 3 y"
    then "Sat 5 Dec, 4:00 PM · 3 seats free"); cleans to `(batch, starts_at)`. A session of a known
    batch that is no longer offered (the page was open a while) is passed on: the verb names the rule."""

    def __init__(self, *, sessions=(), **kwargs):
        self.batches = {str(batch.pk): batch for batch, _ in sessions}
        choices = [("", "Choose a session")] + [
            (f"{batch.name} · {batch.age_band}", [(s.value, _session_label(s)) for s in batch_sessions])
            for batch, batch_sessions in sessions
        ]
        kwargs.setdefault("label", "Session")
        super().__init__(choices=choices, **kwargs)

    def _parse(self, value: str) -> tuple[Batch, datetime.datetime] | None:
        batch_pk, _, at = (value or "").partition("|")
        batch = self.batches.get(batch_pk)
        try:
            starts_at = datetime.datetime.fromisoformat(at)
        except ValueError:
            return None
        if batch is None or timezone.is_naive(starts_at) or not 2000 <= starts_at.year <= 2100:
            return None
        return batch, starts_at

    def valid_value(self, value) -> bool:
        return self._parse(str(value)) is not None

    def clean(self, value):
        value = super().clean(value)
        return self._parse(value) if value else None


def _session_label(session: Session) -> str:
    """`Sat 5 Dec, 4:00 PM · Tiny Tumblers · 3 seats free`: time first, so a narrow select still shows it."""
    when, _, seats = session.label.partition(" · ")
    return f"{when} · {session.batch.name} · {seats}"


class SessionFormMixin:
    """The session picker and, for those who may use it, the age-band override: what booking and
    rebooking a visit ask for. `clean` hands the verb `batch` and `scheduled_at`."""

    ERROR_FIELDS = {"batch": "session", "scheduled_at": "session"}

    def add_session_fields(self, sessions, trainers, may_override: bool, *, required: bool = True) -> None:
        self.fields["session"] = SessionChoiceField(sessions=sessions, required=required)
        self.fields["trainer"] = ObjectChoiceField(
            objects=trainers, label="Trainer", required=False, empty_label="The batch's trainer"
        )
        if may_override:
            self.fields["override_age_band"] = forms.BooleanField(
                required=False,
                label="Book even if the child is outside the batch's age band",
                help_text="Center admins only; the history notes the override.",
            )

    def session_data(self, data: dict) -> dict:
        session = data.get("session")
        data["batch"], data["scheduled_at"] = session if session else (None, None)
        data.setdefault("override_age_band", False)
        return data


class ScheduleVisitForm(SessionFormMixin, forms.Form):
    """`lead.schedule_intro_visit`: one of the batches' next sessions, never a free date-time."""

    needs = ("sessions", "trainers", "may_override_age_band")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, sessions=(), trainers=(), may_override_age_band=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_session_fields(sessions, trainers, may_override_age_band)
        self.order_fields(["session", "trainer", "override_age_band", "notes"])

    def clean(self) -> dict[str, Any]:
        return self.session_data(super().clean())


class RescheduleVisitForm(ScheduleVisitForm):
    """`intro_visit.reschedule`: another session, the same rules."""


class CancelVisitForm(forms.Form):
    """`intro_visit.cancel`."""

    reason = forms.CharField(
        label="Why is the visit cancelled?", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class OutcomeForm(forms.Form):
    """`intro_visit.record_outcome`; `outcomes` narrows the choice (the board's drop on Follow-up
    pending offers the two that land there), `with_follow_up` adds an optional next call."""

    outcome = forms.ChoiceField(choices=IVOutcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_date = FollowUpTimeField(required=False, label="Call next on", help_text="Optional: when to call next.")

    def __init__(self, *args, outcomes: list[str] | None = None, with_follow_up: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if outcomes is not None:
            self.fields["outcome"].choices = [(value, IVOutcome(value).label) for value in outcomes]
        if not with_follow_up:
            del self.fields["follow_up_date"]


class FollowUpForm(forms.Form):
    """`lead.add_follow_up`."""

    needs = ("staff",)
    scheduled_date = FollowUpTimeField(label="Call on")
    assigned_to = ObjectChoiceField(label="Who calls", required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"] = ObjectChoiceField(
            objects=staff, label="Who calls", required=False, label_from=staff_label, empty_label="The lead's assignee"
        )


class CompleteFollowUpForm(SessionFormMixin, forms.Form):
    """`follow_up.complete`: one form for every outcome; `clean` asks only for what the verb cannot
    do without (it checks again, with the same sentences). What the verb fills in itself is optional
    here too: the next date of POSTPONED (the center's interval), the reason of LOST (the notes),
    the visit of SCHEDULED_IV (a "book the visit" follow-up due today)."""

    needs = ("batches", "trainers", "sessions", "may_override_age_band", "interval_days")
    LABELS = {
        FollowUpOutcome.ENROLLED: "Enrolling: convert now",
        FollowUpOutcome.SCHEDULED_IV: "Booked an intro visit",
        FollowUpOutcome.POSTPONED: "Call again later",
        FollowUpOutcome.LOST: "Not joining: close the lead",
    }
    outcome = forms.ChoiceField(choices=(), widget=forms.RadioSelect, label="Outcome")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # POSTPONED
    next_date = FollowUpTimeField(required=False, label="Call again on")
    # LOST
    category = forms.ChoiceField(
        choices=[("", "Choose a category"), *ClosedReason.choices], required=False, label="Reason category"
    )
    reason = forms.CharField(
        required=False, max_length=500, label="Why are they not joining?", help_text="Empty: the notes are the reason."
    )
    # SCHEDULED_IV and ENROLLED
    batch = ObjectChoiceField(label="Batch", required=False)
    # SCHEDULED_IV: session, trainer, override_age_band (added in __init__)
    # ENROLLED
    start_date = params.DateField(required=False, widget=DATE, label="First class")
    plan = forms.CharField(required=False, max_length=80, label="Plan", help_text="e.g. Weekly, 3 months")

    REQUIRED = {
        FollowUpOutcome.LOST: {"category": CLOSE_CATEGORY_REQUIRED},
        FollowUpOutcome.ENROLLED: {"batch": "Choose the batch.", "start_date": "Enter the first class date."},
    }
    #: Which fields each outcome shows: (CSS classes of the outcomes that show them, fields).
    GROUPS = (
        ("of-POSTPONED", ["next_date"]),
        ("of-LOST", ["category", "reason"]),
        ("of-ENROLLED", ["batch"]),
        ("of-SCHEDULED_IV", ["session", "trainer", "override_age_band"]),
        ("of-ENROLLED", ["start_date", "plan"]),
    )

    def __init__(
        self,
        *args,
        batches=(),
        trainers=(),
        sessions=(),
        may_override_age_band=False,
        interval_days: int | None = None,
        outcomes: list[str] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if interval_days:
            self.fields["next_date"].help_text = f"Empty: in {interval_days} days, at the same time."
        outcomes = outcomes or list(self.LABELS)
        self.fields["outcome"].choices = [(value, self.LABELS[value]) for value in outcomes]
        self.fields["batch"] = ObjectChoiceField(
            objects=batches, label="Batch", required=False, empty_label="Choose a batch", label_from=batch_label
        )
        self.add_session_fields(sessions, trainers, may_override_age_band, required=False)
        self.fields["session"].help_text = "Empty: a “book the visit” call stays due today."
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
        if data.get("outcome") == FollowUpOutcome.LOST and not (data.get("reason") or data.get("notes")):
            self.add_error("reason" if "reason" in self.fields else None, FOLLOW_UP_NEEDS_REASON)
        return data

    def groups(self) -> list[tuple[str, list]]:
        return [(classes, [self[name] for name in names if name in self.fields]) for classes, names in self.GROUPS]

    def complete_kwargs(self) -> dict[str, Any]:
        """`follow_up.complete`'s keyword arguments for the chosen outcome."""
        data = self.cleaned_data
        outcome = data["outcome"]
        kwargs: dict[str, Any] = {"outcome": outcome, "notes": data.get("notes", "")}
        if outcome == FollowUpOutcome.POSTPONED:
            kwargs["next_date"] = data.get("next_date")
        elif outcome == FollowUpOutcome.LOST:
            kwargs["reason"] = data.get("reason", "")
            kwargs["category"] = data["category"]
        elif outcome == FollowUpOutcome.SCHEDULED_IV and data.get("session"):
            batch, scheduled_at = data["session"]
            kwargs["intro_visit"] = {
                "scheduled_at": scheduled_at,
                "batch": batch,
                "trainer": data.get("trainer"),
                "notes": data.get("notes", ""),
                "override_age_band": data.get("override_age_band", False),
            }
        elif outcome == FollowUpOutcome.ENROLLED:
            kwargs["enroll"] = {"batch": data["batch"], "start_date": data["start_date"], "plan": data.get("plan", "")}
        return kwargs

    @property
    def ERROR_FIELDS(self) -> dict[str, str]:  # noqa: N802  (the name add_verb_errors reads)
        """The verb's error keys -> this form's fields (a visit's batch and time are its session)."""
        fields = {"next_follow_up_date": "next_date", "scheduled_date": "next_date", "enrollment": "batch"}
        if (getattr(self, "cleaned_data", None) or {}).get("outcome") == FollowUpOutcome.SCHEDULED_IV:
            fields |= {"batch": "session", "scheduled_at": "session"}
        return fields


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

    # No default: a pre-selected "Other" would hide every unasked reason in the figures.
    category = forms.ChoiceField(
        label="Reason category",
        choices=[("", "Choose a category"), *ClosedReason.choices],
        error_messages={"required": CLOSE_CATEGORY_REQUIRED},
    )
    reason = forms.CharField(label="Why is it lost?", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ChildForm(forms.Form):
    """`lead.edit_child`: correct the child's details (an age replaces an unknown date of birth)."""

    first_name = forms.CharField(label="First name", max_length=80)
    last_name = forms.CharField(label="Last name", max_length=80, required=False)
    dob = params.DateField(label="Date of birth", widget=DATE, required=False)
    age = forms.IntegerField(label="or age (years)", min_value=0, max_value=18, required=False)
    age_months = forms.IntegerField(label="and months", min_value=0, max_value=11, required=False)
    gender = forms.ChoiceField(label="Gender", choices=Gender.choices, widget=forms.RadioSelect)
    school = forms.CharField(label="School", max_length=160, required=False)

    ERROR_FIELDS = {
        f"child.{name}": name for name in ("first_name", "last_name", "dob", "age", "age_months", "gender", "school")
    }


class ParentForm(forms.Form):
    """`lead.edit_parent` and `lead.add_parent` (the phone is stored in E.164 by the verb)."""

    name = forms.CharField(label="Name", max_length=120)
    phone = forms.CharField(
        label="Phone", max_length=30, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    email = forms.EmailField(label="Email", required=False)
    relationship = forms.CharField(
        label="Relationship",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Mother, Father, Grandparent"}),
    )


class ReopenForm(forms.Form):
    """`lead.reopen`."""

    follow_up_date = FollowUpTimeField(label="Call again on", required=False)
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


class EraseFamilyForm(forms.Form):
    """The typed confirmation of `leads.erasure.erase_family`; the verb says when it is wrong."""

    confirmation = forms.CharField(
        label="Type the enquiry ID to confirm",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


# -- the public enquiry form (leads/views/public.py) ---------------------------------------------

#: "How did you hear of us", in a parent's words; the lead records the LeadSource value.
PUBLIC_SOURCES = [
    (LeadSource.ONLINE, _("Internet search or your website")),
    (LeadSource.SOCIAL_MEDIA, _("Social media")),
    (LeadSource.REFERRAL, _("A friend or family member")),
    (LeadSource.WALK_IN, _("I passed by the center")),
    (LeadSource.EVENT, _("An event")),
    (LeadSource.OTHER, _("Other")),
]


class PublicEnquiryForm(forms.Form):
    """What a parent fills in on /enquire/<code>/; keys mirror `Lead.create_enquiry`'s (`.` as `_`).

    The fields only shape input and say what is missing in the parent's words; the verb holds the
    rules (its errors are mapped back with `field_for_error_key`). `website` is the honeypot.
    """

    parent_name = forms.CharField(label=_("Your name"), max_length=120)
    parent_phone = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    parent_email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    child_first_name = forms.CharField(label=_("Child's first name"), max_length=80)
    child_last_name = forms.CharField(label=_("Child's last name"), max_length=80, required=False)
    child_gender = forms.ChoiceField(
        label=_("Your child is a"),
        choices=[(Gender.BOY, _("Boy")), (Gender.GIRL, _("Girl")), (Gender.OTHER, _("Prefer not to say"))],
        widget=forms.RadioSelect,
    )
    child_dob = forms.DateField(label=_("Date of birth"), widget=DATE, required=False)
    child_age = forms.IntegerField(label=_("or age in years"), min_value=0, max_value=18, required=False)
    preferred_schedule = forms.CharField(
        label=_("Preferred days and times"),
        max_length=160,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Weekdays after 4 PM")}),
    )
    parent_expectations = forms.MultipleChoiceField(
        label=_("What would you like for your child?"),
        choices=(),  # the center's own list
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = forms.ChoiceField(
        label=_("How did you hear of us?"), choices=[("", _("Choose one")), *PUBLIC_SOURCES], required=False
    )
    remarks = forms.CharField(
        label=_("Anything else we should know?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent_processing = forms.BooleanField(
        label=_("I agree that the center keeps and uses these details to answer my enquiry."),
        error_messages={"required": _("Please tick this box: without it we cannot keep your enquiry.")},
    )
    consent_reminders = forms.BooleanField(label=_("Send me reminders by SMS, WhatsApp or email."), required=False)
    consent_marketing = forms.BooleanField(label=_("Send me news and offers."), required=False)
    consent_notice_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    #: The signed render time (leads.public.form_token).
    started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    #: The honeypot: hidden by CSS (.hp), left empty by people, filled in by form-filling bots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    #: The verb's error keys that belong next to another field than their name says.
    ERROR_FIELDS = {
        "child.age_months": "child_age",
        "child.school": None,
        "consent": "consent_processing",
        "consent.method": None,
        "consent.processing": "consent_processing",
        "consent.notice_version": "consent_processing",
        "consent.address": None,
        "consent.obtained_at": None,
        "parent_expectations": "parent_expectations",
    }

    def __init__(self, *args, programs=(), expectation_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent_expectations"].choices = list(expectation_choices)
        programs = list(programs)
        if programs:
            field = ObjectChoiceField(
                objects=programs, label_from=lambda p: p.name, empty_label=_("Not sure yet"), required=False
            )
            field.label = _("Program of interest")
            self.fields["program"] = field
            # Keep the program next to the schedule, not after the honeypot.
            order = [*self.fields]
            order.remove("program")
            order.insert(order.index("preferred_schedule"), "program")
            self.order_fields(order)

    def clean_parent_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["parent_phone"])
        except forms.ValidationError:
            raise forms.ValidationError(_("Enter your mobile number with its digits, e.g. 98765 43210.")) from None

    def clean_child_dob(self) -> datetime.date | None:
        dob = self.cleaned_data["child_dob"]
        if dob is not None and dob > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if dob is not None and dob < timezone.localdate() - datetime.timedelta(days=365 * 18 + 5):
            raise forms.ValidationError(_("Please check the year: this child would be over 18."))
        return dob

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            "child_dob" in data
            and data["child_dob"] is None
            and data.get("child_age") is None
            and "child_age" not in self.errors
        ):
            self.add_error("child_dob", _("Enter your child's date of birth, or their age."))
        return data

    def field_for_error_key(self, key: str) -> str | None:
        """The field a verb error ("parent.phone", "consent.processing") is shown next to (None: on top)."""
        field = self.ERROR_FIELDS.get(key, key.replace(".", "_"))
        return field if field in self.fields else None

    def enquiry_kwargs(self, *, same_parent: str | None = None) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "child": {
                "first_name": data["child_first_name"].strip(),
                "last_name": data["child_last_name"].strip(),
                "dob": data["child_dob"],
                "age": data["child_age"] if data["child_dob"] is None else None,
                "gender": data["child_gender"],
            },
            "parent": {
                "name": data["parent_name"],
                "phone": data["parent_phone"],
                "email": data["parent_email"],
                "same_parent": same_parent,
            },
            "source": data["source"] or LeadSource.ONLINE,  # unanswered: it came in online
            "preferred_schedule": data["preferred_schedule"],
            "parent_expectations": data["parent_expectations"],
            "remarks": data["remarks"],
            "program": data.get("program"),
        }

    def consent_data(self, *, address: str | None, user_agent: str) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "method": ConsentMethod.WEB_FORM,
            "processing": bool(data.get("consent_processing")),
            "reminders": bool(data.get("consent_reminders")),
            "marketing": bool(data.get("consent_marketing")),
            "notice_version": data.get("consent_notice_version"),
            "address": address,
            "user_agent": user_agent,
        }


class PublicSessionForm(forms.Form):
    """The parent's pick of a trial-class session on the public booking pages.

    `sessions` are the fitting sessions, full ones included: a seat taken since the page was shown
    is then refused by the verb with its sentence (the page offers the next ones), not as an unknown
    choice. The page's radio buttons show only the sessions with a free seat."""

    session = forms.ChoiceField(label=_("Choose a time"), widget=forms.RadioSelect)

    def __init__(self, data=None, *, sessions: list[Session], **kwargs):
        super().__init__(data, **kwargs)
        self.sessions = {s.value: s for s in sessions}
        self.fields["session"].choices = [(s.value, s.value) for s in sessions]
        self.fields["session"].error_messages = {
            "required": _("Please pick one of the times."),
            "invalid_choice": _("That time is no longer offered: please pick another."),
        }

    def chosen(self) -> Session:
        return self.sessions[self.cleaned_data["session"]]


class PublicCancelForm(forms.Form):
    """Why the parent calls the trial class off (optional: the verb gets a sentence either way)."""

    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
