"""Display helpers: dates in the center's time zone, ages, status badges, sort links."""

from __future__ import annotations

import datetime
import zoneinfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from leads.phones import display_phone

register = template.Library()

DATETIME_FORMAT = "D j M, g:i A"  # Mon 15 Feb, 4:00 PM
DATE_FORMAT = "D j M"  # Mon 15 Feb


def _tz(center_or_tz):
    if center_or_tz is None or center_or_tz == "":
        return timezone.get_current_timezone()
    if isinstance(center_or_tz, str):
        return zoneinfo.ZoneInfo(center_or_tz)
    return center_or_tz.tzinfo


def _with_year(day: datetime.date, fmt: str) -> str:
    # A date of another year says so; this year's dates stay short.
    return fmt.replace("D j M", "D j M Y") if day.year != timezone.localdate().year else fmt


@register.filter
def center_dt(value: datetime.datetime | None, center=None) -> str:
    """`Mon 15 Feb, 4:00 PM` in the center's time zone."""
    if not value:
        return ""
    local = timezone.localtime(value, _tz(center))
    return date_format(local, _with_year(local.date(), DATETIME_FORMAT))


@register.filter
def center_date(value: datetime.date | datetime.datetime | None, center=None) -> str:
    """`Mon 15 Feb` (a datetime is first put in the center's time zone)."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value, _tz(center)).date()
    return date_format(value, _with_year(value, DATE_FORMAT))


@register.filter
def phone(value: str) -> str:
    return display_phone(value) if value else ""


@register.filter
def age_of(child) -> str:
    """Age in years and months: `4 y 3 mo`."""
    return child.age_display if child is not None and child.dob else ""


@register.simple_tag
def status_badge(status: str, label: str = "") -> str:
    from leads.models import LeadStatus

    label = label or LeadStatus(status).label
    return format_html('<span class="badge s-{}">{}</span>', status, label)


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str) -> str:
    """A column header that sorts by `field`, flipping direction when already sorted by it."""
    request = context["request"]
    current = request.GET.get("o", "")
    if current == field:
        target, arrow, state = f"-{field}", " ▲", " (sorted ascending)"
    elif current == f"-{field}":
        target, arrow, state = field, " ▼", " (sorted descending)"
    else:
        target, arrow, state = field, "", ""
    params = request.GET.copy()
    params["o"] = target
    params.pop("page", None)
    url = f"?{params.urlencode()}"
    return format_html(
        '<a href="{}" hx-get="{}" hx-target="#lead-results" hx-swap="outerHTML" hx-push-url="true">'
        '{}<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span></a>',
        url,
        url,
        label,
        arrow,
        state,
    )


@register.filter
def days_since(value: datetime.datetime | None, now: datetime.datetime | None = None) -> int | str:
    if not value:
        return ""
    return max(((now or timezone.now()) - value).days, 0)


@register.filter
def primary_parent(child):
    """The child's primary parent from prefetched `links` (no query when prefetched)."""
    links = list(child.links.all())
    return links[0].parent if links else None
