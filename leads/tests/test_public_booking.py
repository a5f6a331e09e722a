"""Online trial booking after a public enquiry (issue 11, section 1): the signed booking link, the
sessions offered, booking / rescheduling / cancelling through the verbs by the website user, the
parent's confirmation, and the /embed/ twins' framing headers."""

import datetime
import re
import time
from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import site
from django.core import mail, signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from accounts.models import Center
from insights import sms
from insights.models import ReminderLog
from leads import public
from leads.lifecycle import Move
from leads.models import IntroVisit, Lead, LeadStatus, LeadStatusChange
from leads.tests.factories import BatchFactory, ProgramFactory, make_lead, next_session
from leads.tests.test_public_enquiry import form_data, post

FULL = "That session has just filled up: please pick another."


@pytest.fixture(autouse=True)
def _clean():
    cache.clear()
    sms.LocmemSMSBackend.outbox = []
    with override_settings(SMS_BACKEND="insights.sms.LocmemSMSBackend"):
        yield
    cache.clear()


def enquire(client, c, **overrides) -> str:
    """Post the public form; return the booking step's address it redirects to."""
    answer = post(client, form_data(c, **overrides))
    assert answer.status_code == 302, answer.content.decode()[:500]
    return answer.url


def to_parent() -> list:
    """The emails sent to the parent (the assignee's new-enquiry email goes to the outbox too)."""
    return [m for m in mail.outbox if m.to == ["anita@example.com"]]


def value(batch, n=0) -> str:
    return f"{batch.pk}|{next_session(batch, n).isoformat()}"


def web_lead(c, *, program=None, dob=datetime.date(2021, 1, 10)) -> Lead:
    """A lead as the public form leaves it (recorded by the website user)."""
    by = public.website_user(c.center)
    child = {"first_name": "Meera", "last_name": "Rao", "dob": dob, "gender": "Girl"}
    parent = {"name": "Anita Rao", "phone": "+919876511122", "email": "anita@example.com"}
    return make_lead(c.center, by, child=child, parent=parent, program=program, assigned_to=c.counselor)


def book_url(lead) -> str:
    return f"/enquire/{lead.center.code}/book/{public.booking_token(lead)}/"


def manage_url(lead) -> str:
    return f"/enquire/{lead.center.code}/booking/{public.booking_token(lead)}/"


# -- booking ---------------------------------------------------------------------------------------


def test_a_new_enquiry_leads_to_its_booking_step_with_a_signed_link(client, c):
    url = enquire(client, c)
    lead = Lead.objects.get()
    match = re.fullmatch(r"/enquire/TLGC/book/([^/]+)/\?lang=en", url)
    assert match and str(lead.pk) != match.group(1)
    assert signing.loads(match.group(1), salt="leads.public.booking-link")["l"] == lead.pk
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Meera" in html and value(c.batch) in html  # the persona batch fits a 4-year-old


def test_booking_a_session_schedules_the_visit_by_the_website_user_and_confirms_once(client, c):
    c.center.address = "12 MG Road, Gurgaon"
    c.center.save()
    url = enquire(client, c)
    lead = Lead.objects.get()
    answer = client.post(url, {"session": value(c.batch)})
    assert answer.status_code == 302
    assert answer.url.startswith("/enquire/TLGC/booking/")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.IV_SCHEDULED
    web = public.website_user(c.center)
    change = LeadStatusChange.objects.get(lead=lead, action=Move.SCHEDULE_INTRO_VISIT)
    assert change.actor == web and change.to_status == LeadStatus.IV_SCHEDULED
    visit = IntroVisit.objects.get(lead=lead)
    assert (visit.batch, visit.scheduled_at, visit.created_by) == (c.batch, next_session(c.batch), web)
    assert len(to_parent()) == 1 and len(sms.LocmemSMSBackend.outbox) == 1
    assert "12 MG Road" in to_parent()[0].body and "/enquire/TLGC/booking/" in to_parent()[0].body
    assert sms.LocmemSMSBackend.outbox[0][0] == "+919876511122"
    # A double submit and a reload send nothing more and book nothing more.
    again = client.post(url, {"session": value(c.batch)})
    assert again.status_code == 302
    assert client.get(answer.url).status_code == 200
    assert IntroVisit.objects.count() == 1
    assert len(to_parent()) == 1 and len(sms.LocmemSMSBackend.outbox) == 1
    assert ReminderLog.objects.filter(key__startswith="visit-booked-online:", object_id=visit.pk).count() == 2


def test_the_confirmation_page_shows_local_time_address_and_the_change_link(client, c):
    c.center.address = "12 MG Road, Gurgaon"
    c.center.save()
    lead = web_lead(c)
    client.post(book_url(lead), {"session": value(c.batch)})
    html = client.get(manage_url(lead)).content.decode()
    start = next_session(c.batch).astimezone(c.center.tzinfo)  # Wednesday 4:00 PM in Asia/Kolkata
    assert f"{start:%a} {start.day} {start:%b}, 4:00 PM" in html
    assert "12 MG Road, Gurgaon" in html
    assert "Reschedule or cancel" in html and f"{manage_url(lead)}change/?lang=en" in html


def test_a_failing_confirmation_does_not_break_the_booking(client, c, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(public, "send_visit_message", broken)
    lead = web_lead(c)
    answer = client.post(book_url(lead), {"session": value(c.batch)})
    assert answer.status_code == 302
    assert IntroVisit.objects.filter(lead=lead).exists()


def test_a_repeat_enquiry_gets_the_thanks_page_without_booking(client, c):
    enquire(client, c)
    answer = post(client, form_data(c, started=public.form_token(c.center, time.time() - 10)))
    assert answer.status_code == 302 and answer.url == "/enquire/TLGC/thanks/?lang=en"
    html = client.get(answer.url).content.decode()
    assert "book/" not in html and 'name="session"' not in html


# -- which sessions are offered ---------------------------------------------------------------------


def test_only_sessions_of_batches_fitting_the_childs_age_are_offered(client, c):
    toddlers = BatchFactory(center=c.center, program=c.batch.program, min_age_months=12, max_age_months=30)
    teens = BatchFactory(center=c.center, program=c.batch.program, min_age_months=120, max_age_months=200)
    lead = web_lead(c, dob=timezone.localdate() - datetime.timedelta(days=365 * 2))  # two years old
    html = client.get(book_url(lead)).content.decode()
    assert value(toddlers) in html and value(c.batch) in html  # 24-120 months fits a two-year-old
    assert value(teens) not in html


def test_only_sessions_of_the_chosen_program_are_offered(client, c):
    swim = ProgramFactory(center=c.center, name="Swim")
    swim_batch = BatchFactory(center=c.center, program=swim)
    lead = web_lead(c, program=swim)
    html = client.get(book_url(lead)).content.decode()
    assert value(swim_batch) in html and value(c.batch) not in html
    other = make_lead(c.center, c.counselor)  # no program asked: every fitting batch
    html = client.get(book_url(other)).content.decode()
    assert value(swim_batch) in html and value(c.batch) in html


def test_inactive_batches_and_full_sessions_are_not_offered(client, c):
    BatchFactory(center=c.center, program=c.batch.program, is_active=False, name="Closed batch")
    tiny = BatchFactory(center=c.center, program=c.batch.program, capacity=1, name="Tiny")
    web_lead_other = make_lead(c.center, c.counselor)
    web_lead_other.schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    html = client.get(book_url(web_lead(c))).content.decode()
    assert "Closed batch" not in html
    assert value(tiny) not in html and value(tiny, 1) in html


def test_a_posted_session_that_was_never_offered_is_refused_next_to_the_list(client, c):
    lead = web_lead(c)
    answer = client.post(book_url(lead), {"session": f"{c.batch.pk}|2031-01-01T10:00:00+05:30"})
    assert answer.status_code == 400
    assert "no longer offered" in answer.content.decode()
    assert not IntroVisit.objects.exists()


# -- the signed link ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["book", "booking", "booking_change"])
def test_a_tampered_link_is_a_clear_404(client, c, page):
    lead = web_lead(c)
    token = public.booking_token(lead)
    forged = signing.dumps({"l": lead.pk + 1, "c": "TLGC"}, salt="another-salt")
    path = {"book": "book/{}/", "booking": "booking/{}/", "booking_change": "booking/{}/change/"}[page]
    for bad in (token[:-2] + "xx", forged, str(lead.pk), "a" * 300):
        answer = client.get(f"/enquire/TLGC/{path.format(bad)}")
        assert answer.status_code == 404
        assert "This link does not work" in answer.content.decode()


def test_an_expired_link_is_refused(client, c, monkeypatch):
    lead = web_lead(c)
    long_ago = time.time() - public.BOOKING_LINK_MAX_AGE - 60
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: long_ago))
    token = public.booking_token(lead)
    monkeypatch.undo()
    assert client.get(f"/enquire/TLGC/book/{token}/").status_code == 404


def test_another_centers_link_does_not_open_here(client, c, b):
    lead = web_lead(c)
    assert client.get(f"/enquire/TLGB/book/{public.booking_token(lead)}/").status_code == 404


# -- the seat taken meanwhile -----------------------------------------------------------------------


def test_a_session_filled_meanwhile_shows_the_sentence_and_the_next_sessions(client, c):
    tiny = BatchFactory(center=c.center, program=c.batch.program, capacity=1, name="Tiny")
    lead = web_lead(c)
    assert value(tiny) in client.get(book_url(lead)).content.decode()
    make_lead(c.center, c.counselor).schedule_intro_visit(scheduled_at=next_session(tiny), batch=tiny, by=c.counselor)
    answer = client.post(book_url(lead), {"session": value(tiny)})
    assert answer.status_code == 409
    html = answer.content.decode()
    assert FULL in html
    assert value(tiny) not in html and value(tiny, 1) in html
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ENQUIRY_RECEIVED and not lead.intro_visits.exists()


# -- the manage link: reschedule, cancel, too late ----------------------------------------------------


def booked(client, c):
    lead = web_lead(c)
    client.post(book_url(lead), {"session": value(c.batch)})
    return lead, IntroVisit.objects.get(lead=lead)


def test_the_parent_reschedules_to_another_free_session(client, c):
    lead, visit = booked(client, c)
    page = client.get(manage_url(lead) + "change/")
    assert value(c.batch, 1) in page.content.decode() and value(c.batch, 0) not in page.content.decode()
    answer = client.post(manage_url(lead) + "change/", {"action": "reschedule", "session": value(c.batch, 1)})
    assert answer.status_code == 302
    visit.refresh_from_db()
    assert visit.scheduled_at == next_session(c.batch, 1)
    change = LeadStatusChange.objects.get(lead=lead, action=Move.RESCHEDULE_INTRO_VISIT)
    assert change.actor == public.website_user(c.center)
    assert len(to_parent()) == 2 and "is now on" in to_parent()[1].body  # a confirmation of the new time


def test_the_parent_cancels_and_the_page_says_so(client, c):
    lead, visit = booked(client, c)
    answer = client.post(manage_url(lead) + "change/", {"action": "cancel", "reason": "She has a cold"})
    assert answer.status_code == 302
    visit.refresh_from_db()
    lead.refresh_from_db()
    assert visit.cancelled_at is not None and lead.status == LeadStatus.FOLLOW_UP_PENDING
    change = LeadStatusChange.objects.get(lead=lead, action=Move.CANCEL_INTRO_VISIT)
    assert change.actor == public.website_user(c.center) and "She has a cold" in change.note
    html = client.get(manage_url(lead)).content.decode()
    assert "was cancelled" in html and "Reschedule or cancel" not in html
    assert "Book another time" in html  # the lead may take a trial class again
    # The change page no longer offers anything: it sends the parent back.
    assert client.get(manage_url(lead) + "change/").status_code == 302


def test_a_started_visit_cannot_be_changed_online(client, c):
    lead, visit = booked(client, c)
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=timezone.now() - datetime.timedelta(minutes=5))
    html = client.get(manage_url(lead)).content.decode()
    assert "has started" in html and "can no longer be changed online" in html
    answer = client.post(manage_url(lead) + "change/", {"action": "cancel", "reason": ""})
    assert answer.status_code == 302
    visit.refresh_from_db()
    assert visit.cancelled_at is None


def test_a_past_visit_says_it_took_place(client, c):
    lead, visit = booked(client, c)
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=timezone.now() - datetime.timedelta(days=2))
    assert "has taken place" in client.get(manage_url(lead)).content.decode()


def test_the_booking_pages_speak_hindi(client, c):
    lead = web_lead(c)
    html = client.get(book_url(lead) + "?lang=hi").content.decode()
    assert "धन्यवाद" in html and 'lang="hi"' in html


# -- embedding -------------------------------------------------------------------------------------


def test_the_embed_allows_framing_by_the_centers_origins_only(client, c):
    c.center.embed_origins = "https://www.tlg-gurgaon.in\nhttps://shop.tlg-gurgaon.in:8443\n"
    c.center.save()
    answer = client.get("/enquire/TLGC/embed/")
    assert answer.status_code == 200
    csp = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.tlg-gurgaon.in https://shop.tlg-gurgaon.in:8443" in csp
    assert "script-src 'self'" in csp and "object-src 'none'" in csp  # the rest of the policy kept
    assert "X-Frame-Options" not in answer.headers
    assert 'class="public-head"' not in answer.content.decode()  # no site chrome


def test_the_embed_of_a_center_without_origins_refuses_every_frame(client, c):
    answer = client.get("/enquire/TLGC/embed/")
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_ordinary_public_pages_keep_refusing_frames(client, c):
    c.center.embed_origins = "https://www.tlg-gurgaon.in"
    c.center.save()
    lead = web_lead(c)
    for url in ("/enquire/TLGC/", book_url(lead), manage_url(lead)):
        answer = client.get(url)
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_the_whole_embedded_flow_stays_embedded_without_a_csrf_cookie(c):
    c.center.embed_origins = "https://www.tlg-gurgaon.in"
    c.center.save()
    client = Client(enforce_csrf_checks=True)  # inside another site's frame our cookies do not come back
    answer = post(client, form_data(c), url="/enquire/TLGC/embed/")
    assert answer.status_code == 302 and answer.url.startswith("/enquire/TLGC/embed/book/")
    booked = client.post(answer.url, {"session": value(c.batch)})
    assert booked.status_code == 302 and booked.url.startswith("/enquire/TLGC/embed/booking/")
    page = client.get(booked.url)
    assert "frame-ancestors https://www.tlg-gurgaon.in" in page.headers["Content-Security-Policy"]
    assert "/embed/booking/" in page.content.decode()
    # The link in the parent's email opens outside the frame.
    assert "/enquire/TLGC/booking/" in to_parent()[0].body


# -- the allowed origins in admin -------------------------------------------------------------------


@pytest.mark.parametrize(
    "origins",
    [
        "http://www.example.com",
        "https://www.example.com/enquire",
        "www.example.com",
        "https://a b.com",
        "https://x.com:99999",
    ],
)
def test_admin_refuses_what_is_not_an_https_origin(superadmin, c, origins):
    form = center_form(superadmin, c.center, origins)
    assert not form.is_valid()
    assert "Not a website origin" in str(form.errors["embed_origins"])


def test_admin_accepts_origins_one_per_line(superadmin, c):
    form = center_form(superadmin, c.center, "https://www.example.com\n\nhttps://*.example.org:8443/\n")
    assert form.is_valid(), form.errors
    form.save()
    assert Center.objects.get(pk=c.center.pk).embed_origin_list() == [
        "https://www.example.com",
        "https://*.example.org:8443",
    ]


def center_form(user, center, origins):
    request = RequestFactory().post("/admin/")
    request.user = user
    admin = site._registry[Center]
    form_class = admin.get_form(request, center, change=True)
    data = {f: getattr(center, f) for f in form_class.base_fields if hasattr(center, f)}
    data["embed_origins"] = origins
    return form_class(data, instance=center)


def test_the_model_refuses_bad_origins_at_every_door(c):
    c.center.embed_origins = "javascript:alert(1)"
    with pytest.raises(ValidationError):
        c.center.full_clean()


@pytest.mark.parametrize("batches", [1, 12])
def test_the_booking_step_costs_the_same_queries_for_any_number_of_batches(
    client, c, batches, django_assert_max_num_queries
):
    for _ in range(batches):
        BatchFactory(center=c.center, program=c.batch.program)
    lead = web_lead(c)
    with django_assert_max_num_queries(6):
        assert client.get(book_url(lead)).status_code == 200
