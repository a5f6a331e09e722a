"""Concurrency on PostgreSQL (row locks are what make these true); skipped on SQLite."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from leads.models import Lead, LeadStatus, LifecycleError
from leads.models.lead import DuplicateEnquiry
from leads.tests.factories import AGREED, EnrollmentFactory, make_lead

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_in_threads(n, target):
    """Start `n` threads at once on `target(i)`; return (results, errors) by thread."""
    barrier = threading.Barrier(n)
    results, errors = {}, {}

    def work(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as error:  # collected and asserted on by the test
            errors[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_of_ten_enquiries_get_200_distinct_consecutive_ids(c, b):
    def create(i):
        center, by = (c.center, c.counselor) if i % 2 == 0 else (b.center, b.counselor)
        return [make_lead(center, by).enquiry_id for _ in range(10)]

    results, errors = run_in_threads(20, create)
    assert errors == {}
    ids = [eid for batch in results.values() for eid in batch]
    assert len(ids) == len(set(ids)) == 200
    for code in ("TLGC", "TLGB"):
        numbers = sorted(int(eid[4:]) for eid in ids if eid.startswith(code))
        assert numbers == list(range(1, 101))
    assert Lead.objects.count() == 200


@pytest.mark.django_db(transaction=True)
def test_two_conflicting_moves_one_wins_the_other_gets_the_rule(c):
    lead = make_lead(c.center, c.counselor)
    enrollment = EnrollmentFactory(child=lead.child)

    def move(i):
        mine = Lead.objects.get(pk=lead.pk)  # each thread its own stale copy
        if i == 0:
            mine.convert(enrollment=enrollment, by=c.counselor)
        else:
            mine.close(reason="Too far", by=c.admin)
        return mine.status

    results, errors = run_in_threads(2, move)
    assert len(results) == 1 and len(errors) == 1
    (error,) = errors.values()
    assert isinstance(error, LifecycleError)
    lead.refresh_from_db()
    winner = next(iter(results.values()))
    assert lead.status == winner
    expected = (
        "A closed lead cannot be converted."
        if winner == LeadStatus.CLOSED_LOST
        else "A converted lead cannot be closed."
    )
    assert str(error) == expected
    assert lead.status_changes.count() == 2  # the enquiry and the winning move, nothing of the loser


@pytest.mark.django_db(transaction=True)
def test_double_submitted_enquiry_for_one_child_creates_one_lead(c):
    family = {
        "child": {"first_name": "Ira", "last_name": "Nair", "dob": "2021-03-04", "gender": "Girl"},
        "parent": {"name": "Deepa Nair", "phone": "+919812345678"},
    }

    def submit(i):
        import datetime

        child = {**family["child"], "dob": datetime.date(2021, 3, 4)}
        return Lead.create_enquiry(
            center=c.center, child=child, parent=family["parent"], consent=AGREED, by=c.counselor
        ).enquiry_id

    results, errors = run_in_threads(4, submit)
    assert len(results) == 1
    assert Counter(type(e) for e in errors.values()) == Counter({DuplicateEnquiry: 3})  # a LifecycleError
    assert Lead.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_counselors_booking_the_last_seat_one_wins_the_other_hears_the_session_is_full(c):
    """Lead row first, then the batch row: the second booking waits for the first and counts its seat."""
    import datetime

    from django.core.exceptions import ValidationError

    from leads.models import IntroVisit
    from leads.tests.factories import BatchFactory, UserFactory, next_session

    batch = BatchFactory(center=c.center, name="Tiny", weekday=5, capacity=3, min_age_months=0, max_age_months=144)
    EnrollmentFactory(child=make_lead(c.center, c.counselor).child, batch=batch)
    session = next_session(batch)
    make_lead(c.center, c.counselor).schedule_intro_visit(scheduled_at=session, batch=batch, by=c.counselor)
    second_counselor = UserFactory(username="tlgc_counselor2", centers=[c.center])
    counselors = [c.counselor, second_counselor]
    for user in counselors:
        user.works_in(c.center.pk)  # fill the per-user center cache before the threads read it
    rounds, wins = 10, Counter()
    for n in range(rounds):
        at = session + datetime.timedelta(days=7 * n)
        if n:  # every round: one seat left (one enrolled, one booked)
            make_lead(c.center, c.counselor).schedule_intro_visit(scheduled_at=at, batch=batch, by=c.counselor)
        leads = [make_lead(c.center, c.counselor) for _ in counselors]
        results, errors = run_in_threads(
            2,
            lambda i, leads=leads, at=at: leads[i].schedule_intro_visit(scheduled_at=at, batch=batch, by=counselors[i]),
        )
        assert len(results) == 1 and len(errors) == 1, (results, errors)
        [error] = errors.values()
        assert isinstance(error, ValidationError), repr(error)
        assert error.message_dict["scheduled_at"][0].startswith("That session is full")
        assert IntroVisit.objects.filter(batch=batch, scheduled_at=at, cancelled_at__isnull=True).count() == 2
        loser = leads[next(iter(errors))]
        loser.refresh_from_db()
        assert loser.status == LeadStatus.ENQUIRY_RECEIVED  # nothing half-written
        wins[next(iter(results))] += 1
    assert sum(wins.values()) == rounds
