"""Dashboard, drill-down, CSV, calendar, notifications, contact links and message templates over HTTP."""

import datetime

import pytest
from django.utils import timezone

from insights.models import ContactAttempt, MessageTemplate, Notification, TemplateKind
from leads.tests.factories import book_visit, make_lead

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


# -- dashboard -----------------------------------------------------------------------------------


def test_admin_sees_the_dashboard_with_every_figure(client, c, lead):
    client.force_login(c.admin)
    response = client.get("/insights/")
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in ('id="funnel"', 'id="sources"', 'id="stages"', 'id="follow-ups"', 'id="closures"'):
        assert anchor in html
    assert 'id="figure-leads">1<' in html
    assert "<svg" in html
    assert "Leads created in the range. A lead counts for a step" in html  # definitions are on the page


def test_dashboard_htmx_returns_only_the_figures(client, c, lead):
    client.force_login(c.admin)
    response = client.get("/insights/", {"start": "2020-01-01"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard"')
    assert "<html" not in html


def test_counselor_sees_the_dashboard_of_their_own_leads(client, c, lead):
    make_lead(c.center, c.admin, assigned_to=c.admin)
    client.force_login(c.counselor)
    html = client.get("/insights/").content.decode()
    assert 'id="figure-leads">1<' in html
    assert 'name="counselor"' not in html  # no choosing someone else


def test_trainer_may_not_see_the_dashboard(client, c):
    client.force_login(c.trainer)
    assert client.get("/insights/").status_code == 403
    assert client.get("/insights/leads/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/insights/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_other_centers_leads_are_not_counted(client, c, b, lead):
    make_lead(b.center, b.counselor)
    client.force_login(b.admin)
    html = client.get("/insights/").content.decode()
    assert 'id="figure-leads">1<' in html
    assert client.get("/insights/", {"center": c.center.pk}).status_code == 200  # falls back, with a message


def test_dashboard_refuses_post(client, c):
    client.force_login(c.admin)
    assert client.post("/insights/").status_code == 405


def test_super_admin_sees_centers_side_by_side(client, c, b, superadmin, lead):
    make_lead(b.center, b.counselor)
    client.force_login(superadmin)
    html = client.get("/insights/", {"center": ""}).content.decode()
    assert 'id="centers"' in html
    assert 'id="figure-leads">2<' in html


def test_dashboard_query_budget(client, c, django_assert_max_num_queries):
    for _ in range(30):
        make_lead(c.center, c.counselor)
    client.force_login(c.admin)
    with django_assert_max_num_queries(12):
        assert client.get("/insights/").status_code == 200


@pytest.mark.parametrize("table", ["funnel", "sources", "rates", "stages", "follow_ups", "closures", "centers"])
def test_every_table_downloads_as_csv(client, c, lead, table):
    client.force_login(c.admin)
    response = client.get("/insights/dashboard.csv", {"table": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(csv_text(response).splitlines()) >= 1


def test_funnel_csv_has_the_counts(client, c, lead):
    client.force_login(c.admin)
    lines = csv_text(client.get("/insights/dashboard.csv", {"table": "funnel"})).splitlines()
    assert lines[0] == "Step,Leads,Step rate %,Of all enquiries %"
    assert lines[1] == "Enquiry,1,,100.0"


def test_unknown_csv_table_is_404(client, c):
    client.force_login(c.admin)
    assert client.get("/insights/dashboard.csv", {"table": "nope"}).status_code == 404


@pytest.mark.parametrize("dates", [{"end": "9999-12-31"}, {"start": "0001-01-01"}, {"start": "9999-12-30"}])
@pytest.mark.parametrize(
    ("url", "params"), [("/insights/dashboard.csv", {"table": "funnel"}), ("/insights/leads/", {"format": "csv"})]
)
def test_csv_of_dates_out_of_range_is_a_400_that_says_why(client, c, lead, url, params, dates):
    # Not a file of another range, and never a 200 that stops after its headers.
    client.force_login(c.admin)
    response = client.get(url, {**params, **dates})
    assert response.status_code == 400
    assert "must be a date written YYYY-MM-DD between 2000 and 2100" in response.content.decode()


def test_dashboard_of_dates_out_of_range_is_a_400_with_a_message(client, c, lead):
    # Issue 9: every page taking dates answers a bad one with a 400 and the sentence.
    client.force_login(c.admin)
    response = client.get("/insights/", {"start": "0001-01-01", "end": "9999-12-31"}, follow=True)
    assert response.status_code == 400
    assert "between 2000 and 2100" in response.content.decode()


# -- drill-down ----------------------------------------------------------------------------------


def test_drill_down_lists_the_leads_of_a_step(client, c, lead):
    other = make_lead(c.center, c.counselor)
    other.complete_discovery(discovery_notes="ok", by=c.counselor)
    client.force_login(c.admin)
    response = client.get("/insights/leads/", {"step": "discovery"})
    html = response.content.decode()
    assert f'id="lead-{other.pk}"' in html
    assert f'id="lead-{lead.pk}"' not in html
    assert "1 lead<" in html


def test_drill_down_csv(client, c, lead):
    client.force_login(c.admin)
    response = client.get("/insights/leads/", {"format": "csv"})
    assert lead.enquiry_id in csv_text(response)


# -- contact links -------------------------------------------------------------------------------


def test_whatsapp_tap_logs_an_attempt_and_opens_wa_me_with_the_center_template(client, c, lead):
    MessageTemplate.objects.create(center=c.center, kind=TemplateKind.WELCOME, body="Hi {parent}, {child} is welcome!")
    client.force_login(c.counselor)
    response = client.post(f"/insights/contact/{lead.pk}/whatsapp/")
    assert response.status_code == 303
    phone_digits = lead.child.parents.get().phone.lstrip("+")
    assert response["Location"].startswith(f"https://wa.me/{phone_digits}?text=Hi%20")
    assert lead.child.first_name in response["Location"]
    attempt = ContactAttempt.objects.get(lead=lead)
    assert (attempt.channel, attempt.template, attempt.by) == ("WHATSAPP", "WELCOME", c.counselor)


def test_call_tap_logs_one_attempt_and_opens_the_dialer(client, c, lead):
    client.force_login(c.counselor)
    response = client.post(f"/insights/contact/{lead.pk}/call/")
    assert response.status_code == 303
    assert response["Location"] == "tel:" + lead.child.parents.get().phone
    assert ContactAttempt.objects.filter(lead=lead, channel="CALL").count() == 1
    lead.refresh_from_db()
    assert lead.first_contact_at == ContactAttempt.objects.get(lead=lead).at


@pytest.mark.parametrize("channel", ["call", "whatsapp"])
def test_a_get_of_a_contact_address_changes_nothing(client, c, lead, channel):
    # A cross-site link, a prefetch or a crawler must not be able to fake a contact.
    client.force_login(c.counselor)
    response = client.get(f"/insights/contact/{lead.pk}/{channel}/")
    assert response.status_code == 405
    assert not ContactAttempt.objects.exists()
    lead.refresh_from_db()
    assert lead.first_contact_at is None


def test_a_contact_tap_needs_the_csrf_token(c, lead):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(c.counselor)
    assert client.post(f"/insights/contact/{lead.pk}/call/").status_code == 403
    assert not ContactAttempt.objects.exists()

    page = client.get(f"/leads/{lead.pk}/").content.decode()
    form = page.split(f'action="/insights/contact/{lead.pk}/call/"')[1]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(f"/insights/contact/{lead.pk}/call/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert ContactAttempt.objects.count() == 1


def test_contact_tap_on_another_centers_lead_is_refused(client, b, lead):
    client.force_login(b.counselor)
    assert client.post(f"/insights/contact/{lead.pk}/call/").status_code == 403
    assert client.post(f"/insights/contact/{lead.pk}/whatsapp/").status_code == 403
    assert not ContactAttempt.objects.exists()


def test_trainer_may_not_log_a_contact_tap(client, c, lead):
    client.force_login(c.trainer)
    assert client.post(f"/insights/contact/{lead.pk}/call/").status_code == 403
    assert not ContactAttempt.objects.exists()


def test_contact_tap_of_an_unknown_channel_is_404(client, c, lead):
    client.force_login(c.counselor)
    assert client.post(f"/insights/contact/{lead.pk}/sms/").status_code == 404
    assert not ContactAttempt.objects.exists()


def test_contact_buttons_are_post_forms_and_render_without_queries(c, lead, django_assert_num_queries):
    from django.template.loader import render_to_string

    with django_assert_num_queries(0):
        html = render_to_string("insights/_contact_links.html", {"lead": lead, "kind": "FOLLOW_UP"})
    assert f'<form class="contact-form" method="post" action="/insights/contact/{lead.pk}/call/">' in html
    assert f'method="post" action="/insights/contact/{lead.pk}/whatsapp/?template=FOLLOW_UP"' in html
    assert "<a " not in html  # no link that a prefetch could follow


# -- notifications -------------------------------------------------------------------------------


def test_bell_shows_the_unread_count_and_mark_read_clears_it(client, c, lead):
    note = Notification.objects.create(recipient=c.counselor, kind="OVERDUE", title="Call Aanya", url="/leads/1/")
    Notification.objects.create(recipient=c.admin, kind="OVERDUE", title="Not yours")
    client.force_login(c.counselor)
    html = client.get("/insights/notifications/").content.decode()
    assert 'aria-label="1 unread"' in html
    assert "Not yours" not in html

    response = client.post(f"/insights/notifications/{note.pk}/read/", **HTMX)
    assert response.status_code == 200
    assert "notificationsRead" in response["HX-Trigger"]
    note.refresh_from_db()
    assert note.read_at is not None
    assert "unread" not in client.get("/insights/notifications/count/").content.decode()


def test_someone_elses_notification_cannot_be_marked_read(client, c):
    note = Notification.objects.create(recipient=c.admin, kind="OVERDUE", title="Admin's")
    client.force_login(c.counselor)
    assert client.post(f"/insights/notifications/{note.pk}/read/").status_code == 403
    assert client.get(f"/insights/notifications/{note.pk}/read/").status_code == 405


def test_mark_all_read_without_htmx_redirects(client, c):
    Notification.objects.create(recipient=c.counselor, kind="OVERDUE", title="One")
    client.force_login(c.counselor)
    response = client.post("/insights/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.unread().exists()


def test_nav_shows_dashboard_and_calendar_by_role(client, c):
    client.force_login(c.counselor)
    html = client.get("/insights/notifications/").content.decode()
    assert 'href="/insights/"' in html and 'href="/insights/calendar/"' in html


# -- calendar ------------------------------------------------------------------------------------


def test_calendar_week_shows_visits_and_follow_ups_filtered_by_counselor(client, c, lead):
    tomorrow = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=1)
    when = datetime.datetime.combine(tomorrow, datetime.time(16, 0), tzinfo=c.center.tzinfo)
    visit = book_visit(lead, at=when, batch=c.batch, by=c.counselor)
    other = make_lead(c.center, c.admin, assigned_to=c.admin)
    follow_up = other.add_follow_up(scheduled_date=tomorrow, by=c.admin)
    client.force_login(c.admin)

    html = client.get("/insights/calendar/", {"week": tomorrow.isoformat()}).content.decode()
    assert f'id="visit-{visit.pk}"' in html and f'href="/leads/{lead.pk}/"' in html
    assert f'id="follow-up-{follow_up.pk}"' in html
    assert "4:00 PM" in html

    html = client.get("/insights/calendar/", {"week": tomorrow.isoformat(), "counselor": c.counselor.pk}, **HTMX)
    html = html.content.decode()
    assert f'id="visit-{visit.pk}"' in html
    assert f'id="follow-up-{follow_up.pk}"' not in html
    assert "<html" not in html

    html = client.get("/insights/calendar/", {"week": tomorrow.isoformat(), "trainer": c.trainer.pk}).content.decode()
    assert f'id="visit-{visit.pk}"' in html and f'id="follow-up-{follow_up.pk}"' not in html


def test_trainer_sees_only_their_visits_in_the_calendar(client, c, b, lead):
    client.force_login(b.trainer)
    tomorrow = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=1)
    when = datetime.datetime.combine(tomorrow, datetime.time(16, 0), tzinfo=c.center.tzinfo)
    visit = book_visit(lead, at=when, batch=c.batch, by=c.counselor)
    html = client.get("/insights/calendar/", {"week": tomorrow.isoformat()}).content.decode()
    assert f'id="visit-{visit.pk}"' not in html
    client.force_login(c.trainer)
    html = client.get("/insights/calendar/", {"week": tomorrow.isoformat()}).content.decode()
    assert f'id="visit-{visit.pk}"' in html


# -- message templates ---------------------------------------------------------------------------


def test_center_admin_edits_the_message_templates(client, c):
    client.force_login(c.admin)
    field = f"c{c.center.pk}-{TemplateKind.FOLLOW_UP}"
    assert client.get("/insights/message-templates/").status_code == 200
    response = client.post("/insights/message-templates/", {field: "Hello {parent}, any news?"})
    assert response.status_code == 302
    assert MessageTemplate.body_for(c.center.pk, TemplateKind.FOLLOW_UP) == "Hello {parent}, any news?"


def test_a_format_spec_template_is_refused_next_to_its_field(client, c):
    client.force_login(c.admin)
    field = f"c{c.center.pk}-{TemplateKind.WELCOME}"
    response = client.post("/insights/message-templates/", {field: "Hi {parent:>100000000}"})
    assert response.status_code == 400
    html = response.content.decode()
    box = html.split(f'id="id_{field}"')[1].split("</div>")[0]
    assert "{parent:&gt;100000000} is not a placeholder. Use only {parent}, {child}" in box
    assert not MessageTemplate.objects.exists()


def test_admin_refuses_a_format_spec_template_with_the_same_sentence(client, c, superadmin):
    superadmin.is_staff = True
    superadmin.is_superuser = True
    superadmin.save()
    client.force_login(superadmin)
    response = client.post(
        "/admin/insights/messagetemplate/add/",
        {"center": c.center.pk, "kind": TemplateKind.WELCOME, "body": "Hi {parent:>100000000}"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["body"] == [
        "{parent:>100000000} is not a placeholder. Use only {parent}, {child}, {center}, {counselor}, {visit}, {follow_up},"
        " written exactly like that."
    ]
    assert not MessageTemplate.objects.exists()


def test_a_bad_template_saved_before_validation_still_sends_a_short_message(client, c, lead):
    MessageTemplate.objects.bulk_create(
        [MessageTemplate(center=c.center, kind=TemplateKind.WELCOME, body="Hi {parent:>100000000}")]
    )
    client.force_login(c.counselor)
    response = client.post(f"/insights/contact/{lead.pk}/whatsapp/")
    assert response.status_code == 303
    assert response["Location"].endswith("?text=Hi")


def test_counselor_may_not_edit_message_templates(client, c):
    client.force_login(c.counselor)
    assert client.get("/insights/message-templates/").status_code == 403


def test_anonymous_pages_show_no_insights_navigation(client):
    html = client.get("/login/").content.decode()
    assert "/insights/" not in html


def test_trainer_sees_no_dashboard_link(client, c):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = c.trainer
    html = render_to_string("insights/_nav.html", {"user": c.trainer, "request": request})
    assert "/insights/calendar/" in html
    assert 'href="/insights/"' not in html


def test_bench_command_runs_on_a_small_data_set(c):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bench_dashboard", leads=40, runs=1, stdout=out, stderr=StringIO())
    assert "40 leads in" in out.getvalue()
    assert "queries" in out.getvalue()


def test_mark_read_never_redirects_to_another_site(client, c):
    note = Notification.objects.create(recipient=c.counselor, kind="OVERDUE", title="One", url="/leads/1/")
    client.force_login(c.counselor)
    response = client.post(f"/insights/notifications/{note.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/insights/notifications/"
    other = Notification.objects.create(recipient=c.counselor, kind="OVERDUE", title="Two", url="/leads/2/")
    assert client.post(f"/insights/notifications/{other.pk}/read/")["Location"] == "/leads/2/"
