"""Everything held on one family, as a ZIP of JSON and CSV files (a parent's access request).

There is no Family table yet: a family is the parents of a child and all their children, found
from one child (the lead page's `lead.child`). The builder only reads; `family_export_response`,
the one door the lead page and the API share, writes the export's access-log row with it.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
import zipfile

from django.db import transaction
from django.db.models import F
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse

from accounts.models import AccessAction, AccessLog
from insights.models import ContactAttempt, Notification, ReminderLog
from leads.models import (
    Child,
    Consent,
    DetailChange,
    FollowUp,
    IntroVisit,
    Lead,
    LeadNote,
    LeadStatusChange,
    Parent,
)


def family_children(child: Child) -> list[Child]:
    """The child, and every child sharing a parent with them."""
    parents = Parent.objects.filter(links__child=child)
    return list(Child.objects.filter(links__parent__in=parents).distinct().order_by("pk")) or [child]


def family_tables(child: Child) -> dict[str, list[dict]]:
    """Table name -> rows (plain dicts) of everything held on the family of `child`."""
    children = family_children(child)
    parents = Parent.objects.filter(links__child__in=children).distinct().order_by("pk")
    leads = Lead.objects.filter(child__in=children).order_by("pk")
    lead_ids = list(leads.values_list("pk", flat=True))

    def rows(qs) -> list[dict]:
        return [model_to_dict(obj) | {"id": obj.pk} for obj in qs]

    return {
        "parents": rows(parents),
        "children": rows(children),
        "leads": [model_to_dict(obj) | {"id": obj.pk, "enquiry_id": obj.enquiry_id} for obj in leads],
        "status_history": list(LeadStatusChange.objects.filter(lead__in=lead_ids).order_by("at", "pk").values()),
        "detail_changes": list(DetailChange.objects.filter(lead__in=lead_ids).order_by("at", "pk").values()),
        "intro_visits": list(IntroVisit.objects.filter(lead__in=lead_ids).order_by("scheduled_at", "pk").values()),
        "follow_ups": list(FollowUp.objects.filter(lead__in=lead_ids).order_by("scheduled_date", "pk").values()),
        "notes": list(LeadNote.objects.filter(lead__in=lead_ids).order_by("created_at", "pk").values()),
        "contact_attempts": list(ContactAttempt.objects.filter(lead__in=lead_ids).order_by("at", "pk").values()),
        "notifications": list(Notification.objects.filter(lead__in=lead_ids).order_by("created_at", "pk").values()),
        "messages_sent": list(ReminderLog.objects.filter(object_id__in=lead_ids).order_by("created_at", "pk").values()),
        # What each parent agreed to, when, how, and the text of the notice they were shown.
        "consents": list(
            Consent.objects.filter(parent__in=parents)
            .order_by("obtained_at", "pk")
            .annotate(notice_version=F("notice__version"), notice_text=F("notice__text"))
            .values()
        ),
    }


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def build_family_export(child: Child) -> bytes:
    """The ZIP: family.json (all tables) and one CSV per table."""
    tables = {
        name: [{k: _plain(v) for k, v in row.items()} for row in rows] for name, rows in family_tables(child).items()
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("family.json", json.dumps(tables, indent=2, ensure_ascii=False, default=str))
        for name, rows in tables.items():
            out = io.StringIO()
            fields = sorted({key for row in rows for key in row})
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {k: json.dumps(v, default=str) if isinstance(v, (list, dict)) else v for k, v in row.items()}
                )
            archive.writestr(f"{name}.csv", out.getvalue())
    return buffer.getvalue()


def family_export_response(request: HttpRequest, child, *, center_id: int) -> HttpResponse:
    """The ZIP, with its access-log row written in the same transaction (one door for page and API)."""
    with transaction.atomic():
        body = build_family_export(child)
        AccessLog.record(
            request,
            action=AccessAction.EXPORT,
            object_type="family",
            object_id=child.pk,
            center_id=center_id,
            family_id=child.pk,
            detail="family export (zip)",
        )
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="family-{child.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response
