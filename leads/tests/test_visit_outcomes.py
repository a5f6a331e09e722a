"""Issue 9, "trainers must not record what has not happened": the start rule on every door,
attendance as its own verb, corrections as moves, and no outcome pre-selected anywhere."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from insights.metrics.funnel import STEP_FILTERS
from insights.metrics.trials import EXTRA_STEPS
from leads import forms
from leads.models import IntroVisit, IVOutcome, Lead, LeadStatus, LifecycleError
from leads.tests.factories import EnrollmentFactory, UserFactory, make_lead, next_session, started

S = LeadStatus
HTMX = {"HTTP_HX_REQUEST": "true"}
NOT_STARTED = "record how it went once it has started"


def booked(c, *, in_minutes=120):
    """A lead with a visit starting `in_minutes` (negative: started that long ago)."""
    lead = make_lead(c.center, c.counselor)
    visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor)
    started(visit, minutes_ago=-in_minutes)
    visit = IntroVisit.objects.select_related("lead", "batch").get(pk=visit.pk)
    return visit.lead, visit


def attended_in_figures(*leads) -> tuple[int, int]:
    """How many of `leads` the funnel's "IV attended" step and the trial rate's base count."""
    chosen = Lead.objects.filter(pk__in=[lead.pk for lead in leads])
    return chosen.filter(STEP_FILTERS["attended"]).count(), chosen.filter(EXTRA_STEPS["trial"]).count()


def nothing_recorded(lead, visit):
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert (visit.outcome, visit.attended_at) == (None, None)
    assert lead.status == S.IV_SCHEDULED
    assert list(lead.status_changes.values_list("action", flat=True)) == ["create_enquiry", "schedule_intro_visit"]


# -- 1. not before the visit has started ---------------------------------------------------------


def test_the_verb_refuses_an_outcome_before_the_start_with_a_sentence(c):
    lead, visit = booked(c, in_minutes=90)
    with pytest.raises(ValidationError) as refused:
        visit.record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    local = timezone.localtime(visit.scheduled_at, c.center.tzinfo)
    assert refused.value.message_dict == {
        "outcome": [f"This intro visit starts at {local:%a %-d %b, %-I:%M %p}: {NOT_STARTED}."]
    }
    nothing_recorded(lead, visit)


def test_the_grace_is_a_setting(c, settings):
    lead, visit = booked(c, in_minutes=20)
    settings.INTRO_VISIT_OUTCOME_GRACE_MINUTES = 10
    with pytest.raises(ValidationError):
        visit.record_attendance(by=c.trainer)
    settings.INTRO_VISIT_OUTCOME_GRACE_MINUTES = 30  # the default
    visit.record_attendance(by=c.trainer)
    assert visit.attended_at is not None


def test_attendance_may_not_be_dated_before_the_start(c):
    lead, visit = booked(c, in_minutes=-5)
    with pytest.raises(ValidationError) as refused:
        visit.record_attendance(attended_at=timezone.now() - datetime.timedelta(hours=2), by=c.trainer)
    assert NOT_STARTED in refused.value.message_dict["attended_at"][0]


def test_a_sentence_about_a_visit_of_another_year_names_the_year(c):
    lead, visit = booked(c)
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=visit.scheduled_at + datetime.timedelta(days=400))
    visit.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        visit.record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    year = timezone.localtime(visit.scheduled_at, c.center.tzinfo).year
    assert f" {year}, " in refused.value.messages[0]


def test_door_trainer_card(client, c):
    lead, visit = booked(c)
    client.force_login(c.trainer)
    response = client.post(reverse("leads:trainer_outcome", args=[visit.pk]), {"outcome": "NO_SHOW"}, **HTMX)
    assert NOT_STARTED in response.content.decode()
    nothing_recorded(lead, visit)


def test_door_lead_page(client, c):
    lead, visit = booked(c)
    client.force_login(c.admin)
    url = reverse("leads:visit_outcome", args=[lead.pk, visit.pk])
    version = Lead.objects.get(pk=lead.pk).updated_at.isoformat()
    response = client.post(url, {f"visit{visit.pk}-outcome": "NO_SHOW", "version": version})
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(rf'id="errors-visit{visit.pk}-outcome"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert NOT_STARTED in errors  # next to the outcome field
    nothing_recorded(lead, visit)


def test_lead_page_offers_no_outcome_form_before_the_start(client, c):
    lead, visit = booked(c)
    client.force_login(c.admin)
    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert f'name="visit{visit.pk}-outcome"' not in html
    assert "its outcome can be recorded once it has started" in html
    started(visit)
    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert f'name="visit{visit.pk}-outcome"' in html


@pytest.mark.parametrize("to", [S.IV_COMPLETED, S.IV_NO_SHOW])
def test_door_board_move(client, c, to):
    lead, visit = booked(c)
    client.force_login(c.admin)
    response = client.post(reverse("leads:board_move", args=[lead.pk]), {"to": to}, **HTMX)
    assert NOT_STARTED in response.headers["HX-Trigger"]
    nothing_recorded(lead, visit)


def test_door_board_dialog_outcome(client, c):
    lead, visit = booked(c)
    client.force_login(c.admin)
    response = client.post(
        reverse("leads:board_move", args=[lead.pk]),
        {"to": S.FOLLOW_UP_PENDING, "step": "details", "outcome": "NOT_INTERESTED"},
        **HTMX,
    )
    assert NOT_STARTED in response.content.decode()
    nothing_recorded(lead, visit)


def test_door_admin_has_no_way_to_write_an_outcome(client, c):
    """Admin shows visits read-only: the verb is the only writer, so admin cannot skip its rule."""
    lead, visit = booked(c)
    client.force_login(c.admin)
    change = reverse("admin:leads_introvisit_change", args=[visit.pk])
    assert client.post(change, {"outcome": "NO_SHOW"}).status_code == 403
    assert 'name="outcome"' not in client.get(change).content.decode()
    nothing_recorded(lead, visit)


# -- 2. attendance, its own verb ------------------------------------------------------------------


def test_attendance_writes_one_history_row_keeps_the_status_and_sets_the_milestone(c):
    lead, visit = booked(c, in_minutes=-5)
    visit.record_attendance(by=c.trainer)
    lead.refresh_from_db()
    rows = list(lead.status_changes.values_list("from_status", "to_status", "action", "actor"))
    assert rows[2:] == [(S.IV_SCHEDULED, S.IV_SCHEDULED, "record_attendance", c.trainer.pk)]
    assert lead.status == S.IV_SCHEDULED and lead.iv_attended_at is not None
    assert lead.days_in_iv_scheduled is None  # no stay ended: the lead still waits for the outcome
    with pytest.raises(LifecycleError, match="already recorded"):
        visit.record_attendance(by=c.trainer)
    assert lead.status_changes.count() == 3


def test_attendance_then_outcome_keeps_the_attendance_time(c):
    lead, visit = booked(c, in_minutes=-5)
    visit.record_attendance(by=c.trainer)
    attended = visit.attended_at
    visit.record_outcome(outcome=IVOutcome.INTERESTED_ENROLL_NOW, by=c.trainer)
    visit.refresh_from_db()
    assert visit.attended_at == attended and visit.outcome == IVOutcome.INTERESTED_ENROLL_NOW


def test_no_show_after_a_wrong_attended_tap_takes_the_attendance_back(c):
    lead, visit = booked(c, in_minutes=-5)
    visit.record_attendance(by=c.trainer)
    visit.record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert visit.attended_at is None and lead.iv_attended_at is None and lead.status == S.IV_NO_SHOW


def test_another_trainer_cannot_record_attendance(c, b):
    lead, visit = booked(c, in_minutes=-5)
    with pytest.raises(PermissionDenied):
        visit.record_attendance(by=b.trainer)
    with pytest.raises(PermissionDenied):
        visit.record_attendance(by=c.counselor)


def test_attendance_does_not_skew_the_funnel(c):
    """The funnel reads milestones: an attended child counts once, as attended, whatever the steps."""
    one_step_lead, one_step = booked(c, in_minutes=-5)
    one_step.record_outcome(outcome=IVOutcome.INTERESTED_ENROLL_LATER, by=c.trainer)
    two_step_lead, two_step = booked(c, in_minutes=-5)
    two_step.record_attendance(by=c.trainer)
    two_step.record_outcome(outcome=IVOutcome.INTERESTED_ENROLL_LATER, by=c.trainer)
    assert attended_in_figures(one_step_lead, two_step_lead) == (2, 2)
    lead = Lead.objects.get(pk=two_step_lead.pk)
    assert lead.iv_attended_at == lead.status_changes.get(action="record_attendance").at  # counted once, then


# -- 3. corrections --------------------------------------------------------------------------------


def recorded(c, outcome, *, by=None):
    lead, visit = booked(c, in_minutes=-5)
    visit.record_outcome(outcome=outcome, by=by or c.trainer)
    lead.refresh_from_db()
    return lead, visit


def test_correction_is_a_move_with_its_own_history_row_and_the_lead_follows(c):
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    visit.correct_outcome(outcome=IVOutcome.INTERESTED_ENROLL_LATER, by=c.trainer)
    lead.refresh_from_db()
    visit.refresh_from_db()
    assert (visit.outcome, lead.status) == (IVOutcome.INTERESTED_ENROLL_LATER, S.FOLLOW_UP_PENDING)
    last = lead.status_changes.last()
    name = c.trainer.get_full_name() or c.trainer.username
    assert (last.from_status, last.to_status, last.action, last.actor) == (
        S.IV_NO_SHOW,
        S.FOLLOW_UP_PENDING,
        "correct_to_enroll_later",
        c.trainer,
    )
    assert last.note == f"outcome corrected from NO_SHOW to INTERESTED_ENROLL_LATER by {name}"
    # The no-show row is still there: nothing is overwritten.
    assert lead.status_changes.filter(action="record_no_show").count() == 1


def test_correction_keeps_the_milestones_true(c):
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    assert lead.iv_attended_at is None
    visit.correct_outcome(outcome=IVOutcome.INTERESTED_ENROLL_NOW, by=c.trainer)
    lead.refresh_from_db()
    visit.refresh_from_db()
    assert lead.iv_attended_at is not None and visit.attended_at is not None
    assert lead.status == S.IV_COMPLETED
    visit.correct_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)  # and back: the child did not come
    lead.refresh_from_db()
    visit.refresh_from_db()
    assert lead.iv_attended_at is None and visit.attended_at is None and lead.status == S.IV_NO_SHOW


def test_correction_counts_no_stay_for_the_wrong_tap(c):
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    left_scheduled = lead.status_changed_at
    visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=c.trainer)
    lead.refresh_from_db()
    assert lead.days_in_iv_no_show is None and not lead.repeat_stays
    assert lead.status_changed_at == left_scheduled  # in FOLLOW_UP_PENDING since the visit ended
    assert lead.days_in_iv_scheduled is not None


def test_correction_window_is_ten_minutes_for_the_trainer(c, settings):
    settings.INTRO_VISIT_CORRECTION_MINUTES = 10
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    IntroVisit.objects.filter(pk=visit.pk).update(
        outcome_recorded_at=timezone.now() - datetime.timedelta(minutes=10, seconds=5)
    )
    visit.refresh_from_db()
    with pytest.raises(PermissionDenied, match="10 minutes"):
        visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=c.trainer)
    visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=c.admin)  # an admin, at any time
    visit.refresh_from_db()
    assert visit.outcome == IVOutcome.NOT_INTERESTED


def test_super_admin_corrects_at_any_time(c, superadmin):
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    IntroVisit.objects.filter(pk=visit.pk).update(outcome_recorded_at=timezone.now() - datetime.timedelta(days=3))
    visit.refresh_from_db()
    visit.correct_outcome(outcome=IVOutcome.INTERESTED_ENROLL_NOW, by=superadmin)
    lead.refresh_from_db()
    assert lead.status == S.IV_COMPLETED


def test_only_the_trainer_who_may_record_it_corrects_it(c, b):
    other = UserFactory(username="tlgc_trainer_other", role="TRAINER", centers=[c.center])
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    for outsider in (other, b.trainer, c.counselor):
        with pytest.raises(PermissionDenied):
            visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=outsider)


def test_correction_is_refused_once_the_lead_moved_on(c):
    lead, visit = recorded(c, IVOutcome.INTERESTED_ENROLL_LATER)
    lead.add_follow_up(scheduled_date=timezone.localdate() + datetime.timedelta(days=2), by=c.counselor)
    before = lead.status_changes.count()
    with pytest.raises(ValidationError) as refused:
        visit.correct_outcome(outcome=IVOutcome.NO_SHOW, by=c.admin)
    assert "moved on" in refused.value.message_dict["outcome"][0]
    assert "Follow-up added" in refused.value.message_dict["outcome"][0]
    lead.refresh_from_db()
    visit.refresh_from_db()
    assert lead.status_changes.count() == before and visit.outcome == IVOutcome.INTERESTED_ENROLL_LATER


def test_correction_is_refused_on_a_converted_lead(c):
    lead, visit = recorded(c, IVOutcome.INTERESTED_ENROLL_NOW)
    lead.convert(enrollment=EnrollmentFactory(child=lead.child, batch=c.batch), by=c.counselor)
    with pytest.raises(LifecycleError, match="A converted lead cannot have an intro-visit outcome corrected"):
        visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=c.admin)


def test_correction_is_refused_when_a_new_visit_was_booked(c):
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    lead.schedule_intro_visit(scheduled_at=next_session(c.batch, 1), batch=c.batch, by=c.counselor)
    with pytest.raises(LifecycleError, match="already scheduled cannot have an intro-visit outcome corrected"):
        visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=c.admin)
    # And once that visit has its own outcome, the first one is history: its correction is refused too.
    second = IntroVisit.objects.filter(lead=lead, outcome__isnull=True).get()
    started(second).record_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    with pytest.raises(ValidationError, match="moved on"):
        visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=c.admin)


def test_a_correction_may_be_corrected_again(c):
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    visit.correct_outcome(outcome=IVOutcome.NOT_INTERESTED, by=c.trainer)
    visit.correct_outcome(outcome=IVOutcome.INTERESTED_ENROLL_LATER, by=c.trainer)
    lead.refresh_from_db()
    assert list(lead.status_changes.values_list("action", flat=True))[-3:] == [
        "record_no_show",
        "correct_to_not_interested",
        "correct_to_enroll_later",
    ]


def test_correcting_to_the_same_outcome_or_without_one_is_refused(c):
    lead, visit = recorded(c, IVOutcome.NO_SHOW)
    with pytest.raises(ValidationError, match="already"):
        visit.correct_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    with pytest.raises(ValidationError, match="Choose one of"):
        visit.correct_outcome(outcome="", by=c.trainer)
    _, fresh = booked(c, in_minutes=-5)
    with pytest.raises(LifecycleError, match="no outcome yet"):
        fresh.correct_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)


def test_a_correction_to_no_show_takes_the_lead_out_of_the_attended_figures(c):
    lead, visit = recorded(c, IVOutcome.INTERESTED_ENROLL_LATER)
    assert attended_in_figures(lead) == (1, 1)
    visit.correct_outcome(outcome=IVOutcome.NO_SHOW, by=c.trainer)
    assert attended_in_figures(lead) == (0, 0)


# -- 4. no outcome pre-selected ---------------------------------------------------------------------


def test_outcome_form_pre_selects_nothing():
    for kwargs in ({}, {"outcomes": [IVOutcome.INTERESTED_ENROLL_LATER, IVOutcome.NOT_INTERESTED]}):
        html = str(forms.OutcomeForm(**kwargs)["outcome"])
        assert html.count('type="radio"') >= 2 and "checked" not in html


def test_lead_page_outcome_form_pre_selects_nothing_and_asks_for_one(client, c):
    lead, visit = booked(c, in_minutes=-5)
    client.force_login(c.admin)
    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    field = re.search(rf'id="field-visit{visit.pk}-outcome".*?</fieldset>', html, re.S).group(0)
    assert 'type="radio"' in field and "checked" not in field
    version = Lead.objects.get(pk=lead.pk).updated_at.isoformat()
    response = client.post(
        reverse("leads:visit_outcome", args=[lead.pk, visit.pk]), {f"visit{visit.pk}-notes": "x", "version": version}
    )
    errors = re.search(rf'id="errors-visit{visit.pk}-outcome"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert "required" in errors.group(1)
    nothing_recorded(lead, visit)


def test_board_outcome_dialog_pre_selects_nothing_and_asks_for_one(client, c):
    lead, visit = booked(c, in_minutes=-5)
    client.force_login(c.admin)
    url = reverse("leads:board_move", args=[lead.pk])
    ask = client.post(url, {"to": S.FOLLOW_UP_PENDING}, **HTMX).content.decode()
    assert 'name="outcome"' in ask and "checked" not in ask
    response = client.post(url, {"to": S.FOLLOW_UP_PENDING, "step": "details"}, **HTMX).content.decode()
    errors = re.search(r'id="errors-outcome"[^>]*>(.*?)</div>', response, re.S)
    assert "required" in errors.group(1)
    nothing_recorded(lead, visit)


def test_trainer_card_pre_selects_nothing(client, c):
    lead, visit = booked(c, in_minutes=-5)
    client.force_login(c.trainer)
    client.post(reverse("leads:trainer_attendance", args=[visit.pk]))
    html = client.get(reverse("leads:trainer_visit", args=[visit.pk]), **HTMX).content.decode()
    assert 'name="outcome"' in html and "checked" not in html and "selected" not in html
