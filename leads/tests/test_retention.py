"""Retention (issue 10): per-center periods, the dry run's counts, and the run itself."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AccessAction, AccessLog, Center
from leads import retention
from leads.models import Child, ClosedReason, Enrollment, Lead
from leads.tests.factories import make_lead

NOW = timezone.now()


def ago(months: int) -> datetime.datetime:
    return retention.months_before(NOW, months)


def closed(center, by, *, months_ago: int, **kwargs) -> Lead:
    lead = make_lead(center, by, **kwargs)
    lead.close(reason="Too far", category=ClosedReason.DISTANCE, by=by)
    Lead.objects.filter(pk=lead.pk).update(closed_at=ago(months_ago))
    return lead


def converted(center, by, batch, *, months_ago: int) -> Lead:
    lead = make_lead(center, by)
    enrollment = lead.enroll_and_convert(batch=batch, start_date=timezone.localdate(), plan="Weekly", by=by)
    Lead.objects.filter(pk=lead.pk).update(converted_at=ago(months_ago))
    Enrollment.objects.filter(pk=enrollment.pk).update(start_date=ago(months_ago).date())
    return lead


def log(center, *, months_ago: int) -> AccessLog:
    return AccessLog.objects.create(
        at=ago(months_ago), center=center, action=AccessAction.VIEW, object_type="lead", object_id="1"
    )


@pytest.fixture
def world(c, b):
    """In TLGC (24/24/13 months): due and not-due families of each rule, and old and recent log rows."""
    old_closed = closed(c.center, c.counselor, months_ago=25)
    # Its sibling, closed as long ago: one family, counted and erased once.
    parent = old_closed.child.parents.get()
    old_sibling = closed(
        c.center,
        c.counselor,
        months_ago=25,
        child={"first_name": "Old", "last_name": "Sib", "dob": datetime.date(2019, 5, 5), "gender": "Girl"},
        parent={"name": parent.name, "phone": parent.phone},
    )
    recent_closed = closed(c.center, c.counselor, months_ago=23)
    # An old closed lead whose family has an open lead (a sibling's): never due.
    sibling_open = closed(c.center, c.counselor, months_ago=30)
    parent = sibling_open.child.parents.get()
    make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Sib", "last_name": "Ling", "dob": datetime.date(2021, 1, 1), "gender": "Boy"},
        parent={"name": parent.name, "phone": parent.phone},
    )
    old_converted = converted(c.center, c.counselor, c.batch, months_ago=26)
    recent_converted = converted(c.center, c.counselor, c.batch, months_ago=20)
    open_lead = make_lead(c.center, c.counselor)
    Lead.objects.filter(pk=open_lead.pk).update(created_at=ago(40))
    for months in (14, 14, 12):
        log(c.center, months_ago=months)
    # TLGB keeps closed-lost families 6 months and its log 24 months.
    Center.objects.filter(pk=b.center.pk).update(closed_lost_retention_months=6, access_log_retention_months=24)
    b_closed = closed(b.center, b.counselor, months_ago=7)
    log(b.center, months_ago=14)
    log(None, months_ago=14)  # a sign-in: no center, the default 13 months
    return {
        "old_closed": old_closed,
        "old_sibling": old_sibling,
        "recent_closed": recent_closed,
        "sibling_open": sibling_open,
        "old_converted": old_converted,
        "recent_converted": recent_converted,
        "open": open_lead,
        "b_closed": b_closed,
    }


def _counts(plans) -> dict[str, dict[str, int]]:
    return {due.label: due.counts() for due in plans}


def test_the_plan_counts_each_rule_per_center(c, b, world):
    plans = retention.plan(NOW)

    counts = _counts(plans)
    assert counts["TLGC"] == {
        retention.CLOSED_LOST: 1,
        retention.CONVERTED: 1,
        retention.ACCESS_LOG: 2,
        retention.INTAKE: 0,
    }
    assert counts["TLGB"] == {
        retention.CLOSED_LOST: 1,
        retention.CONVERTED: 0,
        retention.ACCESS_LOG: 0,
        retention.INTAKE: 0,
    }
    assert counts["(no center)"][retention.ACCESS_LOG] == 1
    tlgc = next(due for due in plans if due.center == c.center)
    assert [child.pk for child in tlgc.closed_lost] == [world["old_closed"].child_id]
    assert [child.pk for child in tlgc.converted] == [world["old_converted"].child_id]


def test_the_dry_run_prints_the_counts_and_writes_nothing(world):
    before = _snapshot()
    out = io.StringIO()

    call_command("apply_retention", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "Dry run: nothing was changed." in text
    assert re.search(r"TLGC +closed-lost families erased +1\n", text)
    assert re.search(r"TLGC +converted families erased +1\n", text)
    assert re.search(r"TLGC +access-log rows deleted +2\n", text)
    assert re.search(r"TLGB +closed-lost families erased +1\n", text)
    assert _snapshot() == before


def test_the_run_erases_the_due_families_only_and_prunes_the_old_log(c, b, world):
    out = io.StringIO()

    call_command("apply_retention", stdout=out)

    erased = set(Child.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert erased == {world[name].child_id for name in ("old_closed", "old_sibling", "old_converted", "b_closed")}
    assert Lead.objects.get(pk=world["old_closed"].pk).status == "CLOSED_LOST"  # the figures stay
    # TLGC: the two 14-month rows went, the 12-month one stays, and each erasure wrote its own row.
    assert sorted(AccessLog.objects.filter(center=c.center).values_list("action", flat=True)) == [
        AccessAction.ERASE,
        AccessAction.ERASE,
        AccessAction.VIEW,
    ]
    assert AccessLog.objects.filter(center=b.center, action=AccessAction.VIEW).count() == 1  # kept 24 months
    assert not AccessLog.objects.filter(center__isnull=True).exists()
    assert re.search(r"TLGC +access-log rows deleted +2\n", out.getvalue())
    # A second run finds nothing more to do.
    again = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=again)
    assert _counts(retention.plan(NOW))["TLGC"] == dict.fromkeys(retention.RULES, 0)


def test_one_center_only(c, b, world):
    call_command("apply_retention", "--center", "tlgb", stdout=io.StringIO())
    assert set(Child.objects.filter(erased_at__isnull=False).values_list("pk", flat=True)) == {
        world["b_closed"].child_id
    }


def test_the_access_log_is_kept_at_least_a_year(c):
    center = c.center
    center.access_log_retention_months = 11
    with pytest.raises(ValidationError) as refused:
        center.full_clean()
    assert "access_log_retention_months" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Center.objects.filter(pk=center.pk).update(access_log_retention_months=11)


def test_months_before_keeps_the_day_or_takes_the_months_last():
    moment = datetime.datetime(2026, 3, 31, 10, 0, tzinfo=datetime.UTC)
    assert retention.months_before(moment, 1) == datetime.datetime(2026, 2, 28, 10, 0, tzinfo=datetime.UTC)
    assert retention.months_before(moment, 24) == datetime.datetime(2024, 3, 31, 10, 0, tzinfo=datetime.UTC)
    assert retention.months_before(moment, 3) == datetime.datetime(2025, 12, 31, 10, 0, tzinfo=datetime.UTC)


def _snapshot() -> str:
    out = io.StringIO()
    call_command("dumpdata", "leads", "insights", "accounts.accesslog", stdout=out)
    return out.getvalue()
