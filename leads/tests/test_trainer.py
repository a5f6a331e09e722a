"""The trainer's view: today's and tomorrow's visits of their batches; attended/no-show and outcome."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import IntroVisit, LeadStatus
from leads.tests.factories import BatchFactory, UserFactory, make_lead, next_session

S = LeadStatus
HTMX = {"HTTP_HX_REQUEST": "true"}
TRAINER = "/trainer/"


def visit_on(c, day_offset, *, hour=17, batch=None, trainer=None, expectations=None):
    """An intro visit `day_offset` days from today (center clock), scheduled through the verb."""
    lead = make_lead(c.center, c.counselor, parent_expectations=expectations or ["confidence", "social_skills"])
    visit = lead.schedule_intro_visit(
        scheduled_at=next_session(batch or c.batch),
        batch=batch or c.batch,
        trainer=trainer,
        notes="Shy at first",
        by=c.counselor,
    )
    local = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=day_offset)
    at = datetime.datetime.combine(local, datetime.time(hour, 0), tzinfo=c.center.tzinfo)
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=at)
    visit.refresh_from_db()
    return visit


def outcome_url(visit):
    return reverse("leads:trainer_outcome", args=[visit.pk])


def test_trainer_sees_today_and_tomorrow_with_child_age_expectations_and_notes(client, c):
    today = visit_on(c, 0, hour=10)
    tomorrow = visit_on(c, 1)
    later = visit_on(c, 3)
    yesterday = visit_on(c, -1)
    client.force_login(c.trainer)
    response = client.get(TRAINER)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Today") < html.index(f'id="visit-{today.pk}"') < html.index("Tomorrow")
    assert html.index("Tomorrow") < html.index(f'id="visit-{tomorrow.pk}"')
    assert f'id="visit-{later.pk}"' not in html and f'id="visit-{yesterday.pk}"' not in html
    assert today.lead.child.full_name in html
    assert "Confidence building" in html and "Social skills" in html
    assert "Shy at first" in html
    assert "Attended" in html and "No-show" in html


def test_trainer_sees_only_their_batches_and_visits(client, c):
    other_trainer = UserFactory(username="tlgc_trainer2", role="TRAINER", centers=[c.center])
    other_batch = BatchFactory(center=c.center, name="Bugs", trainer=other_trainer)
    mine = visit_on(c, 0)
    theirs = visit_on(c, 0, batch=other_batch)
    assigned_to_me = visit_on(c, 1, batch=other_batch, trainer=c.trainer)
    client.force_login(c.trainer)
    html = client.get(TRAINER).content.decode()
    assert f'id="visit-{mine.pk}"' in html
    assert f'id="visit-{assigned_to_me.pk}"' in html
    assert f'id="visit-{theirs.pk}"' not in html
    assert client.post(outcome_url(theirs), {"outcome": "NO_SHOW"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.outcome is None


def test_center_admin_sees_every_visit_of_the_center(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.admin)
    assert f'id="visit-{visit.pk}"' in client.get(TRAINER).content.decode()


def test_other_centers_visits_are_never_shown_nor_recordable(client, c, b):
    theirs = visit_on(b, 0)
    client.force_login(c.trainer)
    assert f'id="visit-{theirs.pk}"' not in client.get(TRAINER).content.decode()
    assert client.post(outcome_url(theirs), {"outcome": "NO_SHOW"}).status_code == 403
    assert client.get(reverse("leads:trainer_visit", args=[theirs.pk])).status_code == 403


def test_counselor_gets_403_on_the_trainer_view(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.counselor)
    assert client.get(TRAINER).status_code == 403
    assert client.post(outcome_url(visit), {"outcome": "NO_SHOW"}).status_code == 403
    visit.refresh_from_db()
    assert visit.outcome is None


@pytest.mark.parametrize("url", ["/board/", "/follow-ups/", "/leads/", "/enquiries/new/"])
def test_trainer_gets_403_on_the_counselor_screens(client, c, url):
    client.force_login(c.trainer)
    assert client.get(url).status_code == 403


def test_trainer_view_is_get_only_and_outcome_post_only(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.trainer)
    assert client.post(TRAINER).status_code == 405
    assert client.get(outcome_url(visit)).status_code == 405


def test_one_tap_no_show(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.trainer)
    response = client.post(outcome_url(visit), {"outcome": "NO_SHOW"}, **HTMX)
    assert response.status_code == 200
    assert "Recorded: No-show" in response.content.decode()
    assert "visitRecorded" in json.loads(response["HX-Trigger"])
    visit.refresh_from_db()
    visit.lead.refresh_from_db()
    assert visit.outcome == "NO_SHOW" and visit.lead.status == S.IV_NO_SHOW


def test_attended_then_outcome_and_notes(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.trainer)
    step = client.get(reverse("leads:trainer_visit", args=[visit.pk]), {"step": "attended"}, **HTMX)
    html = step.content.decode()
    assert "<html" not in html and 'name="outcome"' in html and 'name="notes"' in html
    response = client.post(
        outcome_url(visit), {"outcome": "INTERESTED_ENROLL_LATER", "notes": "Loved the bars"}, **HTMX
    )
    assert "Recorded: Interested, enroll later" in response.content.decode()
    visit.refresh_from_db()
    assert (visit.outcome, visit.outcome_notes) == ("INTERESTED_ENROLL_LATER", "Loved the bars")
    assert visit.attended_at is not None
    visit.lead.refresh_from_db()
    assert visit.lead.status == S.FOLLOW_UP_PENDING


def test_without_js_attended_is_a_page_and_the_outcome_redirects(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.trainer)
    page = client.get(reverse("leads:trainer_visit", args=[visit.pk]), {"step": "attended"})
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = client.post(outcome_url(visit), {"outcome": "INTERESTED_ENROLL_NOW"})
    assert response.status_code == 302 and response["Location"] == TRAINER


def test_bad_outcome_is_shown_and_nothing_recorded(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.trainer)
    response = client.post(outcome_url(visit), {"outcome": "MAYBE"})
    assert response.status_code == 400
    assert "Choose one of" in response.content.decode()
    visit.refresh_from_db()
    assert visit.outcome is None


def test_recording_twice_shows_the_message_and_writes_once(client, c):
    visit = visit_on(c, 0)
    client.force_login(c.trainer)
    client.post(outcome_url(visit), {"outcome": "NO_SHOW"}, **HTMX)
    again = client.post(outcome_url(visit), {"outcome": "INTERESTED_ENROLL_NOW"}, **HTMX)
    assert again.status_code == 200
    assert "already has an outcome" in again.content.decode()
    visit.refresh_from_db()
    assert visit.outcome == "NO_SHOW"
    assert visit.lead.status_changes.filter(to_status=S.IV_NO_SHOW).count() == 1


def test_outcome_needs_csrf(c):
    visit = visit_on(c, 0)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(c.trainer)
    assert strict.post(outcome_url(visit), {"outcome": "NO_SHOW"}).status_code == 403


def test_tap_targets_are_marked_for_44px(client, c):
    visit_on(c, 0)
    client.force_login(c.trainer)
    html = client.get(TRAINER).content.decode()
    assert 'class="btn tap tap-yes"' in html and 'class="btn tap tap-no"' in html


def test_trainer_view_queries_stay_flat(client, c, django_assert_max_num_queries):
    for day in (0, 0, 1, 1, 1):
        visit_on(c, day)
    client.force_login(c.trainer)
    client.get(TRAINER)
    with django_assert_max_num_queries(10):
        client.get(TRAINER)
