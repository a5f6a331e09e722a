"""Two parents, one last seat, on PostgreSQL: both pick the same session at the same moment; the
batch row lock in `take_seat` lets one book it, the other sees the next sessions and the sentence."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from leads import public
from leads.models import IntroVisit, Lead, LeadStatus
from leads.tests.factories import BatchFactory, make_lead, next_session
from leads.tests.test_public_booking import FULL, book_url, value

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

ROUNDS = 5


def race(leads, session: str) -> dict:
    """Both parents post the same session at once, each from their own browser; answers by parent."""
    barrier = threading.Barrier(len(leads))
    answers, errors = {}, {}

    def book(i, lead):
        try:
            client = Client()
            barrier.wait()
            answers[i] = client.post(book_url(lead), {"session": session})
        except Exception as error:  # asserted on below
            errors[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(i, lead)) for i, lead in enumerate(leads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == {}
    return answers


def test_two_parents_racing_for_the_last_seat_one_gets_it_the_other_the_next_sessions(c):
    last_seat = BatchFactory(center=c.center, program=c.batch.program, capacity=2, name="Last seat")
    web = public.website_user(c.center)
    for n in range(ROUNDS):  # session n already holds one child: one seat left
        make_lead(c.center, c.counselor).schedule_intro_visit(
            scheduled_at=next_session(last_seat, n), batch=last_seat, by=c.counselor
        )
    for n in range(ROUNDS):
        parents = [make_lead(c.center, web, assigned_to=c.counselor) for _ in range(2)]
        answers = race(parents, value(last_seat, n))
        assert sorted(a.status_code for a in answers.values()) == [302, 409]
        loser = next(a for a in answers.values() if a.status_code == 409).content.decode()
        assert FULL in loser
        assert value(last_seat, n) not in loser and value(last_seat, n + 1) in loser  # the next sessions
        assert IntroVisit.objects.filter(batch=last_seat, scheduled_at=next_session(last_seat, n)).count() == 2
        statuses = sorted(Lead.objects.get(pk=lead.pk).status for lead in parents)
        assert statuses == sorted([LeadStatus.ENQUIRY_RECEIVED, LeadStatus.IV_SCHEDULED])
