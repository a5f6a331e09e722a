"""The Kanban board: columns, cards, moves through the model verbs, load more, filters, budgets."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.demo import bulk_leads
from leads.models import Enrollment, FollowUp, IntroVisit, Lead, LeadSource, LeadStatus, LeadStatusChange
from leads.tests.factories import make_lead, next_session, session_choice, started

S = LeadStatus
HTMX = {"HTTP_HX_REQUEST": "true"}
BOARD = "/board/"


def move_url(lead):
    return reverse("leads:board_move", args=[lead.pk])


def trigger(response, header="HX-Trigger"):
    return json.loads(response.headers.get(header, "{}"))


def scheduled(c, lead, *, by=None, days=1):
    return lead.schedule_intro_visit(scheduled_at=next_session(c.batch, days - 1), batch=c.batch, by=by or c.counselor)


# -- the page ---------------------------------------------------------------------------------------


def test_board_shows_a_column_per_status_with_counts_and_cards(client, c, lead):
    second = make_lead(c.center, c.counselor, source=LeadSource.REFERRAL)
    second.complete_discovery(by=c.counselor)
    client.force_login(c.counselor)
    response = client.get(BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    for status in S.values:
        assert f'id="column-{status}"' in html
    assert 'id="count-ENQUIRY_RECEIVED" aria-label="1 leads">1<' in html
    assert 'id="count-DISCOVERY_COMPLETED" aria-label="1 leads">1<' in html
    assert lead.enquiry_id in html and second.enquiry_id in html
    assert lead.child.full_name in html
    assert "Referral" in html
    assert 'draggable="true"' in html
    assert "<dialog" in html


def test_card_shows_next_follow_up_in_red_when_overdue(client, c, lead):
    follow_up = lead.add_follow_up(scheduled_date=timezone.localdate(), by=c.counselor)
    FollowUp.objects.filter(pk=follow_up.pk).update(scheduled_date=timezone.now() - datetime.timedelta(days=3))
    client.force_login(c.counselor)
    html = client.get(BOARD).content.decode()
    assert 'class="next overdue"' in html
    assert "(overdue)" in html


def test_card_shows_the_visit_date_when_a_visit_is_scheduled(client, c, lead):
    scheduled(c, lead)
    client.force_login(c.counselor)
    html = client.get(BOARD).content.decode()
    assert "Visit " in html
    assert "(overdue)" not in html


def test_board_htmx_path_returns_only_the_board(client, c, lead):
    client.force_login(c.counselor)
    response = client.get(BOARD, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="board"' in html and lead.enquiry_id in html


def test_board_shows_only_the_users_centers(client, c, b, lead):
    theirs = make_lead(b.center, b.counselor)
    client.force_login(c.counselor)
    html = client.get(BOARD).content.decode()
    assert lead.enquiry_id in html
    assert theirs.enquiry_id not in html


def test_super_admin_sees_every_center(client, c, b, superadmin, lead):
    theirs = make_lead(b.center, b.counselor)
    client.force_login(superadmin)
    html = client.get(BOARD).content.decode()
    assert lead.enquiry_id in html and theirs.enquiry_id in html


def test_trainer_gets_403_on_the_board(client, c, lead):
    client.force_login(c.trainer)
    assert client.get(BOARD).status_code == 403
    assert client.post(move_url(lead), {"to": S.DISCOVERY_COMPLETED}).status_code == 403
    lead.refresh_from_db()
    assert lead.status == S.ENQUIRY_RECEIVED


def test_board_needs_login(client):
    response = client.get(BOARD)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_board_is_get_only(client, c):
    client.force_login(c.counselor)
    assert client.post(BOARD).status_code == 405


def test_board_shares_the_lists_filters(client, c, lead):
    referral = make_lead(c.center, c.counselor, source=LeadSource.REFERRAL)
    client.force_login(c.counselor)
    html = client.get(BOARD, {"source": LeadSource.REFERRAL}).content.decode()
    assert referral.enquiry_id in html
    assert lead.enquiry_id not in html
    # the counts follow the filters too, and so do the links that refresh them
    assert 'id="count-ENQUIRY_RECEIVED" aria-label="1 leads">1<' in html
    assert "part=counts&amp;source=REFERRAL" in html


def test_bad_filter_input_does_not_break_the_board(client, c, lead):
    client.force_login(c.counselor)
    referral = make_lead(c.center, c.counselor, source=LeadSource.REFERRAL)
    response = client.get(BOARD, {"source": LeadSource.REFERRAL, "assigned_to": "abc", "center": "x"})
    assert response.status_code == 200
    # A junk date is issue 9's 400 with the sentence (leads/tests/test_editing_dates.py walks them all).
    assert client.get(BOARD, {"created_after": "not-a-date"}).status_code == 400
    html = response.content.decode()
    assert referral.enquiry_id in html and lead.enquiry_id not in html  # the valid filter still applies


def test_closed_and_converted_columns_default_to_the_last_30_days(client, c, lead):
    old = make_lead(c.center, c.counselor)
    old.close(reason="Moved away", by=c.counselor)
    Lead.objects.filter(pk=old.pk).update(status_changed_at=timezone.now() - datetime.timedelta(days=40))
    recent = make_lead(c.center, c.counselor)
    recent.close(reason="Price", by=c.counselor)
    client.force_login(c.counselor)
    html = client.get(BOARD).content.decode()
    assert recent.enquiry_id in html and old.enquiry_id not in html
    assert 'id="count-CLOSED_LOST" aria-label="1 leads">1<' in html
    html = client.get(BOARD, {"all": "1"}).content.decode()
    assert old.enquiry_id in html


def test_columns_show_the_newest_50_and_load_more(client, c):
    bulk_leads(c.center, 60, by=c.counselor, mix={S.ENQUIRY_RECEIVED: 1.0}, seed=1)
    client.force_login(c.counselor)
    html = client.get(BOARD).content.decode()
    assert html.count('data-status="ENQUIRY_RECEIVED" data-move-url') == 50
    assert "Load more (10)" in html
    newest = Lead.objects.order_by("-created_at", "-pk")
    assert newest[0].enquiry_id in html and newest[59].enquiry_id not in html

    url = reverse("leads:board_column", args=[S.ENQUIRY_RECEIVED])
    more = client.get(url, {"offset": 50}, **HTMX)
    assert more.status_code == 200
    body = more.content.decode()
    assert body.count('<article class="card') == 10
    assert "<html" not in body and "Load more" not in body
    assert newest[59].enquiry_id in body
    # without JS the same link is a page
    page = client.get(url, {"offset": 50})
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert client.get(reverse("leads:board_column", args=["NOPE"])).status_code == 404


# -- moving a card: no input needed ------------------------------------------------------------------


def test_move_to_discovery_completed_plain_post_redirects_back(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.DISCOVERY_COMPLETED})
    assert response.status_code == 302
    assert response["Location"] == BOARD
    lead.refresh_from_db()
    assert lead.status == S.DISCOVERY_COMPLETED
    change = LeadStatusChange.objects.filter(lead=lead).last()
    assert (change.to_status, change.actor) == (S.DISCOVERY_COMPLETED, c.counselor)


def test_move_htmx_deletes_the_old_card_and_sends_the_new_one_to_its_column(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.DISCOVERY_COMPLETED}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Reswap"] == "delete"
    html = response.content.decode()
    assert 'hx-swap-oob="afterbegin:#cards-DISCOVERY_COMPLETED"' in html
    assert f'id="lead-{lead.pk}"' in html and 'data-status="DISCOVERY_COMPLETED"' in html
    assert trigger(response)["leadMoved"]["status"] == S.DISCOVERY_COMPLETED


def test_counts_part_refreshes_every_count_out_of_band(client, c, lead):
    client.force_login(c.counselor)
    response = client.get(BOARD, {"part": "counts"}, **HTMX)
    html = response.content.decode()
    assert html.count('hx-swap-oob="true"') == len(S.values)
    assert 'id="count-ENQUIRY_RECEIVED" class="count" hx-swap-oob="true" aria-label="1 leads">1<' in html


def test_move_back_to_enquiry_received_is_refused_with_a_sentence(client, c, lead):
    lead.complete_discovery(by=c.counselor)
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.ENQUIRY_RECEIVED}, **HTMX)
    assert response.status_code == 409
    message = trigger(response)["moveRefused"]["message"]
    assert "never moves back" in message
    lead.refresh_from_db()
    assert lead.status == S.DISCOVERY_COMPLETED

    plain = client.post(move_url(lead), {"to": S.ENQUIRY_RECEIVED}, follow=True)
    assert "never moves back" in plain.content.decode()


def test_a_move_the_table_refuses_snaps_back_with_the_rules_message(client, c, lead):
    lead.close(reason="Too far", by=c.counselor)
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.IV_SCHEDULED}, **HTMX)
    assert response.status_code == 409
    assert trigger(response)["moveRefused"]["message"] == "A closed lead cannot be scheduled for an intro visit."


def test_moving_a_scheduled_lead_back_to_discovery_is_refused(client, c, lead):
    scheduled(c, lead)
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.DISCOVERY_COMPLETED}, **HTMX)
    assert response.status_code == 409
    assert "cannot move back" in trigger(response)["moveRefused"]["message"]


def test_double_submit_of_a_move_writes_once(client, c, lead):
    client.force_login(c.counselor)
    client.post(move_url(lead), {"to": S.DISCOVERY_COMPLETED}, **HTMX)
    again = client.post(move_url(lead), {"to": S.DISCOVERY_COMPLETED}, **HTMX)
    assert again.status_code == 409
    assert "already in" in trigger(again)["moveRefused"]["message"]
    assert LeadStatusChange.objects.filter(lead=lead, to_status=S.DISCOVERY_COMPLETED).count() == 1


def test_unknown_column_is_refused(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": "NOWHERE"}, **HTMX)
    assert response.status_code == 409


def test_another_centers_lead_cannot_be_moved(client, c, b):
    theirs = make_lead(b.center, b.counselor)
    client.force_login(c.counselor)
    assert client.post(move_url(theirs), {"to": S.DISCOVERY_COMPLETED}).status_code == 403
    assert client.get(move_url(theirs), {"to": S.CLOSED_LOST}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == S.ENQUIRY_RECEIVED


def test_unknown_lead_is_404(client, c):
    client.force_login(c.counselor)
    assert client.post("/board/move/999999/", {"to": S.CLOSED_LOST}).status_code == 404


def test_move_endpoint_refuses_other_methods(client, c, lead):
    client.force_login(c.counselor)
    assert client.put(move_url(lead), {"to": S.CLOSED_LOST}).status_code == 405
    assert client.delete(move_url(lead)).status_code == 405


def test_move_without_csrf_token_is_refused(c, lead):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(c.counselor)
    assert strict.post(move_url(lead), {"to": S.DISCOVERY_COMPLETED}).status_code == 403
    lead.refresh_from_db()
    assert lead.status == S.ENQUIRY_RECEIVED


# -- role rights ---------------------------------------------------------------------------------------


def test_counselor_may_not_record_a_visit_outcome_and_sees_no_such_option(client, c, lead):
    scheduled(c, lead)
    client.force_login(c.counselor)
    html = client.get(BOARD).content.decode()
    card = html[html.index(f'id="lead-{lead.pk}"') :]
    card = card[: card.index("</article>")]
    assert f'name="to" value="{S.IV_COMPLETED}"' not in card
    assert f'name="to" value="{S.CLOSED_LOST}"' in card
    response = client.post(move_url(lead), {"to": S.IV_COMPLETED}, **HTMX)
    assert response.status_code == 403
    assert "role" in trigger(response)["moveRefused"]["message"]
    lead.refresh_from_db()
    assert lead.status == S.IV_SCHEDULED


def test_center_admin_records_enroll_now_by_dropping_on_iv_completed(client, c, lead):
    visit = started(scheduled(c, lead))
    client.force_login(c.admin)
    response = client.post(move_url(lead), {"to": S.IV_COMPLETED}, **HTMX)
    assert response.status_code == 200
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert visit.outcome == "INTERESTED_ENROLL_NOW"
    assert lead.status == S.IV_COMPLETED


def test_center_admin_records_a_no_show(client, c, lead):
    visit = started(scheduled(c, lead))
    client.force_login(c.admin)
    client.post(move_url(lead), {"to": S.IV_NO_SHOW})
    visit.refresh_from_db()
    assert visit.outcome == "NO_SHOW"


def test_dropping_a_scheduled_lead_on_follow_up_asks_for_the_outcome(client, c, lead):
    visit = started(scheduled(c, lead))
    client.force_login(c.admin)
    ask = client.post(move_url(lead), {"to": S.FOLLOW_UP_PENDING}, **HTMX)
    assert ask.status_code == 200 and ask["HX-Retarget"] == "#move-dialog-body"
    assert 'name="outcome"' in ask.content.decode()
    next_week = timezone.localdate() + datetime.timedelta(days=7)
    response = client.post(
        move_url(lead),
        {
            "to": S.FOLLOW_UP_PENDING,
            "step": "details",
            "outcome": "INTERESTED_ENROLL_LATER",
            "follow_up_date": f"{next_week}T16:00",
        },
        **HTMX,
    )
    assert response.status_code == 200, response.content
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert visit.outcome == "INTERESTED_ENROLL_LATER"
    assert lead.status == S.FOLLOW_UP_PENDING
    # The dialog's time is the center's: 4:00 PM in Gurgaon.
    four_pm = datetime.datetime.combine(next_week, datetime.time(16, 0), tzinfo=c.center.tzinfo)
    assert lead.follow_ups.get().scheduled_date == four_pm


# -- moves that need input: the dialog / the form page -----------------------------------------


def test_dropping_on_closed_opens_the_close_dialog(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.CLOSED_LOST}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#move-dialog-body"
    assert response["HX-Reswap"] == "innerHTML"
    assert "openMoveDialog" in trigger(response, "HX-Trigger-After-Settle")
    html = response.content.decode()
    assert 'name="reason"' in html and 'name="category"' in html and "Close lead" in html
    lead.refresh_from_db()
    assert lead.status == S.ENQUIRY_RECEIVED


def test_close_through_the_dialog(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(
        move_url(lead),
        {"to": S.CLOSED_LOST, "step": "details", "reason": "Chose swimming", "category": "OTHER_PROGRAM"},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'hx-swap-oob="afterbegin:#cards-CLOSED_LOST"' in response.content.decode()
    lead.refresh_from_db()
    assert (lead.status, lead.closed_reason, lead.closed_reason_category) == (
        S.CLOSED_LOST,
        "Chose swimming",
        "OTHER_PROGRAM",
    )


def test_close_without_a_reason_shows_the_error_beside_the_field(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.CLOSED_LOST, "step": "details", "reason": ""}, **HTMX)
    assert response.status_code == 200  # htmx swaps 2xx only: the dialog shows the errors
    assert response["HX-Retarget"] == "#move-dialog-body"
    assert "This field is required." in response.content.decode()
    plain = client.post(move_url(lead), {"to": S.CLOSED_LOST, "step": "details", "reason": ""})
    assert plain.status_code == 400
    assert "<html" in plain.content.decode()
    lead.refresh_from_db()
    assert lead.status == S.ENQUIRY_RECEIVED


def test_without_js_a_move_needing_input_gets_a_form_page(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(move_url(lead), {"to": S.CLOSED_LOST})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert 'name="reason"' in html and "hx-post" not in html.split('class="move-form"')[1][:200]
    response = client.get(move_url(lead), {"to": S.DISCOVERY_COMPLETED})
    assert response.status_code == 200 and "Move" in response.content.decode()


def test_schedule_visit_through_the_dialog_in_the_centers_clock(client, c, lead):
    client.force_login(c.counselor)
    ask = client.post(move_url(lead), {"to": S.IV_SCHEDULED}, **HTMX)
    assert c.batch.name in ask.content.decode()
    assert "Wed " in ask.content.decode() and "10 seats free" in ask.content.decode()  # the batch's sessions
    response = client.post(
        move_url(lead),
        {"to": S.IV_SCHEDULED, "step": "details", "session": session_choice(c.batch), "notes": "Bring socks"},
        **HTMX,
    )
    assert response.status_code == 200, response.content
    visit = IntroVisit.objects.get(lead=lead)
    local = timezone.localtime(visit.scheduled_at, c.center.tzinfo)
    assert (local.weekday(), local.hour, visit.scheduled_at) == (2, 16, next_session(c.batch))  # Wed 4 PM, IST
    assert visit.trainer == c.trainer  # the batch's trainer by default
    lead.refresh_from_db()
    assert lead.status == S.IV_SCHEDULED


def test_schedule_visit_refuses_another_centers_batch_and_the_past(client, c, b, lead):
    client.force_login(c.counselor)
    response = client.post(
        move_url(lead),
        {"to": S.IV_SCHEDULED, "step": "details", "session": session_choice(b.batch)},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        move_url(lead),
        {"to": S.IV_SCHEDULED, "step": "details", "session": f"{c.batch.pk}|2020-01-01T16:00:00+05:30"},
    )
    assert response.status_code == 400
    assert "The visit must be in the future." in response.content.decode()
    assert not IntroVisit.objects.exists()


def test_follow_up_column_asks_for_a_date(client, c, lead):
    client.force_login(c.counselor)
    day = timezone.localdate() + datetime.timedelta(days=2)
    response = client.post(move_url(lead), {"to": S.FOLLOW_UP_PENDING, "step": "details", "scheduled_date": day})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == S.FOLLOW_UP_PENDING
    # A bare date (no time picked) is 10:00 in the center's clock.
    assert lead.follow_ups.get().scheduled_date == datetime.datetime.combine(
        day, datetime.time(10, 0), tzinfo=c.center.tzinfo
    )


def test_convert_creates_the_enrollment_and_converts_in_one_step(client, c, lead):
    client.force_login(c.counselor)
    data = {
        "to": S.CONVERTED,
        "step": "details",
        "batch": c.batch.pk,
        "start_date": timezone.localdate(),
        "plan": "Weekly",
    }
    response = client.post(move_url(lead), data, **HTMX)
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert lead.status == S.CONVERTED
    assert lead.enrollment.batch == c.batch and lead.enrollment.plan == "Weekly"
    again = client.post(move_url(lead), data, **HTMX)
    assert again.status_code == 409
    assert Enrollment.objects.count() == 1


def test_a_refused_conversion_leaves_no_enrollment(client, c, lead):
    lead.close(reason="No", by=c.counselor)
    client.force_login(c.admin)
    data = {"to": S.CONVERTED, "step": "details", "batch": c.batch.pk, "start_date": timezone.localdate()}
    assert client.post(move_url(lead), data, **HTMX).status_code == 409
    assert not Enrollment.objects.exists()


def test_admin_reopens_a_closed_lead_by_dropping_it_on_follow_up(client, c, lead):
    lead.close(reason="Busy", by=c.counselor)
    client.force_login(c.counselor)
    html = client.get(BOARD).content.decode()
    card = html[html.index(f'id="lead-{lead.pk}"') :]
    assert (
        f'name="to" value="{S.FOLLOW_UP_PENDING}"' not in card[: card.index("</article>")]
    )  # counselors cannot reopen
    client.force_login(c.admin)
    day = timezone.localdate() + datetime.timedelta(days=1)
    client.post(move_url(lead), {"to": S.FOLLOW_UP_PENDING, "step": "details", "scheduled_date": day})
    lead.refresh_from_db()
    assert lead.status == S.FOLLOW_UP_PENDING


# -- query budgets ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 1000])
def test_board_stays_within_15_queries(client, c, django_assert_max_num_queries, n):
    bulk_leads(c.center, n, by=c.counselor, seed=n)
    client.force_login(c.counselor)
    client.get(BOARD)  # warm the session
    with django_assert_max_num_queries(15):
        response = client.get(BOARD)
    assert response.status_code == 200
    with django_assert_max_num_queries(15):
        client.get(BOARD, {"source": LeadSource.WALK_IN, "q": "a"}, **HTMX)
    with django_assert_max_num_queries(15):
        client.get(reverse("leads:board_column", args=[S.FOLLOW_UP_PENDING]), {"offset": 50}, **HTMX)
