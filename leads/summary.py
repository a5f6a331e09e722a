"""What a row of the leads list carries beyond the lead itself, in the lead's own query.

    leads = with_summary(Lead.objects.for_user(user))
    lead.parent_name, lead.parent_phone, lead.parent_email   # the child's primary parent
    lead.next_follow_up                                       # the earliest pending follow-up's due date
    lead.last_visit_outcome                                   # the latest recorded intro-visit outcome

Correlated subqueries, not prefetches: one query however many rows, which `.iterator()` then
streams (the exports) or a page slices (GET /api/v1/leads).
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from leads.models import FamilyLink, FollowUp, FollowUpStatus, IntroVisit


def with_summary(leads: QuerySet) -> QuerySet:
    primary = FamilyLink.objects.filter(child=OuterRef("child")).order_by("-is_primary", "pk")
    follow_up = FollowUp.objects.filter(lead=OuterRef("pk"), status=FollowUpStatus.PENDING).order_by(
        "scheduled_date", "pk"
    )
    visit = IntroVisit.objects.filter(lead=OuterRef("pk"), outcome__isnull=False).order_by("-scheduled_at", "-pk")
    return leads.select_related("center", "child", "assigned_to", "program").annotate(
        parent_name=Subquery(primary.values("parent__name")[:1]),
        parent_phone=Subquery(primary.values("parent__phone")[:1]),
        parent_email=Subquery(primary.values("parent__email")[:1]),
        next_follow_up=Subquery(follow_up.values("scheduled_date")[:1]),
        last_visit_outcome=Subquery(visit.values("outcome")[:1]),
    )
