"""Leads list: filters, search, sortable columns and pages, updated in place; CSV of the same rows."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Action, mark_centers
from leads.access import export_detail, log_lead_list_export, require_action
from leads.exports import Text, csv_response, local, xlsx_response
from leads.filters import LeadFilter
from leads.models import FamilyLink, IVOutcome, Lead
from leads.phones import display_phone
from leads.summary import with_summary

PAGE_SIZE = 50
#: Rows read per database round trip while an export streams (constant memory, constant queries per chunk).
EXPORT_CHUNK = 2000
#: The export's columns and their widths in the XLSX (characters).
EXPORT_COLUMNS = [
    ("Enquiry ID", 12),
    ("Center", 8),
    ("Status", 18),
    ("Child", 22),
    ("Date of birth", 12),
    ("Gender", 8),
    ("Parent", 22),
    ("Phone", 17),
    ("Email", 26),
    ("Source", 12),
    ("Program", 14),
    ("School", 20),
    ("Assigned to", 18),
    ("Created", 16),
    ("Status since", 16),
    ("Days in status", 8),
    ("Next follow-up", 16),
    ("Last visit outcome", 20),
    ("Closure category", 16),
    ("Closure reason", 30),
]
CSV_COLUMNS = [title for title, _ in EXPORT_COLUMNS]


def _rows(filterset: LeadFilter, *, prefetch: bool = True) -> QuerySet:
    """The filtered leads with all they show, in a fixed number of queries."""
    queryset = filterset.qs.select_related("center", "child", "assigned_to", "program")
    if prefetch:
        primary = FamilyLink.objects.select_related("parent").order_by("-is_primary", "pk")
        queryset = queryset.prefetch_related(Prefetch("child__links", queryset=primary))
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


def _export_rows(request: HttpRequest, filterset: LeadFilter):
    """Every filtered lead as one typed row (leads/exports.py writes it), one query per chunk."""
    now = timezone.now()
    for lead in with_summary(_rows(filterset, prefetch=False)).iterator(chunk_size=EXPORT_CHUNK):
        center = lead.center
        yield [
            lead.enquiry_id,
            center.code,
            lead.get_status_display(),
            lead.child.full_name,
            lead.child.dob,
            lead.child.get_gender_display() if lead.child.gender else "",
            lead.parent_name,
            Text(display_phone(lead.parent_phone)) if lead.parent_phone else None,
            lead.parent_email,
            lead.get_source_display(),
            lead.program.name if lead.program else "",
            lead.school,
            str(lead.assigned_to or ""),
            local(lead.created_at, center),
            local(lead.status_changed_at, center),
            lead.days_in_status(now),
            _when(lead.next_follow_up, center),
            IVOutcome(lead.last_visit_outcome).label if lead.last_visit_outcome else "",
            lead.get_closed_reason_category_display(),
            lead.closed_reason,
        ]


def _when(value, center):
    """A follow-up's due date, or its date-time in the center's clock (whichever the model has)."""
    return local(value, center) if isinstance(value, datetime.datetime) else value


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    require_action(request.user, Action.VIEW_LEADS)
    filterset = LeadFilter(request.GET, request=request)
    if not filterset.is_valid():
        return HttpResponse("Check the filters: " + filterset.errors.as_text(), status=400, content_type="text/plain")
    filename = f"leads-{timezone.localdate():%Y-%m-%d}.{kind}"
    chosen = filterset.form.cleaned_data.get("center")
    log_lead_list_export(
        request, center_id=chosen.pk if chosen else None, detail=export_detail(request.GET, prefix=kind)
    )
    rows = _export_rows(request, filterset)
    if kind == "xlsx":
        return xlsx_response(filename, CSV_COLUMNS, rows, widths=[width for _, width in EXPORT_COLUMNS])
    return csv_response(filename, CSV_COLUMNS, rows)


@login_required
@require_GET
def lead_csv(request: HttpRequest) -> HttpResponse:
    """The filtered list (every page) as CSV, streamed: any number of rows in constant memory."""
    return _export(request, "csv")


@login_required
@require_GET
def lead_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered list (every page) as an Excel workbook with typed columns."""
    return _export(request, "xlsx")
