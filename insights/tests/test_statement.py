"""The figures statement reads every column by name: a value under the wrong name fails here.

The hand-worked story in test_metrics.py has equal counts side by side (discovery = scheduled = 4,
attended = converted = 3, trial = trial converted = 1), so two of those swapped would pass there.
Here every count, time and "now / stuck" pair differs from its neighbours.

The staircase (TLGC, D0 = Tue 1 Sep 2026 10:00, "+n" = n days later, read at NOW = +30):
  A walk-in   enquiry only                                               (in Enquiry received, stuck)
  B walk-in   discovery +1; WhatsApp tapped +0.5                         (in Discovery completed)
  C online    discovery +1, visit scheduled +2                           (in IV scheduled)
  D online    discovery +1, visit scheduled +4, attended (enrol later) +5
  E referral  discovery +1, visit scheduled +1.25, attended (enrol now) +2, converted +5
  F referral  converted +1 without a visit
  G event     converted +4 without a visit
  H walk-in   created +25, enquiry only                                  (in Enquiry received, not stuck)
"""

import dataclasses
import datetime

import pytest

from insights import metrics
from insights.metrics import dashboard, statement
from insights.metrics.funnel import FunnelCounts
from insights.models import ContactAttempt
from insights.tests.helpers import travel
from leads.models import LeadSource
from leads.tests.factories import EnrollmentFactory, book_visit, make_lead

pytestmark = pytest.mark.django_db


def d(center, days: float) -> datetime.datetime:
    return datetime.datetime(2026, 9, 1, 10, 0, tzinfo=center.tzinfo) + datetime.timedelta(days=days)


@pytest.fixture
def staircase(c):
    tz, who = c.center, c.counselor
    sources = {"A": "WALK_IN", "B": "WALK_IN", "C": "ONLINE", "D": "ONLINE", "E": "REFERRAL", "F": "REFERRAL"}
    sources["G"] = "EVENT"
    with travel(d(tz, 0)):
        leads = {name: make_lead(c.center, who, source=source) for name, source in sources.items()}
    with travel(d(tz, 25)):
        leads["H"] = make_lead(c.center, who, source="WALK_IN")
    for name in "BCDE":
        with travel(d(tz, 1)):
            leads[name].complete_discovery(discovery_notes="ok", by=who)
    ContactAttempt.objects.create(lead=leads["B"], channel="WHATSAPP", by=who, at=d(tz, 0.5))
    visits = {}
    for name, at in (("C", 2), ("D", 4), ("E", 1.25)):
        with travel(d(tz, at)):
            visits[name] = book_visit(leads[name], at=d(tz, at + 0.25), batch=c.batch, by=who)
    with travel(d(tz, 5)):
        visits["D"].record_outcome(outcome="INTERESTED_ENROLL_LATER", by=c.trainer)
    with travel(d(tz, 2)):
        visits["E"].record_outcome(outcome="INTERESTED_ENROLL_NOW", by=c.trainer)
    for name, at in (("E", 5), ("F", 1), ("G", 4)):
        with travel(d(tz, at)):
            leads[name].convert(enrollment=EnrollmentFactory(child=leads[name].child), by=who)
    return leads


@pytest.fixture
def board(c, staircase):
    filters = metrics.Filters.from_query(c.admin, {"start": "2026-09-01", "end": "2026-09-30"})
    return metrics.build(c.admin, filters, now=d(c.center, 30))


def test_every_funnel_and_trial_count_lands_under_its_own_name(board):
    assert board.total == FunnelCounts(
        leads=8, discovery=6, scheduled=5, attended=4, converted=3, trial=2, trial_converted=1
    )
    assert [s["count"] for s in board.total.steps()] == [8, 6, 5, 4, 3]


def test_counts_by_source_and_by_center_by_name(c, board):
    assert board.by_source == {
        LeadSource.WALK_IN: FunnelCounts(leads=3, discovery=1),
        LeadSource.ONLINE: FunnelCounts(leads=2, discovery=2, scheduled=2, attended=1, trial=1),
        LeadSource.REFERRAL: FunnelCounts(
            leads=2, discovery=2, scheduled=2, attended=2, converted=2, trial=1, trial_converted=1
        ),
        LeadSource.EVENT: FunnelCounts(leads=1, discovery=1, scheduled=1, attended=1, converted=1),
    }
    assert board.by_center == {c.center.pk: board.total}


def test_the_groupings_agree_on_every_count(c, staircase):
    # The counts per (center, source) and the overall row are separate SELECTs of one UNION:
    # a column out of place in one of them breaks the sums.
    now = d(c.center, 30)
    filters = metrics.Filters.from_query(c.admin, {"start": "2026-09-01", "end": "2026-09-30"})
    parts = [figure.part(now) for figure in dashboard.PARTS]
    leads = filters.leads(c.admin).order_by().values(*statement.lead_fields(parts))
    result = statement.run(parts, *leads.query.sql_with_params())
    summed = FunnelCounts()
    for row in result.center_source:
        summed.add(FunnelCounts.from_row(row))
    assert summed == FunnelCounts.from_row(result.overall)
    assert sum(row["leads"] for row in result.status_reason) == result.overall["leads"] == 8


def test_times_by_name(board):
    # Conversion: F 1, G 4, E 5 days. First contact: B 0.5 (tap), E 1.25, C 2, D 4 (visits scheduled).
    assert board.time_to_conversion == {"n": 3, "median": pytest.approx(4.0), "avg": pytest.approx(3.3)}
    assert board.first_contact == {"n": 4, "median": pytest.approx(1.6), "avg": pytest.approx(1.9)}


def test_in_stage_now_and_stuck_by_name(board):
    stages = {row["status"]: row for row in board.stages}
    # A (30 days) and H (5 days) are in Enquiry received; only A for more than 7 days.
    assert (stages["ENQUIRY_RECEIVED"]["now"], stages["ENQUIRY_RECEIVED"]["stuck"]) == (2, 1)
    # Entries: each of the 8 leads stayed there (F and G until converting): median 1, average (1*5 + 4 + 30 + 5) / 8.
    assert stages["ENQUIRY_RECEIVED"]["entries"] == 8
    assert stages["ENQUIRY_RECEIVED"]["median"] == pytest.approx(1.0, abs=0.05)
    assert stages["ENQUIRY_RECEIVED"]["avg"] == pytest.approx((1 * 5 + 4 + 30 + 5) / 8, abs=0.05)


def test_the_order_of_the_figures_changes_nothing(c, staircase, monkeypatch):
    # Every column is laid out and read by name, so the statement's column order is free.
    filters = metrics.Filters.from_query(c.admin, {"start": "2026-09-01", "end": "2026-09-30"})
    before = dataclasses.asdict(metrics.build(c.admin, filters, now=d(c.center, 30)))
    monkeypatch.setattr(dashboard, "PARTS", tuple(reversed(dashboard.PARTS)))
    assert dataclasses.asdict(metrics.build(c.admin, filters, now=d(c.center, 30))) == before


def test_two_figures_may_not_give_one_column_two_meanings():
    leads = statement.Part(aggregates={statement.OVERALL: {"leads": statement.total("lead")}})
    other = statement.Part(aggregates={statement.OVERALL: {"leads": statement.count("*")}})
    with pytest.raises(ValueError, match="'leads' differently"):
        statement.statement([leads, other], "SELECT 1", [])
    shouting = statement.Part(per_lead={"Leads": "1"})
    with pytest.raises(ValueError, match="lower-case"):
        statement.statement([shouting], "SELECT 1", [])
