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
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Action, Center, CenterScopedQuerySet
from leads.lifecycle import (
    FOLLOW_UP_MOVES,
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
    plan_move,
    require_permission,
)
from leads.models.enrollment import Batch, Enrollment, batch_problem
from leads.models.family import Child, FamilyLink, Parent, find_family
from leads.models.follow_up import FollowUp
from leads.models.history import LeadStatusChange
from leads.models.intro_visit import IntroVisit
from leads.phones import normalize_phone

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
            words = [re.sub(r"[^0-9]", "", text)]  # "98765 00010" is one phone number, not two words
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
        by: User,
    ) -> Lead:
        """Record a new enquiry, reusing the family when the phone (and the child) are known.

        `child`: first_name, last_name, dob, gender. `parent`: name, phone, email, relationship.
        Bad input raises ValidationError keyed by field ("child.dob", "parent.phone", "source").
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
        expectations, expectation_errors = _clean_expectations(parent_expectations)
        if expectation_errors:
            errors["parent_expectations"] = expectation_errors
        if assigned_to is not None and not _works_as_staff(assigned_to, center):
            errors["assigned_to"] = ["Assign the lead to a counselor or admin of this center."]
        new_child = Child(
            center=center,
            first_name=(child.get("first_name") or "").strip(),
            last_name=(child.get("last_name") or "").strip(),
            dob=child.get("dob"),
            gender=child.get("gender") or "",
            school=(school or "").strip(),
        )
        errors.update(_model_errors(new_child, "child", exclude=["center"]))
        if isinstance(new_child.dob, datetime.date) and new_child.dob > timezone.localdate():
            errors["child.dob"] = ["The date of birth cannot be in the future."]
        new_parent = Parent(
            center=center,
            name=(parent.get("name") or "").strip(),
            phone=phone or "+0",
            email=(parent.get("email") or "").strip(),
        )
        errors.update(_model_errors(new_parent, "parent", exclude=["center", "phone"]))
        if errors:
            raise ValidationError(errors)

        with transaction.atomic():
            # Locking the center's counter first serialises enquiries of one center, so the
            # family lookups below cannot race each other.
            enquiry_id = EnquiryCounter.next_enquiry_id(center)
            existing_parent, family_child = find_family(
                center, phone, first_name=new_child.first_name, last_name=new_child.last_name, dob=new_child.dob
            )
            if existing_parent is None:
                new_parent.save()
                family_parent = new_parent
            else:
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
                    raise LifecycleError(
                        f"{family_child.full_name} already has an open lead, {open_lead.enquiry_id}. "
                        "Continue with that lead instead.",
                        code="duplicate",
                    )
                if new_child.school and family_child.school != new_child.school:
                    family_child.school = new_child.school
                    family_child.save(update_fields=["school"])
            now = timezone.now()
            lead = cls(
                center=center,
                child=family_child,
                enquiry_id=enquiry_id,
                status=S.ENQUIRY_RECEIVED,
                source=source,
                school=new_child.school,
                preferred_schedule=(preferred_schedule or "").strip(),
                parent_expectations=expectations,
                discovery_notes=(remarks or "").strip(),
                assigned_to=assigned_to or (by if _works_as_staff(by, center) else None),
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
                raise LifecycleError(f"{family_child.full_name} already has an open lead.", code="duplicate") from None
            LeadStatusChange.objects.create(
                lead=lead,
                from_status="",
                to_status=S.ENQUIRY_RECEIVED,
                action=Move.CREATE_ENQUIRY,
                actor=by,
                at=now,
                note=lead.discovery_notes,
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
        expectations, expectation_errors = _clean_expectations(parent_expectations)
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
        by: User,
    ) -> IntroVisit:
        errors: dict[str, str] = {}
        if problem := batch_problem(batch, self.center_id, missing="Choose the batch the child will try."):
            errors["batch"] = problem
        trainer = trainer or (batch.trainer if batch is not None else None)
        if trainer is not None and (trainer.role != "TRAINER" or not trainer.works_in(self.center_id)):
            errors["trainer"] = "Choose a trainer of this center."
        if not isinstance(scheduled_at, datetime.datetime):
            errors["scheduled_at"] = "Enter the date and time of the visit."
        elif scheduled_at <= timezone.now():
            errors["scheduled_at"] = "The visit must be in the future."
        if errors:
            raise ValidationError(errors)
        with self._transition(Move.SCHEDULE_INTRO_VISIT, by=by, note=notes) as lead:
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
        scheduled_date: datetime.date,
        notes: str = "",
        assigned_to: User | None = None,
        by: User,
    ) -> FollowUp:
        assigned_to = assigned_to or self.assigned_to or by
        self._validate_follow_up(scheduled_date, assigned_to)
        with self._transition(Move.ADD_FOLLOW_UP, by=by, note=notes) as lead:
            follow_up = FollowUp.objects.create(
                lead=lead, scheduled_date=scheduled_date, notes=notes.strip(), assigned_to=assigned_to, created_by=by
            )
        return follow_up

    def _validate_follow_up(self, scheduled_date: Any, assigned_to: User | None, field: str = "scheduled_date") -> None:
        errors = {}
        if not isinstance(scheduled_date, datetime.date) or isinstance(scheduled_date, datetime.datetime):
            errors[field] = "Enter the date of the follow-up."
        elif scheduled_date < timezone.localdate(timezone=self.center.tzinfo):
            errors[field] = "Pick today or a later date."
        if assigned_to is not None and not _works_as_staff(assigned_to, self.center):
            errors["assigned_to"] = "Assign the follow-up to a counselor or admin of this center."
        if errors:
            raise ValidationError(errors)

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
        self._validate_follow_up(follow_up_date, assignee, field="follow_up_date")
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

    def update_details(self, *, by: User, **fields: Any) -> None:
        """Edit source, assignee or remarks (never the status): the legacy PATCH and admin edits."""
        require_permission(by, Action.MANAGE_LEAD, self.center_id)
        allowed = {"source", "assigned_to", "discovery_notes", "school", "preferred_schedule", "parent_expectations"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValidationError({name: "This field cannot be changed here." for name in unknown})
        if "source" in fields and fields["source"] not in LeadSource.values:
            raise ValidationError({"source": f"Choose one of: {', '.join(LeadSource.values)}."})
        if "parent_expectations" in fields:
            fields["parent_expectations"], problems = _clean_expectations(fields["parent_expectations"])
            if problems:
                raise ValidationError({"parent_expectations": problems})
        assignee = fields.get("assigned_to")
        if assignee is not None and not _works_as_staff(assignee, self.center):
            raise ValidationError({"assigned_to": "Assign the lead to a counselor or admin of this center."})
        with transaction.atomic():
            for name, value in fields.items():
                setattr(self, name, value.strip() if isinstance(value, str) else value)
            self.updated_by = by
            self.save(update_fields=[*fields, "updated_by", "updated_at"])

    def reassign(self, *, assigned_to: User | None, by: User) -> None:
        """Change the counselor in charge (not a status move, so no history row)."""
        require_permission(by, Action.MANAGE_LEAD, self.center_id)
        if assigned_to is not None and not _works_as_staff(assigned_to, self.center):
            raise ValidationError({"assigned_to": "Assign the lead to a counselor or admin of this center."})
        with transaction.atomic():
            type(self).objects.filter(pk=self.pk).update(
                assigned_to=assigned_to, updated_by=by, updated_at=timezone.now()
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


def _works_as_staff(user: User, center: Center) -> bool:
    return user.is_active and user.role in ("COUNSELOR", "CENTER_ADMIN", "SUPER_ADMIN") and user.works_in(center.pk)


def _clean_expectations(values: list[str] | None) -> tuple[list[str], list[str]]:
    if values is None:
        return [], []
    if not isinstance(values, list | tuple):
        return [], ["Send a list of expectations."]
    unknown = [v for v in values if v not in ParentExpectation.values]
    if unknown:
        return [], [
            f"Unknown expectation: {', '.join(map(str, unknown))}. Choose from {', '.join(ParentExpectation.values)}."
        ]
    return list(dict.fromkeys(values)), []


def _model_errors(instance: models.Model, prefix: str, exclude: list[str]) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        return {f"{prefix}.{name}": messages for name, messages in error.message_dict.items()}
    return {}
