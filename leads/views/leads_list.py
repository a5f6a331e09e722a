"""Leads list: filters, search, sortable columns and pages, updated in place; CSV of the same rows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Action, mark_centers
from leads.access import require_action
from leads.exports import csv_response
from leads.filters import LeadFilter
from leads.models import FamilyLink, Lead
from leads.templatetags.crm import center_dt

PAGE_SIZE = 50
CSV_COLUMNS = [
    "Enquiry ID",
    "Center",
    "Status",
    "Child",
    "Date of birth",
    "Gender",
    "Parent",
    "Phone",
    "Email",
    "Source",
    "School",
    "Assigned to",
    "Created",
    "Status since",
]


def _rows(filterset: LeadFilter) -> QuerySet:
    """The filtered leads with all they show, in a fixed number of queries."""
    primary = FamilyLink.objects.select_related("parent").order_by("-is_primary", "pk")
    queryset = filterset.qs.select_related("center", "child", "assigned_to").prefetch_related(
        Prefetch("child__links", queryset=primary)
    )
    if not filterset.form.cleaned_data.get("o"):
        queryset = queryset.order_by("-created_at", "-pk")
    return queryset


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.VIEW_LEADS)
    filterset = LeadFilter(request.GET, request=request)
    if filterset.is_valid():
        page = Paginator(_rows(filterset), PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        page = Paginator(Lead.objects.none(), PAGE_SIZE).get_page(1)
    if getattr(filterset, "several_centers", False):  # names carry their center: "Priya (TLGC)"
        mark_centers({lead.assigned_to for lead in page.object_list if lead.assigned_to})
    context = {"filter": filterset, "page": page, "now": timezone.now(), "has_filters": _has_filters(request)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "leads/leads_list.html#results", context)
    return render(request, "leads/leads_list.html", context)


def _has_filters(request: HttpRequest) -> bool:
    return any(value for key, value in request.GET.items() if key not in ("page", "o"))


@login_required
@require_GET
def lead_csv(request: HttpRequest) -> HttpResponse:
    """The filtered list (every page) as CSV, streamed so 10,000 rows cost no memory."""
    require_action(request.user, Action.VIEW_LEADS)
    filterset = LeadFilter(request.GET, request=request)
    if not filterset.is_valid():
        return HttpResponse("Check the filters: " + filterset.errors.as_text(), status=400, content_type="text/plain")

    def rows():
        for lead in _rows(filterset).iterator(chunk_size=500):
            links = list(lead.child.links.all())
            parent = links[0].parent if links else None
            yield [
                lead.enquiry_id,
                lead.center.code,
                lead.get_status_display(),
                lead.child.full_name,
                lead.child.dob,
                lead.child.gender,
                parent.name if parent else "",
                parent.phone if parent else "",
                parent.email if parent else "",
                lead.get_source_display(),
                lead.school,
                str(lead.assigned_to or ""),
                center_dt(lead.created_at, lead.center),
                center_dt(lead.status_changed_at, lead.center),
            ]

    return csv_response(f"leads-{timezone.localdate():%Y-%m-%d}.csv", CSV_COLUMNS, rows())
