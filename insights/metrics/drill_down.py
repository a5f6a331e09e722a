"""Drill-down: the leads behind one figure, with the same definitions as the figures."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from insights.metrics.filters import Filters
from insights.metrics.follow_up_effectiveness import follow_up_filters, follow_up_queryset
from insights.metrics.funnel import FUNNEL, STEP_FILTERS
from insights.metrics.time_in_stage import STALE_AFTER_DAYS
from insights.metrics.trials import EXTRA_STEPS
from leads.models import ClosedReason, Lead, LeadSource, LeadStatus
from leads.params import clean_id


def drill_down(user: User, filters: Filters, query, *, now: datetime.datetime | None = None) -> tuple[QuerySet, str]:
    """The leads behind one figure, and a sentence saying which; same definitions as `build`."""
    now = now or timezone.now()
    step = query.get("step", "")
    if query.get("fu"):
        return _follow_up_leads(user, filters, query, now)
    leads = filters.leads(user)
    label = "Leads created"
    reached = STEP_FILTERS.get(step) or EXTRA_STEPS.get(step)
    if reached:
        leads = leads.filter(reached)
        label = dict((k, lbl) for k, lbl, _r in FUNNEL).get(step, "Attended an intro visit")
        if step in STEP_FILTERS:
            label = f"Reached “{label}” or later"
    if query.get("converted") == "1":
        leads = leads.filter(converted_at__isnull=False)
        label += ", converted"
    if query.get("stage") in LeadStatus.values:
        status = LeadStatus(query["stage"])
        leads = leads.filter(status=status)
        label = f"Now in “{status.label}”"
        if query.get("stuck") == "1":
            leads = leads.filter(status_changed_at__lt=now - datetime.timedelta(days=STALE_AFTER_DAYS))
            label += f" for more than {STALE_AFTER_DAYS} days"
    if query.get("closed") is not None and query.get("closed") in ["", *ClosedReason.values] and "closed" in query:
        leads = leads.filter(status=LeadStatus.CLOSED_LOST, closed_reason_category=query["closed"])
        label = f"Closed: {dict(ClosedReason.choices).get(query['closed'], 'reason not given')}"
    if query.get("lead_source") in LeadSource.values:
        leads = leads.filter(source=query["lead_source"])
        label += f" · source {LeadSource(query['lead_source']).label}"
    if lead_center := clean_id(query.get("lead_center")):
        leads = leads.filter(center_id=lead_center)
        label += " · one center"
    return leads, label


def _follow_up_leads(user, filters, query, now) -> tuple[QuerySet, str]:
    kind = query.get("fu")
    conditions = follow_up_filters(now, filters.tz)
    follow_ups = follow_up_queryset(user, filters)
    assignee = filters.counselor.pk if filters.counselor else query.get("assignee")
    if assignee_id := clean_id(assignee):  # 1 to 2**63 - 1, ASCII digits
        follow_ups = follow_ups.filter(assigned_to_id=assignee_id)
    elif assignee == "none":
        follow_ups = follow_ups.filter(assigned_to__isnull=True)
    if kind in conditions:
        with timezone.override(filters.tz):
            follow_ups = follow_ups.filter(conditions[kind])
    label = "Leads of follow-ups scheduled in the range" + (f" · {kind.replace('_', ' ').lower()}" if kind else "")
    return Lead.objects.for_user(user).filter(pk__in=follow_ups.values("lead_id")), label
