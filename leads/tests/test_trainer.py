"""The trainer's view: today's and tomorrow's visits of their batches; attended/no-show and outcome."""

import datetime
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import ExpectationChoice, IntroVisit, LeadStatus
from leads.tests.factories import BatchFactory, UserFactory, make_lead, next_session, started

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
    today = now_visit(c)
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


def test_the_card_shows_the_centers_own_expectation_labels_in_one_query(client, c, django_assert_max_num_queries):
    ExpectationChoice.objects.create(center=c.center, code="water_safety", label="Safe in the water")
    ExpectationChoice.objects.filter(center=c.center, code="confidence").update(label="Self-confidence")
    for day in (0, 0, 1):
        visit_on(c, day, expectations=["water_safety", "confidence"])
    client.force_login(c.trainer)
    client.get(TRAINER)
    with django_assert_max_num_queries(8) as captured:
        html = client.get(TRAINER).content.decode()
    assert html.count("Safe in the water") == 3 and html.count("Self-confidence") == 3
    assert "water_safety" not in html
    assert sum("leads_expectationchoice" in q["sql"] for q in captured.captured_queries) == 1


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


def now_visit(c, *, minutes_ago=5, **kwargs):
    """A visit of today that started `minutes_ago` (negative: starts in that many minutes)."""
    visit = visit_on(c, 0, **kwargs)
    return started(visit, minutes_ago=minutes_ago)


def card(client, visit, step="", **headers):
    return client.get(reverse("leads:trainer_visit", args=[visit.pk]), {"step": step} if step else {}, **headers)


def attendance_url(visit):
    return reverse("leads:trainer_attendance", args=[visit.pk])


def correct_url(visit):
    return reverse("leads:trainer_correct", args=[visit.pk])


def test_before_the_start_the_card_says_when_and_offers_no_outcome(client, c, settings):
    settings.INTRO_VISIT_OUTCOME_GRACE_MINUTES = 30
    visit = now_visit(c, minutes_ago=-45)  # starts in 45 minutes
    client.force_login(c.trainer)
    html = card(client, visit, **HTMX).content.decode()
    local = timezone.localtime(visit.scheduled_at, c.center.tzinfo)
    assert f"Starts at {local:%-I:%M %p}" in html
    assert "Attended" not in html and "No-show" not in html and 'name="outcome"' not in html
    # Thirty minutes before, the buttons appear (the grace).
    started(visit, minutes_ago=-25)
    html = card(client, visit, **HTMX).content.decode()
    assert "Starts at" not in html and "Attended" in html and "No-show" in html


def test_posting_before_the_start_is_refused_with_the_verbs_sentence(client, c):
    visit = now_visit(c, minutes_ago=-120)
    client.force_login(c.trainer)
    for url, data in ((outcome_url(visit), {"outcome": "NO_SHOW"}), (attendance_url(visit), {})):
        response = client.post(url, data, **HTMX)
        assert "record how it went once it has started" in response.content.decode()
    visit.refresh_from_db()
    assert (visit.outcome, visit.attended_at) == (None, None)
    assert visit.lead.status_changes.count() == 2  # enquiry and scheduling only


def test_a_visit_of_another_year_shows_its_year(client, c):
    visit = visit_on(c, 0)
    next_year = visit.scheduled_at.replace(year=visit.scheduled_at.year + 1)
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=next_year)
    client.force_login(c.trainer)
    html = card(client, visit, **HTMX).content.decode()
    assert str(next_year.year) in html.split("<h3>")[0]  # in the card's time line
    assert f"Starts at {timezone.localtime(next_year, c.center.tzinfo):%a %-d %b %Y}" in html


def test_no_show_needs_a_confirmation_tap(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    html = client.get(TRAINER).content.decode()
    assert f'href="/trainer/visits/{visit.pk}/?step=no_show"' in html  # a link, not a one-tap POST
    confirm = card(client, visit, "no_show", **HTMX).content.decode()
    assert "Yes, no-show" in confirm and 'value="NO_SHOW"' in confirm
    visit.refresh_from_db()
    assert visit.outcome is None
    response = client.post(outcome_url(visit), {"outcome": "NO_SHOW"}, **HTMX)
    assert "Recorded: No-show" in response.content.decode()
    assert "visitRecorded" in json.loads(response["HX-Trigger"])
    visit.refresh_from_db()
    visit.lead.refresh_from_db()
    assert visit.outcome == "NO_SHOW" and visit.lead.status == S.IV_NO_SHOW


def test_no_show_confirmation_works_without_js(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    page = card(client, visit, "no_show")
    assert page.status_code == 200 and "<html" in page.content.decode() and "Yes, no-show" in page.content.decode()
    response = client.post(outcome_url(visit), {"outcome": "NO_SHOW"})
    assert response.status_code == 302 and response["Location"] == TRAINER


def test_attended_is_its_own_step_then_the_card_asks_for_the_outcome(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    response = client.post(attendance_url(visit), **HTMX)
    html = response.content.decode()
    assert "<html" not in html and "How did it go?" in html and 'name="outcome"' in html
    assert "checked" not in html
    visit.refresh_from_db()
    assert visit.attended_at is not None and visit.outcome is None
    rows = list(visit.lead.status_changes.values_list("from_status", "to_status", "action"))
    assert rows[-1] == (S.IV_SCHEDULED, S.IV_SCHEDULED, "record_attendance")
    response = client.post(
        outcome_url(visit), {"outcome": "INTERESTED_ENROLL_LATER", "notes": "Loved the bars"}, **HTMX
    )
    assert "Recorded: Interested, enroll later" in response.content.decode()
    attended = visit.attended_at
    visit.refresh_from_db()
    assert (visit.outcome, visit.outcome_notes) == ("INTERESTED_ENROLL_LATER", "Loved the bars")
    assert visit.attended_at == attended  # the attendance tap's time is kept
    visit.lead.refresh_from_db()
    assert visit.lead.status == S.FOLLOW_UP_PENDING


def test_without_js_attended_redirects_and_the_list_then_asks_for_the_outcome(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    response = client.post(attendance_url(visit))
    assert response.status_code == 302 and response["Location"] == TRAINER
    html = client.get(TRAINER).content.decode()
    assert "How did it go?" in html and "checked" not in html
    response = client.post(outcome_url(visit), {"outcome": "INTERESTED_ENROLL_NOW"})
    assert response.status_code == 302 and response["Location"] == TRAINER


def test_saving_without_an_outcome_shows_a_message_next_to_the_choices(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    client.post(attendance_url(visit))
    response = client.post(outcome_url(visit), {"notes": "forgot to pick"}, **HTMX)
    html = response.content.decode()
    fieldset = html[html.index("<fieldset") : html.index("</fieldset>")]
    assert "Choose one of" in fieldset
    visit.refresh_from_db()
    assert visit.outcome is None


def test_bad_outcome_is_shown_and_nothing_recorded(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    response = client.post(outcome_url(visit), {"outcome": "MAYBE"})
    assert response.status_code == 400
    assert "Choose one of" in response.content.decode()
    visit.refresh_from_db()
    assert visit.outcome is None


def test_recording_twice_shows_the_message_and_writes_once(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    client.post(outcome_url(visit), {"outcome": "NO_SHOW"}, **HTMX)
    again = client.post(outcome_url(visit), {"outcome": "INTERESTED_ENROLL_NOW"}, **HTMX)
    assert again.status_code == 200
    assert "already has an outcome" in again.content.decode()
    visit.refresh_from_db()
    assert visit.outcome == "NO_SHOW"
    assert visit.lead.status_changes.filter(to_status=S.IV_NO_SHOW).count() == 1


def test_undo_correct_is_offered_in_the_window_and_records_a_correction(client, c, settings):
    settings.INTRO_VISIT_CORRECTION_MINUTES = 10
    visit = now_visit(c)
    client.force_login(c.trainer)
    html = client.post(outcome_url(visit), {"outcome": "NO_SHOW"}, **HTMX).content.decode()
    assert "Undo / correct" in html and "until" in html
    form = card(client, visit, "correct", **HTMX).content.decode()
    assert 'value="NO_SHOW"' not in form and 'value="INTERESTED_ENROLL_LATER"' in form and "checked" not in form
    response = client.post(correct_url(visit), {"outcome": "INTERESTED_ENROLL_LATER"}, **HTMX)
    assert "Recorded: Interested, enroll later" in response.content.decode()
    visit.refresh_from_db()
    visit.lead.refresh_from_db()
    assert visit.outcome == "INTERESTED_ENROLL_LATER" and visit.lead.status == S.FOLLOW_UP_PENDING
    last = visit.lead.status_changes.last()
    assert last.action == "correct_to_enroll_later"
    assert last.note.startswith("outcome corrected from NO_SHOW to INTERESTED_ENROLL_LATER by ")


def test_after_the_window_the_trainer_gets_no_undo_and_is_refused(client, c, settings):
    settings.INTRO_VISIT_CORRECTION_MINUTES = 10
    visit = now_visit(c, minutes_ago=30)
    client.force_login(c.trainer)
    client.post(outcome_url(visit), {"outcome": "NO_SHOW"})
    IntroVisit.objects.filter(pk=visit.pk).update(outcome_recorded_at=timezone.now() - datetime.timedelta(minutes=11))
    html = client.get(TRAINER).content.decode()
    assert "Recorded: No-show" in html and "Undo / correct" not in html
    assert client.post(correct_url(visit), {"outcome": "NOT_INTERESTED"}).status_code == 403
    visit.refresh_from_db()
    assert visit.outcome == "NO_SHOW"
    # A center admin still may, at any time.
    client.force_login(c.admin)
    assert "Undo / correct" in card(client, visit, **HTMX).content.decode()
    client.post(correct_url(visit), {"outcome": "NOT_INTERESTED"}, **HTMX)
    visit.refresh_from_db()
    assert visit.outcome == "NOT_INTERESTED"


def test_correcting_without_choosing_shows_a_message_next_to_the_choices(client, c):
    visit = now_visit(c)
    client.force_login(c.trainer)
    client.post(outcome_url(visit), {"outcome": "NO_SHOW"})
    html = client.post(correct_url(visit), {"outcome": ""}, **HTMX).content.decode()
    fieldset = html[html.index("<fieldset") : html.index("</fieldset>")]
    assert "Choose one of" in fieldset
    visit.refresh_from_db()
    assert visit.outcome == "NO_SHOW"


def test_outcome_needs_csrf(c):
    visit = visit_on(c, 0)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(c.trainer)
    assert strict.post(outcome_url(visit), {"outcome": "NO_SHOW"}).status_code == 403


def test_tap_targets_are_marked_for_44px(client, c):
    now_visit(c)
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
