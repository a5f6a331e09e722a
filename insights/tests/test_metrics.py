"""Each dashboard figure on a hand-built data set; every expected value is worked out by hand below.

The story (TLGC, Asia/Kolkata; D0 = Tue 1 Sep 2026 10:00; "+n" = n days after D0):
  L1 walk-in    created D0, discovery +1, visit scheduled +2, attended (enroll now) +3, converted +5
  L2 walk-in    created D0, WhatsApp tapped +0.5, follow-up added +1 (for 3 Sep),
                completed late +4 (5 Sep) postponed to 11 Sep (still pending: overdue)
  L3 online     created +1, visit scheduled +1.25, no-show +2, closed +6 (price)
  L4 online     created +2, nothing since
  L5 referral   created D0, follow-up added +2 (for 4 Sep), completed on time +3, postponed to
                21 Sep, converted +11 (the pending follow-up is cancelled)
  L8 referral   created D0, converted +1 without a visit
  L9 event      created +3, follow-up added +3.5 (for 6 Sep), completed on time +5: lost (other)
  outside: L6 created 15 Aug (before the range), L7 in TLGB (another center).
The dashboard is read at NOW = 1 Oct 12:00, i.e. +30 days 2 hours, for the range 1-30 Sep.
"""

import datetime

import pytest

from insights import metrics
from insights.models import ContactAttempt
from insights.tests.helpers import travel
from leads.models import ClosedReason, LeadSource
from leads.tests.factories import EnrollmentFactory, book_visit, make_lead

pytestmark = pytest.mark.django_db


def d(center, days: float) -> datetime.datetime:
    d0 = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=center.tzinfo)
    return d0 + datetime.timedelta(days=days)


def convert(lead, by, at):
    with travel(at):
        lead.convert(enrollment=EnrollmentFactory(child=lead.child), by=by)


@pytest.fixture
def story(c, b):
    tz, who = c.center, c.counselor
    leads = {}
    with travel(d(tz, 0)):
        for name, source in [("L1", "WALK_IN"), ("L2", "WALK_IN"), ("L5", "REFERRAL"), ("L8", "REFERRAL")]:
            leads[name] = make_lead(c.center, who, source=source)
        make_lead(b.center, b.counselor)  # L7, another center
    with travel(d(tz, -17)):
        make_lead(c.center, who)  # L6, before the range
    with travel(d(tz, 1)):
        leads["L3"] = make_lead(c.center, who, source="ONLINE")
    with travel(d(tz, 2)):
        leads["L4"] = make_lead(c.center, who, source="ONLINE")
    with travel(d(tz, 3)):
        leads["L9"] = make_lead(c.center, who, source="EVENT")

    L1, L2, L3, L5, L8, L9 = (leads[k] for k in ("L1", "L2", "L3", "L5", "L8", "L9"))
    with travel(d(tz, 1)):
        L1.complete_discovery(discovery_notes="Likes climbing", by=who)
    with travel(d(tz, 2)):
        visit1 = book_visit(L1, at=d(tz, 2.5), batch=c.batch, by=who)
    with travel(d(tz, 3)):
        visit1.record_outcome(outcome="INTERESTED_ENROLL_NOW", by=c.trainer)
    convert(L1, who, d(tz, 5))

    ContactAttempt.objects.create(lead=L2, channel="WHATSAPP", by=who, at=d(tz, 0.5))
    with travel(d(tz, 1)):
        fu = L2.add_follow_up(scheduled_date=datetime.date(2026, 9, 3), by=who)
    with travel(d(tz, 4)):
        fu.complete(outcome="POSTPONED", next_date=datetime.date(2026, 9, 11), by=who)

    with travel(d(tz, 1.25)):
        visit3 = book_visit(L3, at=d(tz, 1.9), batch=c.batch, by=who)
    with travel(d(tz, 2)):
        visit3.record_outcome(outcome="NO_SHOW", by=c.trainer)
    with travel(d(tz, 6)):
        L3.close(reason="Fees", category=ClosedReason.PRICE, by=who)

    with travel(d(tz, 2)):
        fu = L5.add_follow_up(scheduled_date=datetime.date(2026, 9, 4), by=who)
    with travel(d(tz, 3)):
        fu.complete(outcome="POSTPONED", next_date=datetime.date(2026, 9, 21), by=who)
    convert(L5, who, d(tz, 11))

    convert(L8, who, d(tz, 1))

    with travel(d(tz, 3.5)):
        fu = L9.add_follow_up(scheduled_date=datetime.date(2026, 9, 6), by=who)
    with travel(d(tz, 5)):
        fu.complete(outcome="LOST", reason="Moved away", by=who)
    return leads


NOW_DAYS = 30 + 2 / 24


@pytest.fixture
def board(c, story):
    filters = metrics.Filters.from_query(c.admin, {"start": "2026-09-01", "end": "2026-09-30"})
    return metrics.build(c.admin, filters, now=d(c.center, NOW_DAYS))


def test_funnel_counts_each_lead_at_every_step_it_reached_or_passed(board):
    # enquiry: L1 L2 L3 L4 L5 L8 L9; discovery or later: L1, L3 (visit), L5 and L8 (converted);
    # scheduled or later: the same four; attended or later: L1, L5, L8; converted: L1, L5, L8.
    steps = {s["key"]: s for s in board.total.steps()}
    assert [s["count"] for s in steps.values()] == [7, 4, 4, 3, 3]
    assert steps["discovery"]["step_rate"] == round(100 * 4 / 7, 1)
    assert steps["scheduled"]["step_rate"] == 100.0
    assert steps["attended"]["step_rate"] == 75.0
    assert steps["converted"]["step_rate"] == 100.0
    assert board.total.conversion_rate == round(100 * 3 / 7, 1)


def test_conversion_rate_by_source(board):
    rates = {row["source"]: (row["counts"].leads, row["counts"].converted, row["rate"]) for row in board.sources}
    assert rates == {
        LeadSource.WALK_IN: (2, 1, 50.0),
        LeadSource.ONLINE: (2, 0, 0.0),
        LeadSource.REFERRAL: (2, 2, 100.0),
        LeadSource.EVENT: (1, 0, 0.0),
    }


def test_trial_conversion_rate_counts_only_leads_that_attended_a_visit(board):
    # Only L1 attended (L3 was a no-show, L5 and L8 converted without a visit): 1 of 1.
    assert (board.total.trial, board.total.trial_converted, board.total.trial_rate) == (1, 1, 100.0)


def test_time_to_conversion_median_and_average(board):
    # L8 1 day, L1 5 days, L5 11 days.
    assert board.time_to_conversion["n"] == 3
    assert board.time_to_conversion["median"] == pytest.approx(5.0, abs=0.05)
    assert board.time_to_conversion["avg"] == pytest.approx((1 + 5 + 11) / 3, abs=0.05)


def test_time_to_first_contact_uses_follow_ups_visits_and_taps(board):
    # L1 visit scheduled after 2 days; L2 WhatsApp after 0.5 (before its follow-up at 1);
    # L3 visit after 0.25; L5 follow-up after 2; L9 follow-up after 0.5; L4 and L8: no contact.
    assert board.first_contact["n"] == 5
    assert board.first_contact["median"] == pytest.approx(0.5, abs=0.05)
    assert board.first_contact["avg"] == pytest.approx((2 + 0.5 + 0.25 + 2 + 0.5) / 5, abs=0.06)


def test_time_in_stage_median_and_stale_stages(board):
    stages = {row["status"]: row for row in board.stages}
    # Enquiry received: L1 1, L2 1, L3 0.25, L4 28.08 (still there), L5 2, L8 1, L9 0.5 -> median 1.
    assert stages["ENQUIRY_RECEIVED"]["entries"] == 7
    assert stages["ENQUIRY_RECEIVED"]["median"] == pytest.approx(1.0, abs=0.05)
    assert (stages["ENQUIRY_RECEIVED"]["now"], stages["ENQUIRY_RECEIVED"]["stuck"]) == (1, 1)
    assert stages["ENQUIRY_RECEIVED"]["stale"] is False
    assert stages["DISCOVERY_COMPLETED"]["median"] == pytest.approx(1.0, abs=0.05)
    # Visit scheduled: L1 1 day, L3 0.75 -> 0.875.
    assert stages["IV_SCHEDULED"]["median"] == pytest.approx(0.875, abs=0.05)
    assert stages["IV_COMPLETED"]["median"] == pytest.approx(2.0, abs=0.05)
    assert stages["IV_NO_SHOW"]["median"] == pytest.approx(4.0, abs=0.05)
    # Follow-up pending: L9 1.5, L5 9, L2 29.08 (still there) -> median 9: stale (over 7 days).
    assert stages["FOLLOW_UP_PENDING"]["median"] == pytest.approx(9.0, abs=0.05)
    assert stages["FOLLOW_UP_PENDING"]["stale"] is True
    assert (stages["FOLLOW_UP_PENDING"]["now"], stages["FOLLOW_UP_PENDING"]["stuck"]) == (1, 1)


def test_follow_up_effectiveness_per_counselor(board, c):
    # Scheduled in September: L2 3 Sep (late, postponed), L2 11 Sep (pending: overdue),
    # L5 4 Sep (on time, postponed), L5 21 Sep (cancelled by the conversion), L9 6 Sep (on time, lost).
    (row,) = board.follow_ups
    assert row["assigned_to"] == c.counselor.pk
    assert (row["total"], row["on_time"], row["late"], row["overdue"], row["cancelled"]) == (5, 2, 1, 1, 1)
    assert (row["outcome_POSTPONED"], row["outcome_LOST"], row["outcome_ENROLLED"]) == (2, 1, 0)
    assert row["converted_30"] == 1  # L5 converted 8 days after its completed follow-up
    assert row["on_time_rate"] == round(100 * 2 / 3, 1)


def test_closure_reasons(board):
    closures = {row["category"]: (row["count"], row["share"]) for row in board.closures if row["count"]}
    assert closures == {ClosedReason.PRICE: (1, 50.0), ClosedReason.OTHER: (1, 50.0)}


def test_super_admin_sees_centers_side_by_side(c, b, story, superadmin):
    filters = metrics.Filters.from_query(superadmin, {"start": "2026-09-01", "end": "2026-09-30"})
    board = metrics.build(superadmin, filters, now=d(c.center, NOW_DAYS))
    by_center = {row["center"].code: row["counts"].leads for row in board.centers}
    assert by_center == {"TLGC": 7, "TLGB": 1}
    assert board.total.leads == 8


def test_counselor_sees_only_their_own_figures(c, story):
    with travel(d(c.center, 4)):
        make_lead(c.center, c.admin, assigned_to=c.admin)
    filters = metrics.Filters.from_query(
        c.counselor, {"start": "2026-09-01", "end": "2026-09-30", "counselor": c.admin.pk}
    )
    assert filters.counselor == c.counselor
    assert metrics.build(c.counselor, filters, now=d(c.center, NOW_DAYS)).total.leads == 7
    admin_view = metrics.Filters.from_query(c.admin, {"start": "2026-09-01", "end": "2026-09-30"})
    assert metrics.build(c.admin, admin_view, now=d(c.center, NOW_DAYS)).total.leads == 8


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"L1", "L2", "L3", "L4", "L5", "L8", "L9"}),
        ({"step": "discovery"}, {"L1", "L3", "L5", "L8"}),
        ({"step": "attended"}, {"L1", "L5", "L8"}),
        ({"step": "converted"}, {"L1", "L5", "L8"}),
        ({"step": "trial"}, {"L1"}),
        ({"step": "trial", "converted": "1"}, {"L1"}),
        ({"stage": "ENQUIRY_RECEIVED", "stuck": "1"}, {"L4"}),
        ({"closed": "PRICE"}, {"L3"}),
        ({"lead_source": "REFERRAL", "step": "converted"}, {"L5", "L8"}),
        ({"fu": "overdue"}, {"L2"}),
        ({"fu": "on_time"}, {"L5", "L9"}),
        ({"fu": "converted_30"}, {"L5"}),
    ],
)
def test_drill_down_lists_exactly_the_leads_behind_each_figure(c, story, query, expected):
    filters = metrics.Filters.from_query(c.admin, {"start": "2026-09-01", "end": "2026-09-30"})
    leads, _label = metrics.drill_down(c.admin, filters, query, now=d(c.center, NOW_DAYS))
    names = {lead.pk: name for name, lead in story.items()}
    assert {names.get(pk, pk) for pk in leads.values_list("pk", flat=True)} == expected


def test_empty_range_gives_zeros_not_errors(c):
    filters = metrics.Filters.from_query(c.admin, {})
    board = metrics.build(c.admin, filters)
    assert board.total.leads == 0
    assert board.total.conversion_rate is None
    assert board.time_to_conversion["median"] is None


def test_bad_filters_fall_back_with_a_message(c, b):
    filters = metrics.Filters.from_query(c.admin, {"start": "soon", "center": str(b.center.pk), "source": "X"})
    assert len(filters.errors) == 3
    assert filters.center == c.center  # their only center
    assert (filters.end - filters.start).days == 89
