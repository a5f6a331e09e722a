"""The lead and its lifecycle: statuses, the one transition table, and the business verbs.

Every verb is a method taking keyword-only `by=` (the acting user). All of them go through
`Lead._transition`, which in one transaction locks the lead row, checks the table, lets the verb
write its fields and records one `LeadStatusChange`. A move the table refuses raises
`LifecycleError` with a sentence a counselor understands, and nothing is written.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Action, Center, CenterScopedQuerySet
from leads.assignment import choose_assignee
from leads.lifecycle import (
    FOLLOW_UP_HORIZON,
    FOLLOW_UP_IN_PAST,
    FOLLOW_UP_MOVES,
    FOLLOW_UP_TOO_LATE,
    MILESTONE_MOVES,
    MOVE_PERMISSION,
    OPEN_STATUSES,
    STAY_FIELDS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    ClosedReason,
    LeadSource,
    LeadStatus,
    LifecycleError,
    Move,
    ParentExpectation,
    S,
    allowed_moves,
    check_move,
    follow_up_moment,
    plan_move,
    require_permission,
)
from leads.models.consent import Consent, check_consent
from leads.models.enrollment import Batch, Enrollment, Program
from leads.models.expectation import check_expectations
from leads.models.family import Child, FamilyLink, Gender, Parent, approximate_dob, find_family
from leads.models.follow_up import FollowUp
from leads.models.history import ASSIGNED, DetailChange, LeadStatusChange
from leads.models.intro_visit import IntroVisit, check_session, check_trainer, take_seat
from leads.phones import display_phone, normalize_phone

if TYPE_CHECKING:
    from accounts.models import User

# Re-exported: callers that learned these names from this module keep working.
__all__ = [
    "FOLLOW_UP_MOVES",
    "MILESTONE_MOVES",
    "MOVE_PERMISSION",
    "OPEN_STATUSES",
    "STAY_FIELDS",
    "TERMINAL_STATUSES",
    "TRANSITIONS",
    "ClosedReason",
    "DuplicateEnquiry",
    "EnquiryCounter",
    "Lead",
    "LeadNote",
    "LeadSource",
    "LeadStatus",
    "LifecycleError",
    "Move",
    "ParentExpectation",
    "allowed_moves",
    "check_move",
    "require_permission",
]


class DuplicateEnquiry(LifecycleError):
    """The child already has an open lead: `lead` is it, so every door can point there."""

    def __init__(self, message: str, *, lead: Lead | None):
        super().__init__(message, code="duplicate")
        self.lead = lead


ERASED_FAMILY = "This family's personal data was erased: its details cannot be edited. Record a new enquiry instead."

#: What a counselor may answer when the typed parent name differs from the one known for the phone.
SAME_PARENT, DIFFERENT_PERSON = "same", "different"


class EnquiryCounter(models.Model):
    """One row per center, locked while an enquiry is created: IDs are consecutive, never reused."""

    center = models.OneToOneField(Center, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.center.code}: {self.last_number}"

    @classmethod
    def next_enquiry_id(cls, center: Center) -> str:
        """Take the next number; must run inside the creating transaction (the lock is held to commit)."""
        cls.objects.get_or_create(center=center)
        counter = cls.objects.select_for_update().get(center=center)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        return format_enquiry_id(center.code, counter.last_number)


def program_problem(program: Program | None, center: Center) -> str | None:
    """Why an enquiry of `center` cannot ask for `program` (None when it can, or when none is given)."""
    if program is None:
        return None
    if program.center_id != center.pk:
        return "This program belongs to another center."
    if not program.is_active:
        return "This program is no longer offered."
    return None


def format_enquiry_id(code: str, number: int) -> str:
    return f"{code}{number:04d}"  # TLGC0001 … TLGC9999, then TLGC10000


class LeadQuerySet(CenterScopedQuerySet):
    def open(self) -> LeadQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def in_status(self, *statuses: str) -> LeadQuerySet:
        return self.filter(status__in=statuses)

    def search(self, text: str) -> LeadQuerySet:
        """The one search (web list, board, API, admin): every word must match the enquiry ID, the
        child's name, the school, a parent's name or email, or phone digits anywhere."""
        queryset = self
        text = (text or "").strip()
        words = text.split()[:6]
        if re.fullmatch(r"[0-9\s()+\-.]+", text):
            # "98765 00010" is one phone number, not two words; a whole number in any spelling
            # ("+91 (0) 98765 00010", "098765 00010", "(987) 650-0010") is parsed to its E.164 digits.
            words = [_phone_digits(text)]
        for word in words:
            digits = re.sub(r"[^0-9]", "", word).lstrip("0")  # "098765…" is the national form of +9198765…
            families = Q(parent__name__icontains=word) | Q(parent__email__icontains=word)
            if len(digits) >= 3 and len(digits) >= len(word) - 3:
                # "98765 43210", "+91-98765" and "43210" all find +919876543210.
                families |= Q(parent__phone__contains=digits)
            children = FamilyLink.objects.filter(families).values("child_id")
            queryset = queryset.filter(
                Q(enquiry_id__icontains=word)
                | Q(child__first_name__icontains=word)
                | Q(child__last_name__icontains=word)
                | Q(school__icontains=word)
                | Q(child_id__in=children)
            )
        return queryset

    def delete(self):
        raise LifecycleError("Leads are never deleted: close them instead.", code="no_delete")


class Lead(models.Model):
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="leads")
    child = models.ForeignKey("leads.Child", on_delete=models.PROTECT, related_name="leads")
    enquiry_id = models.CharField(max_length=16, unique=True, editable=False)
    status = models.CharField(max_length=24, choices=LeadStatus, default=S.ENQUIRY_RECEIVED, editable=False)
    source = models.CharField(max_length=16, choices=LeadSource, default=LeadSource.WALK_IN)
    # The program the parent asked about; empty on leads recorded before programs existed.
    program = models.ForeignKey(Program, on_delete=models.PROTECT, null=True, blank=True, related_name="leads")
    school = models.CharField(max_length=160, blank=True)
    preferred_schedule = models.CharField(max_length=160, blank=True)
    parent_expectations = models.JSONField(default=list, blank=True)
    discovery_notes = models.TextField(blank=True)
    discovery_completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_reason = models.CharField(max_length=500, blank=True, editable=False)
    closed_reason_category = models.CharField(max_length=16, choices=ClosedReason, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    enrollment = models.OneToOneField(
        "leads.Enrollment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="lead",
    )
    converted_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    # Milestones (see MILESTONE_MOVES), kept by `_transition`; the dashboard aggregates these.
    discovery_reached_at = models.DateTimeField(null=True, blank=True, editable=False)
    iv_scheduled_reached_at = models.DateTimeField(null=True, blank=True, editable=False)
    iv_attended_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Time in stage without the history: the days of the lead's first stay in each open status it
    # has left (STAY_FIELDS), its later stays in `repeat_stays` as `[[status, days], ...]` (rare:
    # a second visit, a reopened lead), and the stay it is in now is `status` since `status_changed_at`.
    days_in_enquiry_received = models.FloatField(null=True, blank=True, editable=False)
    days_in_discovery_completed = models.FloatField(null=True, blank=True, editable=False)
    days_in_iv_scheduled = models.FloatField(null=True, blank=True, editable=False)
    days_in_iv_completed = models.FloatField(null=True, blank=True, editable=False)
    days_in_iv_no_show = models.FloatField(null=True, blank=True, editable=False)
    days_in_follow_up_pending = models.FloatField(null=True, blank=True, editable=False)
    repeat_stays = models.JSONField(null=True, blank=True, default=None, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_leads"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=LeadStatus.values), name="lead_status_valid"),
            models.CheckConstraint(condition=Q(source__in=LeadSource.values), name="lead_source_valid"),
            # A child has at most one open lead: a second enquiry must find the first.
            models.UniqueConstraint(
                fields=["child"], condition=Q(status__in=OPEN_STATUSES), name="one_open_lead_per_child"
            ),
            models.CheckConstraint(
                condition=Q(status=S.CONVERTED, enrollment__isnull=False, converted_at__isnull=False)
                | ~Q(status=S.CONVERTED),
                name="converted_lead_has_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(status=S.CLOSED_LOST, closed_at__isnull=False) | ~Q(status=S.CLOSED_LOST),
                name="closed_lead_has_closed_at",
            ),
        ]
        indexes = [
            # Board columns and the leads list: a center's leads by status, newest first.
            models.Index(fields=["center", "status", "-created_at"], name="lead_center_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.enquiry_id} · {self.child}"

    # -- never deleted -------------------------------------------------------------------------

    def delete(self, *args, **kwargs):
        raise LifecycleError("Leads are never deleted: close them instead.", code="no_delete")

    # -- reading -------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def allowed_moves(self) -> list[str]:
        return allowed_moves(self.status)

    def days_in_status(self, now: datetime.datetime | None = None) -> int:
        return ((now or timezone.now()) - self.status_changed_at).days

    # -- the one private step ------------------------------------------------------------------

    @contextmanager
    def _transition(self, move: str, *, by: User | None, note: str = "", correcting: bool = False) -> Iterator[Lead]:
        """Lock the lead, check `move`, let the caller write, record history; all or nothing.

        `correcting`: the move corrects the last one (a wrong outcome tap), so the stay the wrong
        move began never happened: it is not counted, and the status's clock keeps its start.
        """
        require_permission(by, MOVE_PERMISSION[move], self.center_id)
        with transaction.atomic():
            lead = type(self).objects.select_for_update().get(pk=self.pk)
            from_status = lead.status
            to_status = check_move(from_status, move)
            yield lead
            now = timezone.now()
            lead.status = to_status
            if to_status != from_status and not correcting:
                if from_status in OPEN_STATUSES:
                    days = (now - lead.status_changed_at).total_seconds() / 86400
                    if getattr(lead, STAY_FIELDS[from_status]) is None:
                        setattr(lead, STAY_FIELDS[from_status], days)
                    else:
                        lead.repeat_stays = [*(lead.repeat_stays or []), [from_status, days]]
                lead.status_changed_at = now
            for name, moves in MILESTONE_MOVES.items():
                reached = getattr(lead, name)
                if move in moves and (reached is None or reached > now):
                    setattr(lead, name, now)
            lead.updated_by = by
            lead.save()
            LeadStatusChange.objects.create(
                lead=lead, from_status=from_status, to_status=to_status, action=move, actor=by, at=now, note=note
            )
        for field in self._meta.concrete_fields:
            setattr(self, field.attname, getattr(lead, field.attname))

    # -- the verbs ----------------------------------------------------------------------------

    @classmethod
    def create_enquiry(
        cls,
        *,
        center: Center,
        child: dict[str, Any],
        parent: dict[str, Any],
        source: str = LeadSource.WALK_IN,
        school: str = "",
        preferred_schedule: str = "",
        parent_expectations: list[str] | None = None,
        remarks: str = "",
        assigned_to: User | None = None,
        program: Program | None = None,
        consent: dict[str, Any] | None = None,
        by: User,
    ) -> Lead:
        """Record a new enquiry, reusing the family when the phone (and the child) are known.

        `consent`: the parent's consent, required (see `leads.models.consent.check_consent`); it is
        recorded for the family's parent in the same transaction as the child.

        `child`: first_name, last_name, dob, gender; or, when the date of birth is unknown, `age`
        (years) and optionally `age_months`: the child's `dob` is then worked back from it and flagged
        approximate. `parent`: name, phone, email, relationship, and `same_parent`: when the phone is
        known under another name, None refuses with the question (`parent.name`, code
        "name_differs"), SAME_PARENT keeps the known parent, DIFFERENT_PERSON refuses the phone
        (one parent per phone in a center: the other person needs their own number).
        Bad input raises ValidationError keyed by field ("child.dob", "parent.phone", "source").
        A child with an open lead raises DuplicateEnquiry naming it.
        `assigned_to` None: the center's automatic assignment chooses (leads/assignment.py), and
        its choice is on the timeline ("Assigned to Priya by round-robin").
        """

        require_permission(by, MOVE_PERMISSION[Move.CREATE_ENQUIRY], center.pk)
        errors: dict[str, list[str]] = {}
        phone = ""
        try:
            phone = normalize_phone(parent.get("phone") or "")
        except ValidationError as error:
            errors["parent.phone"] = error.messages
        if source not in LeadSource.values:
            errors["source"] = [f"Choose one of: {', '.join(LeadSource.values)}."]
        expectations, expectation_errors = check_expectations(parent_expectations, center)
        if expectation_errors:
            errors["parent_expectations"] = expectation_errors
        if assigned_to is not None and not _works_as_staff(assigned_to, center):
            errors["assigned_to"] = ["Assign the lead to a counselor or admin of this center."]
        dob, dob_is_approximate, age_errors = _dob_or_age(child, timezone.localdate(timezone=center.tzinfo))
        errors.update(age_errors)
        if problem := program_problem(program, center):
            errors["program"] = [problem]
        new_child = Child(
            center=center,
            first_name=(child.get("first_name") or "").strip(),
            last_name=(child.get("last_name") or "").strip(),
            dob=dob,
            dob_is_approximate=dob_is_approximate,
            gender=child.get("gender") or "",
            school=(school or "").strip(),
        )
        errors.update(
            {
                key: value
                for key, value in _model_errors(new_child, "child", exclude=["center"]).items()
                if not (key == "child.dob" and age_errors)
            }
        )
        if isinstance(new_child.dob, datetime.date) and new_child.dob > timezone.localdate():
            errors["child.dob"] = ["The date of birth cannot be in the future."]
        new_parent = Parent(
            center=center,
            name=(parent.get("name") or "").strip(),
            phone=phone or "+0",
            email=(parent.get("email") or "").strip(),
        )
        errors.update(_model_errors(new_parent, "parent", exclude=["center", "phone"]))
        try:
            consent_fields = check_consent(consent, center, by=by)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)

        with transaction.atomic():
            # Locking the center's counter first serialises enquiries of one center, so the
            # family lookups below cannot race each other.
            enquiry_id = EnquiryCounter.next_enquiry_id(center)
            # Automatic assignment when the door names nobody: its round-robin cursor is locked
            # here, after the counter and before any family row (leads/assignment.py: lock order).
            rule = None
            if assigned_to is None:
                rule = choose_assignee(center, source=source, program=program, by=by)
                assigned_to = rule.user
            existing_parent, family_child = find_family(
                center,
                phone,
                first_name=new_child.first_name,
                last_name=new_child.last_name,
                dob=new_child.dob,
                dob_is_approximate=new_child.dob_is_approximate,
            )
            if existing_parent is None:
                new_parent.save()
                family_parent = new_parent
            else:
                _check_same_parent(existing_parent, new_parent.name, parent.get("same_parent"))
                family_parent = existing_parent
                if new_parent.email and not existing_parent.email:
                    existing_parent.email = new_parent.email
                    existing_parent.save(update_fields=["email"])
            if family_child is None:
                new_child.save()
                family_child = new_child
                FamilyLink.objects.create(
                    parent=family_parent,
                    child=family_child,
                    relationship=(parent.get("relationship") or "Parent")[:40],
                    is_primary=True,
                )
            else:
                open_lead = cls.objects.open().filter(child=family_child).first()
                if open_lead is not None:
                    raise DuplicateEnquiry(
                        f"{family_child.full_name} already has an open lead, {open_lead.enquiry_id}. "
                        "Continue with that lead instead.",
                        lead=open_lead,
                    )
                if new_child.school and family_child.school != new_child.school:
                    family_child.school = new_child.school
                    family_child.save(update_fields=["school"])
                if family_child.dob_is_approximate and not new_child.dob_is_approximate:
                    # The family now gave the real date of birth: it replaces the estimate.
                    family_child.dob, family_child.dob_is_approximate = new_child.dob, False
                    family_child.save(update_fields=["dob", "dob_is_approximate"])
            now = timezone.now()
            lead = cls(
                center=center,
                child=family_child,
                enquiry_id=enquiry_id,
                status=S.ENQUIRY_RECEIVED,
                source=source,
                program=program,
                school=new_child.school,
                preferred_schedule=(preferred_schedule or "").strip(),
                parent_expectations=expectations,
                discovery_notes=(remarks or "").strip(),
                assigned_to=assigned_to,
                created_by=by,
                updated_by=by,
                created_at=now,
                status_changed_at=now,
            )
            try:
                with transaction.atomic():
                    lead.save(force_insert=True)
            except IntegrityError:
                # The partial unique index is the backstop if two enquiries for one child race.
                raise DuplicateEnquiry(
                    f"{family_child.full_name} already has an open lead.",
                    lead=cls.objects.open().filter(child=family_child).first(),
                ) from None
            Consent.objects.create(parent=family_parent, **consent_fields)
            LeadStatusChange.objects.create(
                lead=lead,
                from_status="",
                to_status=S.ENQUIRY_RECEIVED,
                action=Move.CREATE_ENQUIRY,
                actor=by,
                at=now,
                note=lead.discovery_notes,
            )
            if rule is not None and rule.sentence:
                # On the timeline beside the enquiry: "Assigned to Priya by round-robin".
                DetailChange.objects.create(
                    lead=lead,
                    subject=rule.sentence,
                    changes=[["assigned to", "", str(assigned_to)]],
                    actor=by,
                    at=now,
                )
        return lead

    def complete_discovery(
        self,
        *,
        school: str | None = None,
        preferred_schedule: str | None = None,
        parent_expectations: list[str] | None = None,
        discovery_notes: str | None = None,
        by: User,
    ) -> None:
        expectations, expectation_errors = check_expectations(
            parent_expectations, self.center, keep=self.parent_expectations or ()
        )
        if expectation_errors:
            raise ValidationError({"parent_expectations": expectation_errors})
        for name, value, limit in (("school", school, 160), ("preferred_schedule", preferred_schedule, 160)):
            if value is not None and len(value) > limit:
                raise ValidationError({name: f"Keep it under {limit} characters."})
        with self._transition(Move.COMPLETE_DISCOVERY, by=by, note=discovery_notes or "") as lead:
            if school is not None:
                lead.school = school.strip()
            if preferred_schedule is not None:
                lead.preferred_schedule = preferred_schedule.strip()
            if parent_expectations is not None:
                lead.parent_expectations = expectations
            if discovery_notes is not None:
                lead.discovery_notes = discovery_notes.strip()
            if lead.discovery_completed_at is None:
                lead.discovery_completed_at = timezone.now()

    def schedule_intro_visit(
        self,
        *,
        scheduled_at: datetime.datetime,
        batch: Batch,
        trainer: User | None = None,
        notes: str = "",
        override_age_band: bool = False,
        by: User,
    ) -> IntroVisit:
        """Book the trial class on one of the batch's sessions (`Batch.next_sessions`): within a year,
        in the batch's age band (a center admin may override: `override_age_band`, noted in the
        history) and with a free seat. Locks the lead, then the batch."""
        errors: dict[str, str] = {}
        trainer = trainer or (batch.trainer if batch is not None else None)
        try:
            check_trainer(trainer, self.center_id)
        except ValidationError as error:
            errors.update(error.message_dict)
        try:
            override_note = check_session(
                self, batch=batch, scheduled_at=scheduled_at, override_age_band=override_age_band, by=by
            )
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        note = "\n".join(part for part in (notes.strip(), override_note) if part)
        with self._transition(Move.SCHEDULE_INTRO_VISIT, by=by, note=note) as lead:
            take_seat(batch, scheduled_at)
            visit = IntroVisit.objects.create(
                lead=lead,
                scheduled_at=scheduled_at,
                batch=batch,
                trainer=trainer,
                notes=notes.strip(),
                created_by=by,
            )
        return visit

    def add_follow_up(
        self,
        *,
        scheduled_date: datetime.date | datetime.datetime,
        notes: str = "",
        assigned_to: User | None = None,
        by: User,
    ) -> FollowUp:
        """A pending follow-up at `scheduled_date` (a naive date-time is the center's local time,
        a bare date 10:00 local): today or later, at most a year ahead."""
        assigned_to = assigned_to or self.assigned_to or by
        when = self.check_follow_up(scheduled_date, assigned_to)
        with self._transition(Move.ADD_FOLLOW_UP, by=by, note=notes) as lead:
            follow_up = FollowUp.objects.create(
                lead=lead, scheduled_date=when, notes=notes.strip(), assigned_to=assigned_to, created_by=by
            )
        return follow_up

    def check_follow_up(
        self, scheduled_date: Any, assigned_to: User | None, *, field: str = "scheduled_date", check_time: bool = True
    ) -> datetime.datetime | None:
        """A follow-up's time as an aware datetime, or ValidationError: today or later in the
        center's calendar, within FOLLOW_UP_HORIZON, assigned to staff of this center."""
        errors = {}
        tz = self.center.tzinfo
        when = follow_up_moment(scheduled_date, tz)
        now = timezone.now()
        if when is None:
            errors[field] = "Enter the date and time of the follow-up."
        elif check_time and timezone.localdate(when, tz) < timezone.localdate(now, tz):
            errors[field] = FOLLOW_UP_IN_PAST
        elif check_time and when > now + FOLLOW_UP_HORIZON:
            errors[field] = FOLLOW_UP_TOO_LATE
        if assigned_to is not None and not _works_as_staff(assigned_to, self.center):
            errors["assigned_to"] = "Assign the follow-up to a counselor or admin of this center."
        if errors:
            raise ValidationError(errors)
        return when

    def convert(self, *, enrollment: Enrollment, by: User, note: str = "") -> None:
        """Link the lead to an enrollment that already exists (the API's legacy two-step flow)."""
        if enrollment is None:
            raise ValidationError({"enrollment": "Create the enrollment first, then convert."})
        if enrollment.child_id != self.child_id or enrollment.center_id != self.center_id:
            raise ValidationError({"enrollment": "The enrollment must be of this child, in this center."})
        with self._transition(Move.CONVERT, by=by, note=note) as lead:
            if type(self).objects.filter(enrollment=enrollment).exclude(pk=lead.pk).exists():
                raise ValidationError({"enrollment": "This enrollment already converted another lead."})
            lead._converted(enrollment, by=by)

    def enroll_and_convert(
        self,
        *,
        batch: Batch | None,
        start_date: datetime.date,
        plan: str = "",
        notes: str = "",
        by: User,
    ) -> Enrollment:
        """Enroll the child and convert, in one transaction: the one way every door converts.

        The lead is locked first (the table is checked before anything is written), then the
        batch (its capacity), so a conversion that loses a race leaves no enrollment behind.
        """
        Enrollment.check_terms(child=self.child, batch=batch, start_date=start_date, plan=plan, by=by)
        with self._transition(Move.CONVERT, by=by, note=notes) as lead:
            enrollment = Enrollment.enroll(
                child=self.child, batch=batch, start_date=start_date, plan=plan, notes=notes, by=by
            )
            lead._converted(enrollment, by=by)
        return enrollment

    def _converted(self, enrollment: Enrollment, *, by: User) -> None:
        """Inside the CONVERT transition: link the enrollment, end the open follow-ups."""
        self.enrollment = enrollment
        self.converted_at = timezone.now()
        FollowUp.objects.filter(lead=self).pending().cancel_all(by=by)

    def close(self, *, reason: str, by: User, category: str = ClosedReason.OTHER) -> None:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": "Say why the lead is closed."})
        if len(reason) > 500:
            raise ValidationError({"reason": "Keep the reason under 500 characters."})
        if category not in ClosedReason.values:
            raise ValidationError({"category": f"Choose one of: {', '.join(ClosedReason.values)}."})
        with self._transition(Move.CLOSE, by=by, note=reason) as lead:
            lead.closed_reason = reason
            lead.closed_reason_category = category
            lead.closed_at = timezone.now()
            FollowUp.objects.filter(lead=lead).pending().cancel_all(by=by)
            IntroVisit.objects.filter(lead=lead).awaiting_outcome().cancel_all()

    def reopen(self, *, by: User, note: str = "", follow_up_date: datetime.date | None = None) -> FollowUp:
        """Put a closed lead back in the pipeline with a follow-up (today unless given)."""

        follow_up_date = follow_up_date or timezone.localdate(timezone=self.center.tzinfo)
        assignee = self.assigned_to if self.assigned_to and self.assigned_to.is_active else by
        follow_up_date = self.check_follow_up(follow_up_date, assignee, field="follow_up_date")
        other = type(self).objects.open().filter(child_id=self.child_id).exclude(pk=self.pk).first()
        if other is not None:
            raise LifecycleError(f"{self.child} already has an open lead, {other.enquiry_id}.", code="duplicate")
        with self._transition(Move.REOPEN, by=by, note=note or f"Closed because: {self.closed_reason}") as lead:
            lead.closed_reason = ""
            lead.closed_reason_category = ""
            lead.closed_at = None
            follow_up = FollowUp.objects.create(
                lead=lead,
                scheduled_date=follow_up_date,
                notes=note or "Reopened: call the family again.",
                assigned_to=assignee,
                created_by=by,
            )
        return follow_up

    def add_note(self, *, body: str, by: User) -> LeadNote:
        """A free note on the lead's timeline (not a status move)."""
        require_permission(by, Action.MANAGE_LEAD, self.center_id)
        body = (body or "").strip()
        if not body:
            raise ValidationError({"body": "Write the note first."})
        if len(body) > 4000:
            raise ValidationError({"body": "Keep the note under 4,000 characters."})
        return LeadNote.objects.create(lead=self, author=by, body=body)

    # -- correcting what was typed (not status moves: DetailChange rows, see history.py) -------

    @contextmanager
    def _correction(self, subject: str, *, by: User) -> Iterator[list[list[str]]]:
        """Check the role and center, lock the lead, let the caller write and list its changes,
        then record them as one DetailChange (nothing when nothing changed); all or nothing."""
        require_permission(by, Action.MANAGE_LEAD, self.center_id)
        with transaction.atomic():
            # The lead's lock also orders a correction against an erasure (leads.erasure locks the
            # family's leads first): an erased family's details are not typed back in.
            erased_at = (
                type(self)
                .objects.select_for_update(of=("self",))
                .filter(pk=self.pk)
                .values_list("child__erased_at", flat=True)
                .get()
            )
            if erased_at is not None:
                raise LifecycleError(ERASED_FAMILY, code="erased")
            changes: list[list[str]] = []
            yield changes
            if changes:
                DetailChange.objects.create(lead=self, subject=subject, changes=changes, actor=by)
                type(self).objects.filter(pk=self.pk).update(updated_by=by, updated_at=timezone.now())

    def edit_child(
        self,
        *,
        first_name: str,
        last_name: str = "",
        dob: datetime.date | None = None,
        gender: str,
        school: str = "",
        age: int | None = None,
        age_months: int | None = None,
        by: User,
    ) -> list[list[str]]:
        """Correct the child's name, date of birth (or age), gender and school; returns the changes."""
        child = Child.objects.get(pk=self.child_id)
        today = timezone.localdate(timezone=self.center.tzinfo)
        if dob is None and age is None and child.dob_is_approximate:
            dob, is_approximate, errors = child.dob, True, {}
        else:
            dob, is_approximate, errors = _dob_or_age({"dob": dob, "age": age, "age_months": age_months}, today)
        first_name, last_name, school = (first_name or "").strip(), (last_name or "").strip(), (school or "").strip()
        if not first_name:
            errors["child.first_name"] = ["Enter the child's first name."]
        if gender not in Gender.values:
            errors["child.gender"] = [f"Choose one of: {', '.join(Gender.values)}."]
        for key, value, limit in (
            ("child.first_name", first_name, 80),
            ("child.last_name", last_name, 80),
            ("child.school", school, 160),
        ):
            if len(value) > limit:
                errors[key] = [f"Keep it under {limit} characters."]
        if isinstance(dob, datetime.date) and dob > today:
            errors["child.dob"] = ["The date of birth cannot be in the future."]
        if errors:
            raise ValidationError(errors)
        with self._correction(f"child {child.full_name}", by=by) as changes:
            child = Child.objects.select_for_update().get(pk=self.child_id)
            before = {
                "name": child.full_name,
                "date of birth": child.dob_display,
                "gender": child.gender,
                "school": self.school or child.school,
            }
            child.first_name, child.last_name, child.gender = first_name, last_name, gender
            child.dob, child.dob_is_approximate = dob, is_approximate
            child.school = school
            child.save(update_fields=["first_name", "last_name", "gender", "dob", "dob_is_approximate", "school"])
            after = {
                "name": child.full_name,
                "date of birth": child.dob_display,
                "gender": child.gender,
                "school": school,
            }
            changes += [[label, before[label], after[label]] for label in before if before[label] != after[label]]
            if (self.school or child.school) != school or self.school != school:
                type(self).objects.filter(pk=self.pk).update(school=school)
                self.school = school
        return changes

    def edit_parent(
        self,
        parent: Parent,
        *,
        name: str,
        phone: str,
        email: str = "",
        relationship: str = "Parent",
        by: User,
    ) -> list[list[str]]:
        """Correct a parent of this lead's child; a phone of another parent of the center is refused."""
        link = FamilyLink.objects.filter(child_id=self.child_id, parent=parent).select_related("parent").first()
        if link is None:
            raise ValidationError({"parent": "This parent is not of this lead's family."})
        values = self._parent_values(
            name=name, phone=phone, email=email, relationship=relationship, exclude_pk=parent.pk
        )
        with self._correction(f"parent {link.parent.name}", by=by) as changes:
            parent = Parent.objects.select_for_update().get(pk=parent.pk)
            link = FamilyLink.objects.select_for_update().get(pk=link.pk)
            before = {
                "name": parent.name,
                "phone": parent.display_phone,
                "email": parent.email,
                "relationship": link.relationship,
            }
            parent.name, parent.phone, parent.email = values["name"], values["phone"], values["email"]
            link.relationship = values["relationship"]
            try:
                with transaction.atomic():
                    parent.save(update_fields=["name", "phone", "email"])
            except IntegrityError:  # another parent took the number meanwhile
                raise ValidationError({"phone": "Another parent of this center has this phone number."}) from None
            link.save(update_fields=["relationship"])
            after = {
                "name": parent.name,
                "phone": display_phone(parent.phone),
                "email": parent.email,
                "relationship": link.relationship,
            }
            changes += [[label, before[label], after[label]] for label in before if before[label] != after[label]]
        return changes

    def add_parent(self, *, name: str, phone: str, email: str = "", relationship: str = "Parent", by: User) -> Parent:
        """A second parent (or guardian) for this lead's child. A phone already of a parent of the
        center is refused, unless it is that same person (same name): then they are linked."""
        values = self._parent_values(
            name=name, phone=phone, email=email, relationship=relationship, exclude_pk=None, allow_same_name=True
        )
        with self._correction("parents", by=by) as changes:
            parent = Parent.objects.filter(center_id=self.center_id, phone=values["phone"]).first()
            if parent is None:
                parent = Parent(
                    center_id=self.center_id, name=values["name"], phone=values["phone"], email=values["email"]
                )
                try:
                    with transaction.atomic():
                        parent.save()
                except IntegrityError:
                    raise ValidationError({"phone": "Another parent of this center has this phone number."}) from None
            elif FamilyLink.objects.filter(parent=parent, child_id=self.child_id).exists():
                raise ValidationError({"phone": f"{parent.name} is already a parent of this child."})
            FamilyLink.objects.create(
                parent=parent, child_id=self.child_id, relationship=values["relationship"], is_primary=False
            )
            changes.append(["parent added", "", f"{parent.name} ({values['relationship']}, {parent.display_phone})"])
        return parent

    def _parent_values(self, *, name, phone, email, relationship, exclude_pk, allow_same_name=False) -> dict[str, str]:
        errors: dict[str, str] = {}
        name, email = (name or "").strip(), (email or "").strip()
        relationship = (relationship or "").strip() or "Parent"
        if not name:
            errors["name"] = "Enter the parent's name."
        elif len(name) > 120:
            errors["name"] = "Keep the name under 120 characters."
        if len(relationship) > 40:
            errors["relationship"] = "Keep it under 40 characters."
        try:
            phone = normalize_phone(phone or "")
        except ValidationError as error:
            errors["phone"] = error.messages[0]
        else:
            other = Parent.objects.filter(center_id=self.center_id, phone=phone).exclude(pk=exclude_pk).first()
            if other is not None and not (allow_same_name and other.name.casefold() == name.casefold()):
                errors["phone"] = (
                    f"This phone is {other.name}'s, another parent of this center: enter this parent's own number."
                )
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = "Enter a valid email address."
        if errors:
            raise ValidationError(errors)
        return {"name": name, "phone": phone, "email": email, "relationship": relationship}

    def update_details(self, *, by: User, **fields: Any) -> None:
        """Edit source, assignee or remarks (never the status): the legacy PATCH and admin edits."""
        require_permission(by, Action.MANAGE_LEAD, self.center_id)
        allowed = {
            "source",
            "assigned_to",
            "discovery_notes",
            "school",
            "preferred_schedule",
            "parent_expectations",
            "program",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise ValidationError({name: "This field cannot be changed here." for name in unknown})
        if "source" in fields and fields["source"] not in LeadSource.values:
            raise ValidationError({"source": f"Choose one of: {', '.join(LeadSource.values)}."})
        if "parent_expectations" in fields:
            fields["parent_expectations"], problems = check_expectations(
                fields["parent_expectations"], self.center, keep=self.parent_expectations or ()
            )
            if problems:
                raise ValidationError({"parent_expectations": problems})
        if "program" in fields and (problem := program_problem(fields["program"], self.center)):
            raise ValidationError({"program": problem})
        assignee = fields.get("assigned_to")
        if assignee is not None and not _works_as_staff(assignee, self.center):
            raise ValidationError({"assigned_to": "Assign the lead to a counselor or admin of this center."})
        with transaction.atomic():
            for name, value in fields.items():
                setattr(self, name, value.strip() if isinstance(value, str) else value)
            self.updated_by = by
            self.save(update_fields=[*fields, "updated_by", "updated_at"])

    def reassign(self, *, assigned_to: User | None, by: User) -> None:
        """Change the counselor in charge: not a status move, so no status-history row, but a
        timeline entry like automatic assignment's ("Assigned to Priya (was Arjun)")."""
        require_permission(by, Action.MANAGE_LEAD, self.center_id)
        if assigned_to is not None and not _works_as_staff(assigned_to, self.center):
            raise ValidationError({"assigned_to": "Assign the lead to a counselor or admin of this center."})
        before = self.assigned_to
        with transaction.atomic():
            type(self).objects.filter(pk=self.pk).update(
                assigned_to=assigned_to, updated_by=by, updated_at=timezone.now()
            )
            if (before.pk if before else None) != (assigned_to.pk if assigned_to else None):
                DetailChange.objects.create(
                    lead=self,
                    subject=f"{ASSIGNED}{assigned_to or 'nobody'} (was {before or 'nobody'})"[:160],
                    changes=[["assigned to", str(before or ""), str(assigned_to or "")]],
                    actor=by,
                )
        self.assigned_to = assigned_to
        self.updated_by = by

    def move_to(self, to: str, *, by: User, allow_same: bool = False, **data: Any) -> None:
        """Put the lead in status `to` through the verb that gets it there (`plan_move`): the
        board's drop, its "Move to…" menu and the API's status change all come here.

        `data` carries what the verb needs, named as in its form (leads/forms.py):
        scheduled_at/batch/trainer (schedule), scheduled_date/assigned_to (follow-up), follow_up_date
        (reopen), outcome/follow_up_date (visit outcome), batch/start_date/plan or enrollment (convert),
        reason/category (close), notes (any).
        """
        planned = plan_move(self.status, to, allow_same=allow_same)
        notes = data.get("notes") or ""
        kind = planned.kind
        with transaction.atomic():
            if kind == "discovery":
                self.complete_discovery(by=by, **({"discovery_notes": notes} if notes else {}))
            elif kind == "schedule":
                self.schedule_intro_visit(
                    scheduled_at=data.get("scheduled_at"),
                    batch=data.get("batch"),
                    trainer=data.get("trainer"),
                    notes=notes,
                    override_age_band=bool(data.get("override_age_band")),
                    by=by,
                )
            elif kind in ("enroll_now", "no_show", "visit_outcome"):
                outcome = {"enroll_now": "INTERESTED_ENROLL_NOW", "no_show": "NO_SHOW"}.get(kind) or data.get("outcome")
                self._awaiting_visit().record_outcome(outcome=outcome, notes=notes, by=by)
                if kind == "visit_outcome" and data.get("follow_up_date"):
                    self.add_follow_up(scheduled_date=data["follow_up_date"], notes=notes, by=by)
            elif kind == "follow_up":
                self.add_follow_up(
                    scheduled_date=data.get("scheduled_date"), assigned_to=data.get("assigned_to"), notes=notes, by=by
                )
            elif kind == "reopen":
                self.reopen(follow_up_date=data.get("follow_up_date"), note=notes, by=by)
            elif kind == "convert" and data.get("enrollment") is not None:
                self.convert(enrollment=data["enrollment"], note=notes, by=by)  # an enrollment made before
            elif kind == "convert":
                self.enroll_and_convert(
                    batch=data.get("batch"), start_date=data.get("start_date"), plan=data.get("plan", ""), by=by
                )
            else:
                self.close(reason=data.get("reason", ""), category=data.get("category") or ClosedReason.OTHER, by=by)

    def _awaiting_visit(self) -> IntroVisit:
        visit = IntroVisit.objects.filter(lead=self).awaiting_outcome().select_related("batch").last()
        if visit is None:
            raise LifecycleError("This lead has no intro visit waiting for an outcome.")
        visit.lead = self  # the verb's transition then updates this very instance
        return visit


class LeadNote(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


def _dob_or_age(child: dict[str, Any], today: datetime.date) -> tuple[Any, bool, dict[str, list[str]]]:
    """The child's birth date from `dob`, or worked back from `age` (years) and `age_months`:
    (dob, is_approximate, errors keyed like create_enquiry's)."""
    dob, age, months = child.get("dob"), child.get("age"), child.get("age_months")
    if dob not in (None, ""):
        return dob, False, {}
    if age in (None, "") and months in (None, ""):
        return None, False, {"child.dob": ["Enter the date of birth, or the age if the parent does not know it."]}
    errors = {}
    try:
        years = int(age or 0)
        months_ = None if months in (None, "") else int(months)
    except (TypeError, ValueError):
        return None, False, {"child.age": ["Enter the age in years (and months)."]}
    if not 0 <= years <= 18:
        errors["child.age"] = ["Enter an age between 0 and 18 years."]
    if months_ is not None and not 0 <= months_ <= 11:
        errors["child.age_months"] = ["Months go from 0 to 11."]
    if errors:
        return None, False, errors
    if age in (None, ""):
        years = 0
    return approximate_dob(today, years, months_), True, {}


def _check_same_parent(known: Parent, typed_name: str, answer: str | None) -> None:
    """The phone is known: the typed name must be the known parent's, or the counselor says."""
    if not typed_name or typed_name.casefold() == known.name.casefold() or answer == SAME_PARENT:
        return
    if answer == DIFFERENT_PERSON:
        raise ValidationError(
            {
                "parent.phone": ValidationError(
                    f"This phone is {known.name}'s. Each parent of a center has their own number: "
                    f"enter {typed_name}'s own number, or choose “Same parent”.",
                    code="phone_taken",
                )
            }
        )
    raise ValidationError(
        {"parent.name": ValidationError(f"Same parent ({known.name}) or a different person?", code="name_differs")}
    )


def _phone_digits(text: str) -> str:
    """The digits to look for in stored E.164 phones: the parsed number's when `text` is a whole
    valid number (so a national 0 or a "(0)" does not get in the way), else the digits typed."""
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) >= 8:
        try:
            return normalize_phone(text).lstrip("+")
        except ValidationError:
            pass
    return digits


def _works_as_staff(user: User, center: Center) -> bool:
    return user.is_active and user.role_in(center.pk) in ("COUNSELOR", "CENTER_ADMIN", "SUPER_ADMIN")


def _model_errors(instance: models.Model, prefix: str, exclude: list[str]) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        return {f"{prefix}.{name}": messages for name, messages in error.message_dict.items()}
    return {}
