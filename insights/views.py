"""Dashboard, drill-down list, calendar, notifications, contact links and message templates."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.models import Action, Role, User, counts_only_own, mark_centers
from insights import metrics
from insights.contacts import default_kind, message_for, primary_parent, tel_url, whatsapp_url
from insights.models import (
    DEFAULT_TEMPLATES,
    ContactAttempt,
    ContactChannel,
    MessageTemplate,
    Notification,
    TemplateKind,
)
from insights.params import MESSAGE_BODY, CalendarQuery
from insights.placeholders import validate_template
from leads.access import get_lead_for_user, require_action
from leads.centers import current_center, user_centers
from leads.exports import csv_response
from leads.models import Consent, FollowUp, FollowUpStatus, IntroVisit, LeadSource
from leads.params import NextQuery


def _filters(request: HttpRequest) -> metrics.Filters:
    require_action(request.user, Action.VIEW_LEADS)
    return metrics.Filters.from_query(
        request.user,
        request.GET,
        centers=user_centers(request),
        default_center=current_center(request),
    )


def _counselor_choices(request: HttpRequest, filters: metrics.Filters) -> list[User]:
    if counts_only_own(request.user):
        return []
    centers = [filters.center] if filters.center else filters.centers
    people = list(User.objects.in_centers(centers, roles=[Role.COUNSELOR, Role.CENTER_ADMIN]))
    if len(centers) > 1:  # staff of several centers: names carry their center ("Priya (TLGC)")
        mark_centers(people)
    return people


# -- dashboard -----------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    board = metrics.build(request.user, filters)
    for error in filters.errors:
        messages.warning(request, error)
    context = {
        "board": board,
        "filters": filters,
        "definitions": metrics.DEFINITIONS,
        "sources": LeadSource.choices,
        "counselors": _counselor_choices(request, filters),
        "show_centers": request.user.is_super_admin or len(filters.centers) > 1,
        "perms_manage_center": request.user.may(Action.MANAGE_CENTER),
        "stale_days": metrics.STALE_AFTER_DAYS,
        "window_days": metrics.CONVERSION_WINDOW_DAYS,
    }
    template = "insights/dashboard.html#dashboard" if request.htmx else "insights/dashboard.html"
    return render(request, template, context)


def tables(board: metrics.Dashboard) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the dashboard as (header, rows): the CSV downloads."""
    steps = board.total.steps()

    def funnel_row(counts: metrics.FunnelCounts) -> list:
        return [counts.leads, counts.discovery, counts.scheduled, counts.attended, counts.converted]

    funnel_header = ["Leads", "Discovery done", "IV scheduled", "IV attended", "Converted"]
    return {
        "funnel": (
            ["Step", "Leads", "Step rate %", "Of all enquiries %"],
            [[s["label"], s["count"], s["step_rate"], s["of_all"]] for s in steps],
        ),
        "sources": (
            ["Source", *funnel_header, "Conversion rate %"],
            [[r["label"], *funnel_row(r["counts"]), r["rate"]] for r in board.sources],
        ),
        "rates": (
            ["Figure", "Value", "Median days", "Average days", "Leads counted"],
            [
                ["Conversion rate %", board.total.conversion_rate, "", "", board.total.leads],
                ["Trial conversion rate %", board.total.trial_rate, "", "", board.total.trial],
                [
                    "Time to conversion",
                    "",
                    board.time_to_conversion.get("median"),
                    board.time_to_conversion.get("avg"),
                    board.time_to_conversion.get("n"),
                ],
                [
                    "Time to first contact",
                    "",
                    board.first_contact.get("median"),
                    board.first_contact.get("avg"),
                    board.first_contact.get("n"),
                ],
            ],
        ),
        "stages": (
            ["Status", "Entries", "Median days", "Average days", "In it now", "Stuck now", "Stale"],
            [
                [s["label"], s["entries"], s["median"], s["avg"], s["now"], s["stuck"], "yes" if s["stale"] else ""]
                for s in board.stages
            ],
        ),
        "follow_ups": (
            [
                "Assignee",
                "Scheduled",
                "On time",
                "Late",
                "Overdue now",
                "Upcoming",
                "Cancelled",
                *[label for _v, label, _n in (board.follow_ups[0]["outcomes"] if board.follow_ups else [])],
                "Conversions within 30 days",
            ],
            [
                [
                    r["name"],
                    r["total"],
                    r["on_time"],
                    r["late"],
                    r["overdue"],
                    r["upcoming"],
                    r["cancelled"],
                    *[n for _v, _l, n in r["outcomes"]],
                    r["converted_30"],
                ]
                for r in board.follow_ups
            ],
        ),
        "closures": (
            ["Reason", "Leads", "Share %"],
            [[r["label"], r["count"], r["share"]] for r in board.closures],
        ),
        "centers": (
            ["Center", *funnel_header, "Conversion rate %", "Trial conversion rate %"],
            [
                [str(r["center"]), *funnel_row(r["counts"]), r["counts"].conversion_rate, r["counts"].trial_rate]
                for r in board.centers
            ],
        ),
    }


def _bad_filters(filters: metrics.Filters) -> HttpResponse | None:
    """A download is of exactly the range and filters asked for: anything that fell back is a 400."""
    if not filters.errors:
        return None
    return HttpResponse("Check the filters: " + " ".join(filters.errors), status=400, content_type="text/plain")


@login_required
@require_GET
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    if bad := _bad_filters(filters):
        return bad
    name = request.GET.get("table", "")
    all_tables = tables(metrics.build(request.user, filters))
    if name not in all_tables:
        raise Http404("No such table.")
    header, rows = all_tables[name]
    return csv_response(f"{name}-{filters.start}-{filters.end}.csv", header, rows)


@login_required
@require_GET
def drill_down(request: HttpRequest) -> HttpResponse:
    """The leads behind one figure of the dashboard (same parameters, same definitions)."""
    filters = _filters(request)
    leads, label = metrics.drill_down(request.user, filters, request.GET)
    leads = leads.select_related("child", "assigned_to", "center").order_by("-created_at", "-pk")
    if request.GET.get("format") == "csv":
        if bad := _bad_filters(filters):
            return bad
        rows = (
            [lead.enquiry_id, str(lead.child), lead.center.code, lead.get_status_display(), lead.get_source_display(),
             str(lead.assigned_to or ""), timezone.localtime(lead.created_at).strftime("%Y-%m-%d %H:%M")]
            for lead in leads.iterator(chunk_size=2000)
        )  # fmt: skip
        header = ["Enquiry ID", "Child", "Center", "Status", "Source", "Assigned to", "Created"]
        return csv_response(f"leads-{filters.start}-{filters.end}.csv", header, rows)
    page = Paginator(leads, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "label": label, "filters": filters, "query": query.urlencode()}
    return render(request, "insights/leads.html", context)


# -- calendar ------------------------------------------------------------------------------------


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """A week of intro visits and follow-ups, Monday to Sunday, in the center's time zone."""
    user = request.user
    is_trainer = user.is_trainer_only
    if not (user.may(Action.VIEW_LEADS) or user.may(Action.RECORD_OUTCOME)):
        raise PermissionDenied("Your role does not allow this page.")
    centers = user_centers(request)
    center = current_center(request)
    query = CalendarQuery.read(request.GET)  # a week within 2000-2100, bounded ids; junk counts as not given
    if query.center:
        center = next((c for c in centers if c.pk == query.center), center)
    tz = center.tzinfo if center else timezone.get_default_timezone()
    day = query.week or timezone.localdate(timezone=tz)
    monday = day - datetime.timedelta(days=day.weekday())
    sunday = monday + datetime.timedelta(days=6)
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)

    visits = (
        IntroVisit.objects.for_user(user)
        .filter(cancelled_at__isnull=True, scheduled_at__gte=start, scheduled_at__lt=start + datetime.timedelta(days=7))
        .select_related("lead__child", "lead__center", "lead__assigned_to", "batch", "trainer")
        .order_by("scheduled_at")
    )
    follow_ups = (
        FollowUp.objects.for_user(user)
        .filter(scheduled_date__gte=start, scheduled_date__lt=start + datetime.timedelta(days=7))
        .exclude(status=FollowUpStatus.CANCELLED)
        .select_related("lead__child", "lead__center", "assigned_to")
        .order_by("scheduled_date", "pk")
    )
    if center is not None:
        visits = visits.filter(lead__center=center)
        follow_ups = follow_ups.filter(lead__center=center)
    trainer, counselor = query.trainer, query.counselor
    if is_trainer:
        visits, follow_ups, trainer = visits.filter(trainer=user), follow_ups.none(), user.pk
    if trainer:
        visits = visits.filter(trainer_id=trainer)
        follow_ups = follow_ups.none()  # a trainer has visits, not follow-ups
    if counselor:
        visits = visits.filter(lead__assigned_to_id=counselor)
        follow_ups = follow_ups.filter(assigned_to_id=counselor)

    days = {monday + datetime.timedelta(days=i): {"visits": [], "follow_ups": []} for i in range(7)}
    for visit in visits:
        local_day = visit.scheduled_at.astimezone(visit.lead.center.tzinfo).date()
        if local_day in days:
            days[local_day]["visits"].append(visit)
    for follow_up in follow_ups:
        local_day = follow_up.scheduled_date.astimezone(follow_up.lead.center.tzinfo).date()
        if local_day in days:
            days[local_day]["follow_ups"].append(follow_up)

    scope = [center] if center else centers
    staff = [] if is_trainer else list(User.objects.in_centers(scope).order_by("first_name"))
    # Roles are per center: who trains (or counsels) in the centers on screen, from the memberships.
    trainer_ids = (
        set() if is_trainer else set(User.objects.in_centers(scope, roles=[Role.TRAINER]).values_list("pk", flat=True))
    )
    if center is None and len(centers) > 1:  # staff of several centers: names carry their center
        mark_centers(staff)
    today = timezone.localdate(timezone=tz)
    context = {
        "days": [{"date": d, "is_today": d == today, **entries} for d, entries in days.items()],
        "monday": monday,
        "sunday": sunday,
        "previous": (monday - datetime.timedelta(days=7)).isoformat(),
        "next": (monday + datetime.timedelta(days=7)).isoformat(),
        "this_week": today.isoformat(),
        "center": center,
        "tz": tz,
        "trainers": [u for u in staff if u.pk in trainer_ids],
        "counselors": [u for u in staff if u.pk not in trainer_ids],
        "trainer_id": str(trainer or ""),
        "counselor_id": str(counselor or ""),
        "is_trainer": is_trainer,
        "links_to_leads": user.may(Action.VIEW_LEADS),
        "today": today,
        "now": timezone.now(),
    }
    template = "insights/calendar.html#week" if request.htmx else "insights/calendar.html"
    return render(request, template, context)


# -- notifications -------------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    queryset = Notification.objects.for_user(request.user)
    if request.GET.get("unread") == "1":
        queryset = queryset.unread()
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(
        request, "insights/notifications.html", {"page": page, "unread_only": request.GET.get("unread") == "1"}
    )


@login_required
@require_GET
def notification_count(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.for_user(request.user).unread().count()
    return render(request, "insights/_nav.html#bell", {"unread": count})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = Notification.objects.filter(pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    if notification.recipient_id != request.user.pk:
        raise PermissionDenied("This notification is someone else's.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    if request.htmx:
        response = render(request, "insights/notifications.html#notification", {"notification": notification})
        return trigger_client_event(response, "notificationsRead")
    back = NextQuery.read(request.POST).next  # "" when not sent, None when not a path of this site
    target = notification.url if back == "" else back
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "insights:notifications"
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.for_user(request.user).mark_read()
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("insights:notifications")


# -- contact links -------------------------------------------------------------------------------


class _AppRedirect(HttpResponseRedirect):
    """303 See Other to the dialer or WhatsApp: the browser leaves the POST behind and opens the app."""

    allowed_schemes = ["tel", "https"]
    status_code = 303


@login_required
@require_POST
def contact(request: HttpRequest, lead_pk: int, channel: str) -> HttpResponse:
    """Log the tap on the lead's timeline, then hand over to the phone or WhatsApp.

    A POST (the small CSRF-protected forms of `_contact_links.html`), answered by a redirect to the
    tel: or wa.me address: logging moves the lead's first contact, so a GET (a cross-site link, a
    prefetch, a crawler) must not be able to do it. The form works the same with and without
    JavaScript; the phone number next to the buttons stays a plain tel: link.
    """
    lead = get_lead_for_user(request.user, lead_pk, action=Action.VIEW_LEADS)
    if channel not in ("call", "whatsapp"):
        raise Http404("No such channel.")
    parent = primary_parent(lead.child_id)
    if parent is None or not parent.phone:
        messages.error(request, "This lead has no parent phone number: add one on the lead page.")
        return redirect(f"/leads/{lead.pk}/")
    if refusal := Consent.contact_refusal(parent.pk):
        messages.error(request, refusal)
        return redirect(f"/leads/{lead.pk}/")
    kind = request.GET.get("template") or default_kind(lead)
    if kind not in TemplateKind.values:
        kind = default_kind(lead)
    if channel == "call":
        ContactAttempt.objects.create(lead=lead, channel=ContactChannel.CALL, by=request.user)
        return _AppRedirect(tel_url(parent.phone))
    text = message_for(lead, kind, parent=parent, counselor=request.user)
    ContactAttempt.objects.create(lead=lead, channel=ContactChannel.WHATSAPP, template=kind, by=request.user)
    return _AppRedirect(whatsapp_url(parent.phone, text))


# -- message templates ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def message_templates(request: HttpRequest) -> HttpResponse:
    """Each center's wording of the welcome, follow-up and visit-reminder messages."""
    require_action(request.user, Action.MANAGE_CENTER)
    centers = user_centers(request)
    saved = {(t.center_id, t.kind): t.body for t in MessageTemplate.objects.filter(center__in=centers)}
    errors = {}
    if request.method == "POST":
        changed = 0
        for center in centers:
            for kind in TemplateKind:
                field = f"c{center.pk}-{kind.value}"
                if field not in request.POST:
                    continue
                try:
                    body = MESSAGE_BODY.clean(request.POST[field])  # no NUL bytes
                    validate_template(body)  # the model field's own rule: the admin says the same
                except ValidationError as error:
                    errors[field] = error.messages[0]
                    continue
                if not body or body == DEFAULT_TEMPLATES[kind]:
                    changed += MessageTemplate.objects.filter(center=center, kind=kind).delete()[0]
                    continue
                if saved.get((center.pk, kind.value)) != body:
                    MessageTemplate.objects.update_or_create(center=center, kind=kind, defaults={"body": body})
                    changed += 1
        if not errors:
            messages.success(request, "Message templates saved." if changed else "Nothing changed.")
            return redirect("insights:message_templates")
    forms = [
        {
            "center": center,
            "fields": [
                {
                    "name": f"c{center.pk}-{kind.value}",
                    "label": kind.label,
                    "value": request.POST.get(f"c{center.pk}-{kind.value}")
                    if errors
                    else saved.get((center.pk, kind.value), DEFAULT_TEMPLATES[kind]),
                    "error": errors.get(f"c{center.pk}-{kind.value}"),
                }
                for kind in TemplateKind
            ],
        }
        for center in centers
    ]
    return render(request, "insights/message_templates.html", {"forms": forms}, status=400 if errors else 200)
