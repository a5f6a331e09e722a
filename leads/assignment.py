"""Automatic assignment (issue 11, section 5): who gets a new lead when its door names nobody.

`Lead.create_enquiry` asks `choose_assignee` whenever it is given no assignee, so every door gets
the same rule: the staff enquiry form left on "Automatic", the API without `assigned_to_user_id`,
the public form, webhooks whose source names nobody, and imports. The center's `assignment_mode`:

- RECORDER (existing centers' behaviour): a staff member keeps the lead they record; what comes in
  by itself (a system user records it) goes round-robin.
- ROUND_ROBIN: the next active counselor of the center after the one who got the last lead.
- BY_SOURCE / BY_PROGRAM: the counselor the center's `AssignmentRoute` names for the lead's source
  or program, else round-robin.

Who can take a lead: an active member of the center, not a system user (`web-*`, `intake-*`), not
away there today (`CenterMembership.away_until`, the center's date). Round-robin goes among the
counselors; with none available, among the center admins; with nobody at all, the person recording
it keeps it (when they are staff), else it waits unassigned.

Fairness under concurrency: the center's `AssignmentCursor` row is locked (select_for_update) until
the enquiry commits, so 100 enquiries arriving at once over 3 counselors end 34/33/33.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import MEMBERSHIP_PERM, AssignmentMode, Center, CenterMembership, Role, User
from leads.lifecycle import OPEN_STATUSES, LeadSource
from leads.models.assignment import AssignmentCursor, AssignmentRoute

if TYPE_CHECKING:
    from leads.models.enrollment import Program

ROUND_ROBIN = "round-robin"


@dataclass(frozen=True)
class Assignment:
    """The rule's answer: `user` (None: nobody), and `how` for the timeline ("" when the person
    recording the lead keeps it, as before the rule existed: nothing to explain)."""

    user: User | None
    how: str = ""

    @property
    def sentence(self) -> str:
        return f"Assigned to {self.user} by {self.how}"[:160] if self.user is not None and self.how else ""


def is_system_user(user: User) -> bool:
    """The centers' website and intake accounts (accounts.models.WEBSITE_USERS, in Python)."""
    return user.username.startswith(("web-", "intake-")) and not user.has_usable_password()


def _records_as_staff(user: User | None, center: Center) -> bool:
    return (
        user is not None
        and user.is_active
        and not is_system_user(user)
        and user.role_in(center.pk) in (Role.COUNSELOR, Role.CENTER_ADMIN, Role.SUPER_ADMIN)
    )


def away_user_ids(center: Center, today: datetime.date):
    """Subquery: the members of `center` away there on `today`."""
    return CenterMembership.objects.filter(
        permission__codename=MEMBERSHIP_PERM, content_object=center, away_until__gte=today
    ).values("user_id")


def available_staff(center: Center, today: datetime.date | None = None) -> list[User]:
    """Counselors and center admins of `center` who can take a lead today, by id, each with
    `center_role` (one query)."""
    today = today or timezone.localdate(timezone=center.tzinfo)
    return list(
        User.objects.in_centers(center, roles=[Role.COUNSELOR, Role.CENTER_ADMIN])
        .exclude(pk__in=away_user_ids(center, today))
        .with_role_in(center)
        .order_by("pk")
    )


def choose_assignee(
    center: Center, *, source: str = "", program: Program | None = None, by: User | None = None
) -> Assignment:
    """The center's rule for a new lead (see the module docstring). Must run inside the creating
    transaction: the round-robin cursor stays locked until it commits. Queries: none when the
    recorder keeps the lead; else at most five, whatever the number of counselors."""
    mode = center.assignment_mode
    if mode == AssignmentMode.RECORDER and _records_as_staff(by, center):
        return Assignment(by)
    staff = available_staff(center)
    if mode in (AssignmentMode.BY_SOURCE, AssignmentMode.BY_PROGRAM):
        routed = _routed(center, mode, source=source, program=program, staff=staff)
        if routed is not None:
            return routed
    chosen = _round_robin(center, staff)
    if chosen is not None:
        return Assignment(chosen, ROUND_ROBIN)
    return Assignment(by if _records_as_staff(by, center) else None)


def _routed(center, mode, *, source, program, staff) -> Assignment | None:
    if mode == AssignmentMode.BY_SOURCE:
        if not source:
            return None
        route = AssignmentRoute.objects.filter(center=center, source=source).first()
        how = f"source: {LeadSource(source).label}" if source in LeadSource.values else ""
    else:
        if program is None:
            return None
        route = AssignmentRoute.objects.filter(center=center, program=program).first()
        how = f"program: {program.name}"
    by_pk = {user.pk: user for user in staff}
    if route is None or route.assign_to_id not in by_pk:
        return None  # no route, or its counselor is away or gone: round-robin
    return Assignment(by_pk[route.assign_to_id], how)


def _round_robin(center: Center, staff: list[User]) -> User | None:
    """The available counselor after the last one served (by id, wrapping); center admins when no
    counselor is available. Moves the center's cursor, locked until the transaction ends.

    Lock order: create_enquiry calls this right after locking the center's EnquiryCounter and
    before it touches any family row (parent, child): counter, then cursor, then family, the same
    order on every path, so two enquiries cannot deadlock on them.
    """
    pool = [user for user in staff if user.center_role == Role.COUNSELOR] or [
        user for user in staff if user.center_role == Role.CENTER_ADMIN
    ]
    if not pool:
        return None
    AssignmentCursor.objects.get_or_create(center=center)
    cursor = AssignmentCursor.objects.select_for_update().get(pk=center.pk)
    last = cursor.last_assignee_id or 0
    chosen = next((user for user in pool if user.pk > last), pool[0])
    AssignmentCursor.objects.filter(pk=center.pk).update(last_assignee=chosen)
    return chosen


def open_leads_by_member(memberships):
    """Annotate a CenterMembership queryset with `open_leads`: the member's open leads in that
    membership's center (the load the admin sees; one subquery, no query per row)."""
    from leads.models import Lead

    open_here = (
        Lead.objects.filter(
            center_id=OuterRef("content_object_id"), assigned_to_id=OuterRef("user_id"), status__in=OPEN_STATUSES
        )
        .order_by()
        .values("assigned_to_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return memberships.annotate(open_leads=Coalesce(Subquery(open_here, output_field=IntegerField()), 0))


def staff_memberships(center_ids):
    """The memberships of counselors and center admins in `center_ids`, system users left out."""
    return CenterMembership.objects.filter(
        Q(role__in=[Role.COUNSELOR, Role.CENTER_ADMIN])
        | Q(role="", user__role__in=[Role.COUNSELOR, Role.CENTER_ADMIN]),
        permission__codename=MEMBERSHIP_PERM,
        content_object_id__in=center_ids,
    ).exclude(
        Q(user__username__startswith="web-") | Q(user__username__startswith="intake-"),
        user__password__startswith="!",
    )
