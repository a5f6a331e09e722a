"""Erasing a family (a parent's request, or retention): every personal field overwritten, every figure kept.

A family is the parents of a child and all their children (`family_children`, as the export finds
it). `erase_family` overwrites, in one transaction with the family's leads locked first: parents'
names ("Erased"), phones (a placeholder, see `placeholder_phone`) and emails; children's names,
school and birth day (the date becomes 1 July of its year, flagged approximate, so ages stay about
right); and every free text held on the family's rows: discovery notes, the closing reason's text,
preferred schedule, notes, visit remarks, follow-up notes, enrollment notes, the status history's
notes, corrections' before/after values, and the notifications and reminder rows about the family.

Kept as they were: every status, date, source, program, outcome, reason category, assignee and
history row, so each dashboard figure is the same before and after. Erasure cannot be undone and
is written to the access log.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Replace
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AccessAction, AccessLog
from insights.models import Notification, NotificationKind, ReminderLog
from leads.family_export import family_children
from leads.lifecycle import LifecycleError
from leads.models import (
    Child,
    Consent,
    DetailChange,
    Enrollment,
    FollowUp,
    IntakeItem,
    IntroVisit,
    Lead,
    LeadNote,
    LeadStatusChange,
    Parent,
)

if TYPE_CHECKING:
    from accounts.models import User

ERASED = "Erased"

ONLY_ADMINS = "Only a center admin of this family's center, or a super admin, can erase a family."
ALREADY_ERASED = "This family was already erased on {day}: erasure cannot be undone or repeated."
CONFIRM = "Type the enquiry ID {enquiry_id} exactly to confirm the erasure."


@dataclass(frozen=True)
class Erased:
    """What one erasure overwrote."""

    children: int
    parents: int
    leads: int


def placeholder_phone(parent_pk: int) -> str:
    """The erased parent's phone: +800 (international freephone) and the parent's id in 8 digits.

    A valid E.164 number, so every phone check (forms, admin, PhoneField) still accepts the row;
    unique per parent, so the center's one-parent-per-phone constraint holds; and never a family's
    mobile, so no enquiry or search by a real number ever finds an erased parent.
    """
    return f"+800{parent_pk:08d}"


def _erased(field: str) -> Case:
    """An empty text stays empty; any other becomes "Erased" (the page shows there was one)."""
    return Case(When(Q(**{field: ""}), then=Value("")), default=Value(ERASED), output_field=models.TextField())


def _erased_changes(changes: list) -> list:
    """A correction keeps which fields changed, not their values."""
    return [[label, ERASED if before else "", ERASED if after else ""] for label, before, after in changes]


def erase_family(
    child: Child,
    *,
    by: User | None,
    confirmation: str | None = None,
    request: HttpRequest | None = None,
) -> Erased:
    """Erase the family of `child` (see the module docstring). Irreversible.

    `by`: a center admin of the family's center or a super admin, who must type one of the
    family's enquiry IDs as `confirmation` (ValidationError on "confirmation" otherwise, nothing
    written); None is the system (the retention command), which confirms nothing.
    An erased family raises LifecycleError. `request` only gives the access log its address.
    """
    if by is not None and not by.administers(child.center_id):
        raise PermissionDenied(ONLY_ADMINS)
    with transaction.atomic():
        # The leads first (the house lock order), then the family's other rows. The family is read
        # again once its leads are locked, until it holds still: a parent or sibling added meanwhile
        # (those verbs lock a lead too) is erased with it rather than left behind.
        locked: set[int] = set()
        while True:
            child_ids = [member.pk for member in family_children(child)]
            leads = list(Lead.objects.select_for_update().filter(child_id__in=child_ids).order_by("pk"))
            if {lead.pk for lead in leads} <= locked:
                break
            locked |= {lead.pk for lead in leads}
        children = list(Child.objects.select_for_update().filter(pk__in=child_ids).order_by("pk"))
        parent_ids = sorted(set(Parent.objects.filter(links__child_id__in=child_ids).values_list("pk", flat=True)))
        parents = list(Parent.objects.select_for_update().filter(pk__in=parent_ids).order_by("pk"))

        own = next(member for member in children if member.pk == child.pk)
        if own.erased_at is not None:
            day = timezone.localtime(own.erased_at, own.center.tzinfo)
            raise LifecycleError(ALREADY_ERASED.format(day=f"{day:%-d %b %Y}"), code="erased")
        if by is not None:
            enquiry_ids = {lead.enquiry_id for lead in leads}
            if (confirmation or "").strip() not in enquiry_ids:
                mine = [lead.enquiry_id for lead in leads if lead.child_id == child.pk]
                hint = (mine or sorted(enquiry_ids) or ["of the lead"])[-1]
                raise ValidationError({"confirmation": CONFIRM.format(enquiry_id=hint)})

        _overwrite(children, parents, leads, now=timezone.now())
        erased = Erased(children=len(children), parents=len(parents), leads=len(leads))
        AccessLog.record(
            request,
            action=AccessAction.ERASE,
            object_type="family",
            object_id=child.pk,
            user=by,
            center_id=child.center_id,
            family_id=child.pk,
            detail=(
                f"family erased{' by retention' if by is None else ''}: "
                f"{erased.children} children, {erased.parents} parents, {erased.leads} leads"
            ),
        )
    return erased


def _overwrite(children: list[Child], parents: list[Parent], leads: list[Lead], *, now: datetime.datetime) -> None:
    child_ids = [member.pk for member in children]
    lead_ids = [lead.pk for lead in leads]
    # How the notifications named each lead (Lead.__str__), taken before the names go.
    names = {member.pk: member.full_name for member in children}
    spoken = {f"{lead.enquiry_id} · {names[lead.child_id]}": f"{lead.enquiry_id} · {ERASED}" for lead in leads}

    for parent in parents:
        Parent.objects.filter(pk=parent.pk).update(
            name=ERASED, phone=placeholder_phone(parent.pk), email="", erased_at=now
        )
    for member in children:
        Child.objects.filter(pk=member.pk).update(
            first_name=ERASED,
            last_name="",
            school="",
            dob=datetime.date(member.dob.year, 7, 1),
            dob_is_approximate=True,
            erased_at=now,
        )
    Lead.objects.filter(pk__in=lead_ids).update(
        school="",
        discovery_notes=_erased("discovery_notes"),
        preferred_schedule=_erased("preferred_schedule"),
        closed_reason=_erased("closed_reason"),
        updated_at=now,  # an edit form opened before the erasure is refused as stale
    )
    Enrollment.objects.filter(child_id__in=child_ids).update(notes=_erased("notes"))
    IntroVisit.objects.filter(lead_id__in=lead_ids).update(
        notes=_erased("notes"), outcome_notes=_erased("outcome_notes")
    )
    FollowUp.objects.filter(lead_id__in=lead_ids).update(notes=_erased("notes"))
    LeadNote.objects.filter(lead_id__in=lead_ids).update(body=ERASED)
    # What a webhook delivered for these leads (the row stays: a retry still finds it, makes nothing).
    IntakeItem.objects.filter(lead_id__in=lead_ids).update(payload={}, error="")

    # History keeps its rows (the figures read them); only their text goes.
    LeadStatusChange.objects.filter(lead_id__in=lead_ids).exclude(note="")._erase_personal_data(note=ERASED)
    DetailChange.objects.filter(lead_id__in=lead_ids).filter(subject__startswith="child ")._erase_personal_data(
        subject="child"
    )
    DetailChange.objects.filter(lead_id__in=lead_ids).filter(subject__startswith="parent ")._erase_personal_data(
        subject="parent"
    )
    by_value: dict[str, tuple[list, list[int]]] = {}
    for pk, changes in DetailChange.objects.filter(lead_id__in=lead_ids).values_list("pk", "changes"):
        new = _erased_changes(changes or [])
        by_value.setdefault(repr(new), (new, []))[1].append(pk)
    for new, pks in by_value.values():
        DetailChange.objects.filter(pk__in=pks)._erase_personal_data(changes=new)

    # Messages: the bell's notifications about the family's leads, the leads' lines in the daily
    # digests (which name them as "TLGC0001 · Asha Kumar"), and the reminder rows' parent addresses.
    Notification.objects.filter(lead_id__in=lead_ids).update(title=ERASED, body=_erased("body"))
    if leads:
        digests = Notification.objects.filter(
            kind=NotificationKind.DIGEST, created_at__gte=min(lead.created_at for lead in leads)
        )
        for old, new in spoken.items():
            digests.filter(body__contains=old).update(body=Replace(F("body"), Value(old), Value(new)))
    follow_up_ids = FollowUp.objects.filter(lead_id__in=lead_ids).values("pk")
    visit_ids = IntroVisit.objects.filter(lead_id__in=lead_ids).values("pk")
    about_family = ReminderLog.objects.filter(
        Q(kind=NotificationKind.LEAD_ASSIGNED, object_id__in=lead_ids)
        | Q(
            kind__in=[NotificationKind.OVERDUE, NotificationKind.ESCALATION, NotificationKind.FOLLOW_UP_ASSIGNED],
            object_id__in=follow_up_ids,
        )
        | Q(kind=NotificationKind.VISIT_REMINDER, object_id__in=visit_ids)
    )
    about_family.exclude(error="").update(error="")
    # Consents stay (the record of what was agreed), without the web form's address and browser.
    Consent.objects.filter(parent__in=parents).update(address=None, user_agent="")
    about_family.filter(recipient__isnull=True).exclude(address="").update(address="")  # a parent's phone or email
