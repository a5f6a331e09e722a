"""The layout: login, navigation by role, the follow-up count, the center switcher, `/`."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.centers import SESSION_KEY
from leads.tests.factories import UserFactory, make_lead


def test_login_page_renders_the_form(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"Log in" in response.content


def test_login_then_logout(client, c):
    response = client.post(reverse("login"), {"username": "tlgc_counselor", "password": "demo-pass-123"})
    assert response.status_code == 302
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("leads:lead_list")).status_code == 302  # back to login


def test_wrong_password_says_so(client, c):
    response = client.post(reverse("login"), {"username": "tlgc_counselor", "password": "nope"})
    assert response.status_code == 200
    assert b"form-errors" in response.content


def test_logout_needs_post(client, c):
    client.force_login(c.counselor)
    assert client.get(reverse("logout")).status_code == 405


def test_counselor_nav_has_leads_entries_and_no_admin(client, c):
    client.force_login(c.counselor)
    html = client.get(reverse("leads:lead_list")).content.decode()
    for label in ("Board", "Leads", "Follow-ups", "New enquiry"):
        assert f">{label}" in html
    assert 'href="/board/"' in html and 'href="/follow-ups/"' in html
    assert 'id="follow-up-count"' in html
    assert 'hx-trigger="leadMoved from:body, followUpDone from:body"' in html
    assert "/admin/" not in html


def test_admin_sees_admin_link(client, c):
    client.force_login(c.admin)
    assert b'href="/admin/"' in client.get(reverse("leads:lead_list")).content


def test_follow_up_count_is_todays_and_overdue_of_the_user_in_own_center(client, c, b, time_machine=None):
    today = timezone.localdate(timezone=c.center.tzinfo)
    mine = make_lead(c.center, c.counselor)
    mine.add_follow_up(scheduled_date=today, by=c.counselor)
    later = make_lead(c.center, c.counselor)
    later.add_follow_up(scheduled_date=today + datetime.timedelta(days=3), by=c.counselor)
    other = make_lead(c.center, c.admin, assigned_to=c.admin)
    other.add_follow_up(scheduled_date=today, by=c.admin, assigned_to=c.admin)
    # An overdue one: written past its date through the queryset (the verb refuses past dates).
    overdue = make_lead(c.center, c.counselor)
    follow_up = overdue.add_follow_up(scheduled_date=today, by=c.counselor)
    type(follow_up).objects.filter(pk=follow_up.pk).update(scheduled_date=timezone.now() - datetime.timedelta(days=2))
    make_lead(b.center, b.counselor).add_follow_up(scheduled_date=today, by=b.counselor)
    client.force_login(c.counselor)
    html = client.get(reverse("leads:lead_list")).content.decode()
    assert 'title="Your follow-ups due today or overdue">2</span>' in html


def test_trainer_sees_no_lead_navigation(client, c):
    client.force_login(c.trainer)
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert "New enquiry" not in html and 'href="/board/"' not in html and "follow-up-count" not in html


def test_home_sends_trainers_to_their_view_and_others_to_board_or_list(client, c):
    client.force_login(c.counselor)
    target = client.get("/")["Location"]
    assert target in ("/board/", reverse("leads:lead_list"))
    client.force_login(c.trainer)
    assert client.get("/")["Location"] != target


def test_home_needs_login(client, db):
    assert client.get("/")["Location"].startswith(reverse("login"))


def test_single_center_user_gets_no_switcher(client, c):
    client.force_login(c.counselor)
    html = client.get(reverse("leads:lead_list")).content.decode()
    assert "center-switch" not in html
    assert c.center.name in html


def test_super_admin_switches_center_in_session(client, c, b, superadmin):
    client.force_login(superadmin)
    html = client.get(reverse("leads:lead_list")).content.decode()
    assert 'id="center-switch"' in html and c.center.name in html and b.center.name in html
    response = client.post(reverse("leads:switch_center"), {"center": b.center.pk, "next": "/leads/?q=x"})
    assert response.status_code == 302 and response["Location"] == "/leads/"
    assert client.session[SESSION_KEY] == b.center.pk
    client.post(reverse("leads:switch_center"), {"center": ""})
    assert SESSION_KEY not in client.session


def test_multi_center_user_cannot_switch_to_a_center_they_do_not_work_in(client, c, b, tlgc):
    from leads.tests.factories import CenterFactory

    third = CenterFactory(code="TLGD", name="Delhi")
    user = UserFactory(username="roaming", centers=[c.center, third])
    client.force_login(user)
    assert client.post(reverse("leads:switch_center"), {"center": third.pk}).status_code == 302
    assert client.post(reverse("leads:switch_center"), {"center": b.center.pk}).status_code == 403
    assert client.session[SESSION_KEY] == third.pk


def test_switcher_rejects_offsite_next(client, c, superadmin):
    client.force_login(superadmin)
    response = client.post(reverse("leads:switch_center"), {"center": c.center.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_switch_center_needs_post_and_csrf(c, superadmin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(superadmin)
    assert client.get(reverse("leads:switch_center")).status_code == 405
    assert client.post(reverse("leads:switch_center"), {"center": c.center.pk}).status_code == 403


@pytest.mark.parametrize("path", ["/leads/", "/enquiries/new/"])
def test_flash_messages_are_shown(client, c, path):
    from django.contrib.messages import constants

    client.force_login(c.counselor)
    session_middleware_message = "Saved earlier"
    # A message left by a previous request shows on the next page.
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, session_middleware_message)
    response = __import__("django.http", fromlist=["HttpResponse"]).HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    assert session_middleware_message in client.get(path).content.decode()


def test_dates_read_in_the_centers_time_zone(c):
    from leads.templatetags.crm import center_date, center_dt
    from leads.tests.factories import CenterFactory

    year = timezone.localdate().year
    moment = datetime.datetime(year, 2, 15, 10, 30, tzinfo=datetime.UTC)
    weekday = datetime.date(year, 2, 15).strftime("%a")
    assert center_dt(moment, c.center) == f"{weekday} 15 Feb, 4:00 PM"  # Asia/Kolkata is UTC+5:30
    london = CenterFactory(code="TLGL", name="London", timezone="Europe/London")
    assert center_dt(moment, london) == f"{weekday} 15 Feb, 10:30 AM"
    assert center_date(datetime.date(year, 2, 15)) == f"{weekday} 15 Feb"
    assert center_dt(moment.replace(year=year - 1), c.center).endswith(f"{year - 1}, 4:00 PM")
    assert center_dt(None, c.center) == ""


def test_other_centers_lead_gives_a_friendly_403_page(client, c, b):
    from leads.tests.factories import make_lead

    theirs = make_lead(b.center, b.counselor)
    client.force_login(c.counselor)
    response = client.get(reverse("leads:lead_detail", args=[theirs.pk]))
    assert response.status_code == 403
    assert "You can&#x27;t open this" in response.content.decode() or "You can't open this" in response.content.decode()
    assert "another center" in response.content.decode()


def test_unknown_page_gives_a_friendly_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Nothing here" in response.content.decode()
