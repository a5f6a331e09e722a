"""The lead's milestones and stays, kept by the lifecycle verbs, are what the dashboard reads.

Each milestone is set by the move that first shows it (never by `save()`), the contact view
moves the first contact earlier, and the migration's backfill rebuilds every field from the
status history alone (so bulk data and old leads agree with leads made through the verbs).
"""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from insights import metrics
from insights.models import ContactAttempt
from insights.tests.helpers import travel
from leads.demo import bulk_leads
from leads.models import Lead, LeadStatus
from leads.models.lead import MILESTONE_MOVES, STAY_FIELDS
from leads.tests.factories import EnrollmentFactory, book_visit, make_lead

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("leads.migrations.0002_lead_milestones").backfill_milestones
MILESTONES = list(MILESTONE_MOVES)
STAYS = [*STAY_FIELDS.values(), "repeat_stays"]


def d(center, days: float) -> datetime.datetime:
    return datetime.datetime(2026, 9, 1, 10, 0, tzinfo=center.tzinfo) + datetime.timedelta(days=days)


@pytest.fixture
def new_lead(c):
    with travel(d(c.center, 0)):
        return make_lead(c.center, c.counselor)


def reload(lead) -> Lead:
    return Lead.objects.get(pk=lead.pk)


def test_a_new_enquiry_has_no_milestones_nor_stays(new_lead):
    lead = reload(new_lead)
    assert all(getattr(lead, name) is None for name in [*MILESTONES, *STAY_FIELDS.values(), "repeat_stays"])


def test_completing_discovery_sets_discovery_reached_and_the_enquiry_stay(c, new_lead):
    with travel(d(c.center, 1.5)):
        new_lead.complete_discovery(discovery_notes="Likes climbing", by=c.counselor)
    with travel(d(c.center, 2)):
        new_lead.complete_discovery(discovery_notes="Updated", by=c.counselor)  # same status: no new stay
    lead = reload(new_lead)
    assert lead.discovery_reached_at == d(c.center, 1.5)
    assert lead.days_in_enquiry_received == pytest.approx(1.5)
    assert (lead.iv_scheduled_reached_at, lead.iv_attended_at, lead.first_contact_at) == (None, None, None)


def test_scheduling_a_visit_sets_iv_scheduled_discovery_and_first_contact(c, new_lead):
    with travel(d(c.center, 1)):
        book_visit(new_lead, at=d(c.center, 3), batch=c.batch, by=c.counselor)
    lead = reload(new_lead)
    # Skipping discovery still counts as having reached it ("that step or a later one").
    assert lead.iv_scheduled_reached_at == lead.discovery_reached_at == lead.first_contact_at == d(c.center, 1)
    assert lead.iv_attended_at is None


def test_an_attended_visit_sets_iv_attended_and_a_no_show_does_not(c, new_lead):
    with travel(d(c.center, 1)):
        visit = book_visit(new_lead, at=d(c.center, 2), batch=c.batch, by=c.counselor)
    with travel(d(c.center, 2.5)):
        visit.record_outcome(outcome="NO_SHOW", by=c.trainer)
    assert reload(new_lead).iv_attended_at is None
    with travel(d(c.center, 3)):
        visit = book_visit(new_lead, at=d(c.center, 4), batch=c.batch, by=c.counselor)
    with travel(d(c.center, 4.25)):
        visit.record_outcome(outcome="INTERESTED_ENROLL_LATER", by=c.trainer)
    lead = reload(new_lead)
    assert lead.iv_attended_at == d(c.center, 4.25)
    assert lead.iv_scheduled_reached_at == d(c.center, 1)  # the first time, kept
    # Two stays in "IV scheduled": the first in its column, the second in repeat_stays.
    assert lead.days_in_iv_scheduled == pytest.approx(1.5)
    assert lead.days_in_iv_no_show == pytest.approx(0.5)
    assert lead.repeat_stays == [[LeadStatus.IV_SCHEDULED, pytest.approx(1.25)]]


def test_a_follow_up_sets_first_contact_once(c, new_lead):
    with travel(d(c.center, 0.75)):
        new_lead.add_follow_up(scheduled_date=datetime.date(2026, 9, 5), by=c.counselor)
    with travel(d(c.center, 2)):
        new_lead.add_follow_up(scheduled_date=datetime.date(2026, 9, 6), by=c.counselor)
    lead = reload(new_lead)
    assert lead.first_contact_at == d(c.center, 0.75)
    assert lead.discovery_reached_at is None


def test_converting_without_a_visit_reaches_every_step_but_attended_literally(c, new_lead):
    with travel(d(c.center, 2)):
        new_lead.convert(enrollment=EnrollmentFactory(child=new_lead.child), by=c.counselor)
    lead = reload(new_lead)
    assert lead.converted_at == lead.discovery_reached_at == lead.iv_scheduled_reached_at == d(c.center, 2)
    assert lead.iv_attended_at is None  # the trial rate counts real visits only
    assert lead.days_in_enquiry_received == pytest.approx(2)


def test_a_reopened_lead_stays_again_in_follow_up_pending(c, new_lead):
    with travel(d(c.center, 1)):
        new_lead.add_follow_up(scheduled_date=datetime.date(2026, 9, 3), by=c.counselor)
    with travel(d(c.center, 3)):
        new_lead.close(reason="Fees", by=c.counselor)
    with travel(d(c.center, 10)):
        new_lead.reopen(by=c.admin, follow_up_date=datetime.date(2026, 9, 11))
    with travel(d(c.center, 12)):
        new_lead.close(reason="Fees again", by=c.counselor)
    lead = reload(new_lead)
    assert lead.days_in_follow_up_pending == pytest.approx(2)
    assert lead.repeat_stays == [[LeadStatus.FOLLOW_UP_PENDING, pytest.approx(2)]]  # closed stays are not stages


def test_the_contact_view_moves_first_contact_earlier_only(client, c, lead):
    # Attempts are logged at the real time (their default), so this lead lives in the present.
    client.force_login(c.counselor)
    assert client.post(f"/insights/contact/{lead.pk}/call/").status_code == 303
    tapped = ContactAttempt.objects.get(lead=lead).at
    assert reload(lead).first_contact_at == tapped
    lead.add_follow_up(scheduled_date=timezone.localdate(timezone=c.center.tzinfo), by=c.counselor)
    client.post(f"/insights/contact/{lead.pk}/whatsapp/")
    assert reload(lead).first_contact_at == tapped  # a later follow-up or tap changes nothing
    assert ContactAttempt.objects.filter(lead=lead).count() == 2


def test_an_attempt_logged_before_a_later_first_contact_moves_it_earlier(c, new_lead):
    with travel(d(c.center, 2)):
        new_lead.add_follow_up(scheduled_date=datetime.date(2026, 9, 5), by=c.counselor)
    ContactAttempt.objects.create(lead=new_lead, channel="CALL", by=c.counselor, at=d(c.center, 1))
    assert reload(new_lead).first_contact_at == d(c.center, 1)
    ContactAttempt.objects.create(lead=new_lead, channel="CALL", by=c.counselor, at=d(c.center, 3))
    assert reload(new_lead).first_contact_at == d(c.center, 1)


def test_time_in_stage_counts_every_stay_including_repeats(c, new_lead):
    with travel(d(c.center, 1)):
        visit = book_visit(new_lead, at=d(c.center, 2), batch=c.batch, by=c.counselor)
    with travel(d(c.center, 2)):
        visit.record_outcome(outcome="NO_SHOW", by=c.trainer)
    with travel(d(c.center, 4)):
        book_visit(new_lead, at=d(c.center, 8), batch=c.batch, by=c.counselor)
    filters = metrics.Filters.from_query(c.admin, {"start": "2026-09-01", "end": "2026-09-30"})
    board = metrics.build(c.admin, filters, now=d(c.center, 7))
    stages = {row["status"]: row for row in board.stages}
    # IV scheduled: 1 day (left), then 3 days so far (still there) -> median 2, one lead in it now.
    assert (stages["IV_SCHEDULED"]["entries"], stages["IV_SCHEDULED"]["now"]) == (2, 1)
    assert stages["IV_SCHEDULED"]["median"] == pytest.approx(2.0, abs=0.05)
    assert stages["IV_NO_SHOW"]["median"] == pytest.approx(2.0, abs=0.05)


# -- the backfill migration ----------------------------------------------------------------------


def snapshot(leads) -> dict:
    return {lead.pk: {name: getattr(lead, name) for name in [*MILESTONES, *STAYS]} for lead in leads.all()}


def forget_and_backfill(queryset) -> dict:
    """Blank every field the migration fills, run its function, read them back."""
    queryset.update(**dict.fromkeys([*MILESTONES, *STAYS]))
    assert all(value is None for row in snapshot(queryset).values() for value in row.values())
    backfill(apps, SimpleNamespace(connection=connection))
    return snapshot(queryset)


def assert_same(rebuilt: dict, kept: dict) -> None:
    assert rebuilt.keys() == kept.keys()
    for pk, fields in kept.items():
        for name, value in fields.items():
            if isinstance(value, float):
                assert rebuilt[pk][name] == pytest.approx(value, abs=1e-6), (pk, name)
            elif name == "repeat_stays" and value:
                assert [s for s, _ in rebuilt[pk][name]] == [s for s, _ in value], (pk, name)
                assert [x for _, x in rebuilt[pk][name]] == pytest.approx([x for _, x in value], abs=1e-6)
            else:
                assert rebuilt[pk][name] == value, (pk, name)


def test_backfill_rebuilds_what_the_verbs_kept(c, new_lead):
    # Every milestone and a repeat stay, made through the verbs.
    with travel(d(c.center, 0.5)):
        new_lead.complete_discovery(discovery_notes="Notes", by=c.counselor)
        other = make_lead(c.center, c.counselor)
    with travel(d(c.center, 1)):
        visit = book_visit(new_lead, at=d(c.center, 2), batch=c.batch, by=c.counselor)
        other.add_follow_up(scheduled_date=datetime.date(2026, 9, 4), by=c.counselor)
    with travel(d(c.center, 2)):
        visit.record_outcome(outcome="NO_SHOW", by=c.trainer)
    with travel(d(c.center, 3)):
        visit = book_visit(new_lead, at=d(c.center, 4), batch=c.batch, by=c.counselor)
    with travel(d(c.center, 4)):
        visit.record_outcome(outcome="INTERESTED_ENROLL_NOW", by=c.trainer)
    with travel(d(c.center, 6)):
        new_lead.convert(enrollment=EnrollmentFactory(child=new_lead.child), by=c.counselor)
    leads = Lead.objects.filter(pk__in=[new_lead.pk, other.pk])
    kept = snapshot(leads)
    assert kept[new_lead.pk]["repeat_stays"] and kept[new_lead.pk]["iv_attended_at"]
    assert_same(forget_and_backfill(leads), kept)


def test_backfill_agrees_with_bulk_leads(c):
    bulk_leads(c.center, 60, by=c.admin, seed=7, now=d(c.center, 100))
    leads = Lead.objects.filter(center=c.center)
    kept = snapshot(leads)
    assert any(row["iv_attended_at"] for row in kept.values())
    assert_same(forget_and_backfill(leads), kept)
