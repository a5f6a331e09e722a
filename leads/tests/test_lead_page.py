"""The lead page: what it shows, which actions it offers, and each action over plain POST and HTMX."""

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.demo import bulk_leads
from leads.models import (
    ClosedReason,
    Enrollment,
    FollowUp,
    FollowUpOutcome,
    FollowUpStatus,
    IntroVisit,
    IVOutcome,
    Lead,
    LeadNote,
    LeadStatus,
)
from leads.tests.factories import BatchFactory, EnrollmentFactory, make_lead, next_session, session_choice, started


def page_url(lead):
    return reverse("leads:lead_detail", args=[lead.pk])


def action_url(lead, name):
    return reverse(f"leads:lead_{name}", args=[lead.pk])


def version(lead):
    return Lead.objects.get(pk=lead.pk).updated_at.isoformat()


def act(client, lead, name, data, *, htmx=False, stale_version=None):
    payload = {f"{name}-{key}": value for key, value in data.items()}
    payload["version"] = stale_version or version(lead)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(action_url(lead, name), payload, headers=headers)


def today(center):
    return timezone.localdate(timezone=center.tzinfo)


# -- reading ----------------------------------------------------------------------------------------


def test_page_shows_child_parents_discovery_assignee_and_timeline(client, c, lead):
    lead.complete_discovery(
        school="DPS", preferred_schedule="Sat mornings", discovery_notes="Loves climbing", by=c.counselor
    )
    lead.add_note(body="Called back, keen on Saturdays", by=c.counselor)
    lead.add_follow_up(
        scheduled_date=today(c.center) + datetime.timedelta(days=2), notes="Ask about fees", by=c.counselor
    )
    client.force_login(c.counselor)
    response = client.get(page_url(lead))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (lead.enquiry_id, lead.child.full_name, "Sat mornings", "Loves climbing", str(c.counselor)):
        assert text in html
    parent = lead.child.links.get().parent
    assert parent.name in html and f'href="tel:{parent.phone}"' in html
    assert "Called back, keen on Saturdays" in html and "Ask about fees" in html
    assert "Discovery completed" in html and "Enquiry received" in html
    assert 'id="days-in-status">0 days' in html
    # who and when on the timeline, in the center's format
    assert f"by {c.counselor}" in html
    assert timezone.localtime(lead.created_at, c.center.tzinfo).strftime("%a %-d %b") in html


def test_other_centers_lead_is_403_and_unknown_is_404(client, b, lead):
    client.force_login(b.counselor)
    assert client.get(page_url(lead)).status_code == 403
    assert client.get(reverse("leads:lead_detail", args=[99999])).status_code == 404


def test_trainer_cannot_open_lead_pages(client, c, lead):
    client.force_login(c.trainer)
    assert client.get(page_url(lead)).status_code == 403


def test_htmx_get_returns_the_fragment(client, c, lead):
    client.force_login(c.counselor)
    html = client.get(page_url(lead), headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="lead-page"') and "<html" not in html


def action_ids(client, lead):
    html = client.get(page_url(lead)).content.decode()
    names = ("discovery", "visit", "follow_up", "convert", "close", "reopen", "reassign", "note")
    return {name for name in names if f'id="action-{name}"' in html}


def test_new_enquiry_offers_only_valid_actions_for_a_counselor(client, c, lead):
    client.force_login(c.counselor)
    assert action_ids(client, lead) == {"discovery", "visit", "follow_up", "convert", "close", "reassign", "note"}
    assert "Complete discovery" in client.get(page_url(lead)).content.decode()


def test_closed_lead_offers_reopen_to_admins_only(client, c, lead):
    lead.close(reason="Too far", by=c.counselor)
    client.force_login(c.counselor)
    assert action_ids(client, lead) == {"note"}
    client.force_login(c.admin)
    assert action_ids(client, lead) == {"reopen", "note"}


def test_converted_lead_offers_nothing_but_notes(client, c, lead):
    lead.convert(enrollment=EnrollmentFactory(child=lead.child, batch=c.batch), by=c.counselor)
    client.force_login(c.admin)
    assert action_ids(client, lead) == {"note"}


def test_record_outcome_only_for_roles_with_the_right(client, c, lead):
    visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor)
    started(visit)  # under way: the form is offered to the roles that may record (not before)
    outcome_url = reverse("leads:visit_outcome", args=[lead.pk, visit.pk])
    client.force_login(c.counselor)
    html = client.get(page_url(lead)).content.decode()
    assert outcome_url not in html
    assert f'id="visit-{visit.pk}"' in html  # the coming visit is shown, without the form
    assert "schedule" not in action_ids(client, lead)  # already scheduled: the table refuses
    client.force_login(c.admin)
    assert outcome_url in client.get(page_url(lead)).content.decode()


# -- acting -----------------------------------------------------------------------------------------


def test_complete_discovery_plain_post_redirects(client, c, lead):
    client.force_login(c.counselor)
    response = act(
        client,
        lead,
        "discovery",
        {
            "school": "DPS",
            "preferred_schedule": "Weekends",
            "parent_expectations": ["confidence"],
            "discovery_notes": "Shy",
        },
    )
    assert response.status_code == 302 and response["Location"] == page_url(lead)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISCOVERY_COMPLETED and lead.parent_expectations == ["confidence"]


def test_complete_discovery_htmx_rerenders_and_fires_lead_moved(client, c, lead):
    client.force_login(c.counselor)
    response = act(client, lead, "discovery", {"school": "DPS"}, htmx=True)
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"leadMoved": {"lead": lead.pk}}
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lead-page"') and "Discovery saved." in html
    assert "Edit discovery" in html


def test_schedule_intro_visit_shows_free_places_and_schedules(client, c, lead):
    EnrollmentFactory(child=make_lead(c.center, c.counselor).child, batch=c.batch)
    client.force_login(c.counselor)
    assert "9 seats free" in client.get(page_url(lead)).content.decode()
    response = act(client, lead, "visit", {"session": session_choice(c.batch), "notes": "Bring socks"})
    assert response.status_code == 302
    visit = IntroVisit.objects.get(lead=lead)
    assert visit.trainer == c.trainer  # the batch's trainer by default
    assert timezone.localtime(visit.scheduled_at, c.center.tzinfo).hour == 16  # read in the center's time zone
    lead.refresh_from_db()
    assert lead.status == LeadStatus.IV_SCHEDULED


def test_schedule_visit_bad_input_shows_errors_beside_fields(client, c, b, lead):
    client.force_login(c.counselor)
    past = f"{c.batch.pk}|2020-01-01T16:00:00+05:30"  # a Wednesday session, long gone
    response = act(client, lead, "visit", {"session": past})
    assert response.status_code == 400
    assert "The visit must be in the future." in response.content.decode()
    other_batch = act(client, lead, "visit", {"session": session_choice(b.batch)}, htmx=True)
    assert other_batch.status_code == 200 and "Select a valid choice" in other_batch.content.decode()
    assert 'id="action-visit" open' in other_batch.content.decode()
    assert not IntroVisit.objects.exists()


def test_admin_records_the_visit_outcome(client, c, lead):
    visit = started(lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor))
    client.force_login(c.admin)
    url = reverse("leads:visit_outcome", args=[lead.pk, visit.pk])
    data = {f"visit{visit.pk}-outcome": IVOutcome.INTERESTED_ENROLL_LATER, f"visit{visit.pk}-notes": "Loved it"}
    seen = version(lead)
    response = client.post(url, {**data, "version": seen}, headers={"HX-Request": "true"})
    assert "leadMoved" in response["HX-Trigger"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOW_UP_PENDING
    assert client.post(url, {**data, "version": seen}).status_code == 302  # a double submit: nothing twice
    again = client.post(url, {**data, "version": version(lead)})  # a fresh form: the rule says why
    assert again.status_code == 400 and "already has an outcome" in again.content.decode()
    visit.refresh_from_db()
    assert visit.outcome == IVOutcome.INTERESTED_ENROLL_LATER


def test_counselor_cannot_record_an_outcome(client, c, lead):
    visit = lead.schedule_intro_visit(scheduled_at=next_session(c.batch), batch=c.batch, by=c.counselor)
    client.force_login(c.counselor)
    url = reverse("leads:visit_outcome", args=[lead.pk, visit.pk])
    response = client.post(url, {f"visit{visit.pk}-outcome": IVOutcome.NO_SHOW, "version": version(lead)})
    assert response.status_code == 403


def test_add_follow_up_and_double_submit_adds_one(client, c, lead):
    client.force_login(c.counselor)
    stale = version(lead)
    data = {"scheduled_date": (today(c.center) + datetime.timedelta(days=2)).isoformat(), "notes": "Call after 6"}
    first = act(client, lead, "follow_up", data, htmx=True, stale_version=stale)
    second = act(client, lead, "follow_up", data, htmx=True, stale_version=stale)
    assert FollowUp.objects.filter(lead=lead).count() == 1
    assert "Follow-up added." in first.content.decode()
    assert "Nothing was saved twice" in second.content.decode()
    assert "HX-Trigger" not in second
    third = act(client, lead, "follow_up", data, stale_version=stale)  # plain: a redirect, still one
    assert third.status_code == 302 and FollowUp.objects.filter(lead=lead).count() == 1


def test_follow_up_in_the_past_is_refused_beside_the_field(client, c, lead):
    client.force_login(c.counselor)
    data = {"scheduled_date": (today(c.center) - datetime.timedelta(days=1)).isoformat()}
    response = act(client, lead, "follow_up", data)
    assert response.status_code == 400
    assert "Pick today or a later date." in response.content.decode()
    assert response.context["actions"][2].form.errors["scheduled_date"]


def test_complete_postpone_and_cancel_a_follow_up(client, c, lead):
    follow_up = lead.add_follow_up(scheduled_date=today(c.center), by=c.counselor)
    client.force_login(c.counselor)
    url = reverse("leads:follow_up_action", args=[lead.pk, follow_up.pk, "postpone"])
    later = (today(c.center) + datetime.timedelta(days=5)).isoformat()
    response = client.post(
        url,
        {f"fu{follow_up.pk}-postpone-next_date": f"{later}T17:15", "version": version(lead)},
        headers={"HX-Request": "true"},
    )
    assert "followUpDone" in response["HX-Trigger"]
    follow_up.refresh_from_db()
    assert follow_up.outcome == FollowUpOutcome.POSTPONED
    next_one = FollowUp.objects.get(lead=lead, status=FollowUpStatus.PENDING)
    # 5:15 PM as typed, in the center's clock (Asia/Kolkata: 11:45 UTC).
    assert next_one.scheduled_date.isoformat() == f"{later}T11:45:00+00:00"

    cancel = reverse("leads:follow_up_action", args=[lead.pk, next_one.pk, "cancel"])
    assert client.post(cancel, {"version": version(lead)}).status_code == 302
    next_one.refresh_from_db()
    assert next_one.status == FollowUpStatus.CANCELLED


def test_complete_follow_up_lost_closes_the_lead(client, c, lead):
    follow_up = lead.add_follow_up(scheduled_date=today(c.center), by=c.counselor)
    client.force_login(c.counselor)
    url = reverse("leads:follow_up_action", args=[lead.pk, follow_up.pk, "complete"])
    prefix = f"fu{follow_up.pk}-complete"
    missing = client.post(url, {f"{prefix}-outcome": FollowUpOutcome.LOST, "version": version(lead)})
    assert (
        missing.status_code == 400
        and "Say why the family is not joining (the reason, or the notes)." in missing.content.decode()
    )
    client.post(
        url,
        {
            f"{prefix}-outcome": FollowUpOutcome.LOST,
            f"{prefix}-reason": "Moved away",
            f"{prefix}-category": ClosedReason.DISTANCE,
            "version": version(lead),
        },
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CLOSED_LOST and lead.closed_reason == "Moved away"
    assert lead.closed_reason_category == ClosedReason.DISTANCE


def test_complete_follow_up_enrolled_converts_with_an_enrollment(client, c, lead):
    follow_up = lead.add_follow_up(scheduled_date=today(c.center), by=c.counselor)
    client.force_login(c.counselor)
    url = reverse("leads:follow_up_action", args=[lead.pk, follow_up.pk, "complete"])
    prefix = f"fu{follow_up.pk}-complete"
    client.post(
        url,
        {
            f"{prefix}-outcome": FollowUpOutcome.ENROLLED,
            f"{prefix}-batch": c.batch.pk,
            f"{prefix}-start_date": today(c.center).isoformat(),
            "version": version(lead),
        },
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.enrollment.batch == c.batch


def test_follow_up_of_another_lead_is_404(client, c, lead):
    other = make_lead(c.center, c.counselor)
    follow_up = other.add_follow_up(scheduled_date=today(c.center), by=c.counselor)
    client.force_login(c.counselor)
    url = reverse("leads:follow_up_action", args=[lead.pk, follow_up.pk, "cancel"])
    assert client.post(url, {"version": version(lead)}).status_code == 404


def test_convert_creates_the_enrollment_in_the_same_step(client, c, lead):
    client.force_login(c.counselor)
    response = act(
        client,
        lead,
        "convert",
        {"batch": c.batch.pk, "start_date": today(c.center).isoformat(), "plan": "Weekly"},
        htmx=True,
    )
    assert "leadMoved" in response["HX-Trigger"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert lead.enrollment.plan == "Weekly" and lead.enrollment.child == lead.child


def test_refused_conversion_leaves_no_enrollment(client, c, lead):
    lead.close(reason="Too far", by=c.counselor)
    client.force_login(c.admin)
    response = act(client, lead, "convert", {"batch": c.batch.pk, "start_date": today(c.center).isoformat()})
    assert response.status_code == 400
    assert "A closed lead cannot be converted." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_close_needs_a_reason_and_category(client, c, lead):
    client.force_login(c.counselor)
    bad = act(client, lead, "close", {"category": ClosedReason.PRICE, "reason": ""}, htmx=True)
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    act(client, lead, "close", {"category": ClosedReason.PRICE, "reason": "Fees too high"})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CLOSED_LOST and lead.closed_reason_category == ClosedReason.PRICE


def test_reopen_is_for_admins(client, c, lead):
    lead.close(reason="Too far", by=c.counselor)
    client.force_login(c.counselor)
    assert act(client, lead, "reopen", {}).status_code == 403
    client.force_login(c.admin)
    response = act(client, lead, "reopen", {"note": "They moved closer"}, htmx=True)
    assert "leadMoved" in response["HX-Trigger"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOW_UP_PENDING


def test_refused_move_says_why_and_writes_nothing(client, c, lead):
    client.force_login(c.admin)
    response = act(client, lead, "reopen", {}, htmx=True)
    assert "A new enquiry cannot be reopened." in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ENQUIRY_RECEIVED


def test_reassign_to_a_colleague_but_not_to_another_center(client, c, b, lead):
    client.force_login(c.counselor)
    act(client, lead, "reassign", {"assigned_to": c.admin.pk})
    lead.refresh_from_db()
    assert lead.assigned_to == c.admin
    response = act(client, lead, "reassign", {"assigned_to": b.counselor.pk})
    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.assigned_to == c.admin


def test_add_note_and_empty_note(client, c, lead):
    client.force_login(c.counselor)
    response = act(client, lead, "note", {"body": "Prefers WhatsApp"}, htmx=True)
    assert "Prefers WhatsApp" in response.content.decode()
    assert LeadNote.objects.get().author == c.counselor
    assert act(client, lead, "note", {"body": ""}).status_code == 400
    assert LeadNote.objects.count() == 1


def test_other_center_cannot_act(client, b, lead):
    client.force_login(b.admin)
    for name, data in [("note", {"body": "x"}), ("close", {"category": "PRICE", "reason": "x"})]:
        assert act(client, lead, name, data).status_code == 403
    assert not LeadNote.objects.exists()


def test_trainer_cannot_act(client, c, lead):
    client.force_login(c.trainer)
    assert act(client, lead, "close", {"category": "PRICE", "reason": "x"}).status_code == 403
    assert act(client, lead, "note", {"body": "x"}).status_code == 403


def test_actions_are_post_only_and_csrf_protected(client, c, lead):
    client.force_login(c.counselor)
    assert client.get(action_url(lead, "note")).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(c.counselor)
    assert strict.post(action_url(lead, "note"), {"note-body": "x", "version": version(lead)}).status_code == 403
    assert not LeadNote.objects.exists()


def test_enquiry_created_page_is_scoped_too(client, b, lead):
    client.force_login(b.counselor)
    assert client.get(reverse("leads:enquiry_created", args=[lead.pk])).status_code == 403


@pytest.mark.parametrize("n", [10, 1000])
def test_lead_page_query_count_stays_flat(client, c, n, django_assert_max_num_queries):
    BatchFactory(center=c.center, trainer=c.trainer)
    bulk_leads(c.center, n, by=c.counselor, seed=4)
    busy = Lead.objects.filter(center=c.center, status=LeadStatus.FOLLOW_UP_PENDING).first()
    busy.add_note(body="Note", by=c.counselor)
    for user in (c.counselor, c.admin):
        client.force_login(user)
        # 15, the coming sessions' booked visits, the detail changes, the access-log INSERT (issue 10),
        # the parent's consent and the privacy notice its form shows (issue 10)
        with django_assert_max_num_queries(20):
            response = client.get(page_url(busy))
        assert response.status_code == 200
    with django_assert_max_num_queries(20):
        client.get(page_url(busy), headers={"HX-Request": "true"})


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real threads")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_of_one_form_write_once(c):
    """Two requests racing with the same form: the row lock lets one act, the other sees it done."""
    import threading

    lead = make_lead(c.center, c.counselor)
    seen = version(lead)
    barrier = threading.Barrier(2)
    statuses = []

    def submit():
        client = Client()
        client.force_login(c.counselor)
        barrier.wait()
        try:
            response = client.post(action_url(lead, "note"), {"note-body": "Only once", "version": seen})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert LeadNote.objects.filter(lead=lead).count() == 1


def test_tapping_call_shows_a_contact_attempt_on_the_timeline(client, c, lead):
    client.force_login(c.counselor)
    tap = client.post(f"/insights/contact/{lead.pk}/call/")
    assert tap.status_code == 303 and tap["Location"].startswith("tel:")
    response = client.get(page_url(lead))
    timeline = response.content.decode().split('id="timeline"')[1]
    assert "Contact attempt" in timeline and "Call" in timeline
