"""Who to call for a lead and what to say: the primary parent and the center's message templates."""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote

from insights.models import MessageTemplate, TemplateKind
from leads.models import FamilyLink, FollowUp, IntroVisit, Lead, LeadStatus, Parent


def when(value: datetime.datetime, tz) -> str:
    """`Mon 15 Feb, 4:00 PM` in the given time zone (the house date format)."""
    local = value.astimezone(tz)
    return f"{local:%a %d %b}, {int(local.strftime('%I'))}:{local:%M %p}"


def at_time(value: datetime.datetime, tz) -> str:
    """`4:00 PM` in the given time zone."""
    local = value.astimezone(tz)
    return f"{int(local.strftime('%I'))}:{local:%M %p}"


def primary_parent(child_id: int) -> Parent | None:
    # An erased parent (leads.erasure) has a placeholder number: no message or call goes to it.
    link = (
        FamilyLink.objects.filter(child_id=child_id, parent__erased_at__isnull=True)
        .select_related("parent")
        .order_by("-is_primary", "pk")
        .first()
    )
    return link.parent if link else None


def default_kind(lead: Lead) -> str:
    """The message that fits the lead's stage: welcome a new enquiry, remind a scheduled visit."""
    if lead.status == LeadStatus.ENQUIRY_RECEIVED:
        return TemplateKind.WELCOME
    if lead.status == LeadStatus.IV_SCHEDULED:
        return TemplateKind.VISIT_REMINDER
    return TemplateKind.FOLLOW_UP


def message_for(lead: Lead, kind: str, *, parent: Parent | None, counselor=None) -> str:
    visit = ""
    if kind == TemplateKind.VISIT_REMINDER:
        upcoming = IntroVisit.objects.filter(lead=lead).awaiting_outcome().order_by("-scheduled_at").first()
        if upcoming is not None:
            visit = when(upcoming.scheduled_at, lead.center.tzinfo)
    # The next pending call ({follow_up}), e.g. "we will call you on Mon 15 Feb, 4:00 PM".
    upcoming_call = FollowUp.objects.filter(lead=lead).pending().order_by("scheduled_date", "pk").first()
    follow_up = when(upcoming_call.scheduled_date, lead.center.tzinfo) if upcoming_call is not None else ""
    counselor = counselor or lead.assigned_to
    first_name = (parent.name.split() or [""])[0] if parent else ""
    return MessageTemplate.render(
        MessageTemplate.body_for(lead.center_id, kind),
        parent=first_name,
        child=lead.child.first_name,
        center=lead.center.name,
        counselor=(counselor.first_name or str(counselor)) if counselor else "",
        visit=visit,
        follow_up=follow_up,
    )


def tel_url(phone: str) -> str:
    return "tel:" + re.sub(r"[^\d+]", "", phone)


def whatsapp_url(phone: str, text: str) -> str:
    """wa.me wants the full number in digits only, without + or leading zeros."""
    digits = re.sub(r"\D", "", phone).lstrip("0")
    return f"https://wa.me/{digits}?text={quote(text)}"
