"""Leads list: filters, search, sorting, pages, HTMX, CSV; scoped to the user's centers."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.demo import bulk_leads
from leads.models import Lead, LeadSource, LeadStatus
from leads.tests.factories import make_lead

URL = reverse("leads:lead_list")
CSV_URL = reverse("leads:lead_csv")


@pytest.fixture
def family(c, b):
    """Two TLGC leads and one TLGB lead with recognisable names and phones."""
    aarav = make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Aarav", "last_name": "Goyal", "dob": datetime.date(2020, 1, 5), "gender": "Boy"},
        parent={"name": "Anshu Goyal", "phone": "+91 98765 43210", "email": ""},
        source=LeadSource.REFERRAL,
    )
    mehr = make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Mehr", "last_name": "Kapoor", "dob": datetime.date(2021, 3, 1), "gender": "Girl"},
        parent={"name": "Ritu Kapoor", "phone": "+91 91234 56789", "email": ""},
        assigned_to=c.admin,
    )
    mehr.complete_discovery(school="DPS", by=c.counselor)
    other = make_lead(
        b.center,
        b.counselor,
        child={"first_name": "Aarav", "last_name": "Bangalore", "dob": datetime.date(2020, 1, 5), "gender": "Boy"},
        parent={"name": "Anshu Other", "phone": "+91 98765 11111", "email": ""},
    )
    return {"aarav": aarav, "mehr": mehr, "other": other}


def ids(response) -> set[str]:
    return {lead.enquiry_id for lead in response.context["page"].object_list}


def test_counselor_sees_only_own_center_leads(client, c, family):
    client.force_login(c.counselor)
    response = client.get(URL)
    assert response.status_code == 200
    assert ids(response) == {family["aarav"].enquiry_id, family["mehr"].enquiry_id}
    assert family["other"].enquiry_id not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("TLGC0001", {"aarav"}),
        ("tlgc0002", {"mehr"}),
        ("aarav", {"aarav"}),
        ("kapoor", {"mehr"}),
        ("Anshu", {"aarav"}),
        ("Ritu Kapoor", {"mehr"}),
        ("43210", {"aarav"}),
        ("98765 43210", {"aarav"}),
        ("+91-91234", {"mehr"}),
        ("765432", {"aarav"}),
        ("09876543210", {"aarav"}),
        ("zzz", set()),
    ],
)
def test_search_by_id_child_parent_and_phone_digits(client, c, family, query, expected):
    client.force_login(c.counselor)
    response = client.get(URL, {"q": query})
    assert ids(response) == {family[name].enquiry_id for name in expected}


def test_search_never_finds_another_centers_family(client, c, family):
    client.force_login(c.counselor)
    assert ids(client.get(URL, {"q": "11111"})) == set()
    assert ids(client.get(URL, {"q": "Bangalore"})) == set()


def test_filters_status_source_assignee_and_dates(client, c, family):
    client.force_login(c.counselor)
    aarav, mehr = family["aarav"].enquiry_id, family["mehr"].enquiry_id
    assert ids(client.get(URL, {"status": LeadStatus.DISCOVERY_COMPLETED})) == {mehr}
    assert ids(client.get(URL, {"status": [LeadStatus.DISCOVERY_COMPLETED, LeadStatus.ENQUIRY_RECEIVED]})) == {
        aarav,
        mehr,
    }
    assert ids(client.get(URL, {"source": LeadSource.REFERRAL})) == {aarav}
    assert ids(client.get(URL, {"assigned_to": c.admin.pk})) == {mehr}
    today = timezone.localdate()
    assert ids(client.get(URL, {"created_after": today.isoformat(), "created_before": today.isoformat()})) == {
        aarav,
        mehr,
    }
    tomorrow = today + datetime.timedelta(days=1)
    assert ids(client.get(URL, {"created_after": tomorrow.isoformat()})) == set()


def test_assignee_choices_are_of_own_center_only(client, c, b, family):
    client.force_login(c.counselor)
    html = client.get(URL).content.decode()
    assert str(c.admin) in html
    assert str(b.counselor) not in html
    # Choosing another center's counselor is not a valid filter value.
    response = client.get(URL, {"assigned_to": b.counselor.pk})
    assert "assigned_to" in response.context["filter"].errors
    assert ids(response) == set()


def test_counselor_cannot_widen_to_another_center_with_a_parameter(client, c, b, family):
    client.force_login(c.counselor)
    response = client.get(URL, {"center": b.center.pk})
    assert "center-switch" not in response.content.decode()
    assert family["other"].enquiry_id not in ids(response)


def test_super_admin_filters_by_center_and_switcher_sets_the_default(client, c, b, superadmin, family):
    client.force_login(superadmin)
    everything = ids(client.get(URL))
    assert everything == {family[name].enquiry_id for name in family}
    assert ids(client.get(URL, {"center": b.center.pk})) == {family["other"].enquiry_id}
    client.post(reverse("leads:switch_center"), {"center": c.center.pk})
    assert ids(client.get(URL)) == {family["aarav"].enquiry_id, family["mehr"].enquiry_id}
    assert ids(client.get(URL, {"center": ""})) == everything


def test_sorting_by_a_column_both_ways(client, c, family):
    client.force_login(c.counselor)
    up = [lead.enquiry_id for lead in client.get(URL, {"o": "enquiry_id"}).context["page"].object_list]
    down = [lead.enquiry_id for lead in client.get(URL, {"o": "-enquiry_id"}).context["page"].object_list]
    assert up == sorted(up) and down == up[::-1]
    html = client.get(URL, {"o": "enquiry_id"}).content.decode()
    assert "o=-enquiry_id" in html  # the header now sorts the other way
    assert ids(client.get(URL, {"o": "child"})) == ids(client.get(URL))


def test_pagination_keeps_filters(client, c):
    for _ in range(3):
        make_lead(c.center, c.counselor, source=LeadSource.ONLINE)
    client.force_login(c.counselor)
    from leads.views import leads_list

    leads_list.PAGE_SIZE, saved = 2, leads_list.PAGE_SIZE
    try:
        first = client.get(URL, {"source": LeadSource.ONLINE})
        second = client.get(URL, {"source": LeadSource.ONLINE, "page": 2})
    finally:
        leads_list.PAGE_SIZE = saved
    assert len(ids(first)) == 2 and len(ids(second)) == 1
    assert "source=ONLINE&amp;page=2" in first.content.decode()


def test_htmx_request_gets_only_the_results(client, c, family):
    client.force_login(c.counselor)
    response = client.get(URL, {"q": "aarav"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="lead-results"')
    assert "<html" not in html and family["aarav"].enquiry_id in html
    assert 'hx-push-url="true"' in client.get(URL).content.decode()


def test_bad_date_filter_says_so_and_lists_nothing(client, c, family):
    client.force_login(c.counselor)
    response = client.get(URL, {"created_after": "not-a-date"})
    assert response.status_code == 400  # issue 9: a 400 with the sentence, never a list of something else
    assert "“created_after” must be a date written YYYY-MM-DD" in response.content.decode()
    assert client.get(CSV_URL, {"created_after": "not-a-date"}).status_code == 400


def test_trainer_may_not_list_or_export(client, c):
    client.force_login(c.trainer)
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


def test_list_needs_login_and_get(client, c):
    assert client.get(URL).status_code == 302
    client.force_login(c.counselor)
    assert client.post(URL).status_code == 405


def test_csv_exports_the_filtered_rows_of_own_center(client, c, family):
    Lead.objects.filter(pk=family["mehr"].pk).update(school="=HYPERLINK(1)")
    client.force_login(c.counselor)
    response = client.get(CSV_URL, {"q": "a"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Enquiry ID"
    assert {row[0] for row in rows[1:]} == {family["aarav"].enquiry_id, family["mehr"].enquiry_id}
    mehr = next(row for row in rows if row[0] == family["mehr"].enquiry_id)
    assert mehr[rows[0].index("School")] == "'=HYPERLINK(1)"  # never a live formula
    filtered = client.get(CSV_URL, {"source": LeadSource.REFERRAL})
    assert len(list(csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode("utf-8-sig"))))) == 2


def test_csv_link_carries_the_current_filters(client, c, family):
    client.force_login(c.counselor)
    html = client.get(URL, {"source": "REFERRAL"}).content.decode()
    assert f"{CSV_URL}?source=REFERRAL" in html


def test_empty_state_says_what_to_do(client, c):
    client.force_login(c.counselor)
    html = client.get(URL).content.decode()
    assert "Record the first enquiry" in html


@pytest.mark.parametrize("n", [10, 1000])
def test_list_query_count_stays_flat(client, c, b, n, django_assert_max_num_queries):
    bulk_leads(c.center, n, by=c.counselor, seed=1)
    bulk_leads(b.center, 5, by=b.counselor, seed=2)
    client.force_login(c.counselor)
    with django_assert_max_num_queries(15):
        response = client.get(URL, {"q": "a", "o": "-created", "status": list(LeadStatus.values)})
    assert response.status_code == 200
    with django_assert_max_num_queries(15):
        client.get(URL, {"assigned_to": c.counselor.pk, "page": 2})


def test_super_admin_list_query_count_at_1000(client, c, b, superadmin, django_assert_max_num_queries):
    bulk_leads(c.center, 1000, by=c.counselor, seed=3)
    client.force_login(superadmin)
    with django_assert_max_num_queries(15):
        response = client.get(URL, {"center": c.center.pk, "q": "sharma"})
    assert response.status_code == 200


def test_open_lead_rows_have_one_tap_call_and_whatsapp_links(client, c):
    from leads.tests.factories import make_lead

    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    body = client.get(reverse("leads:lead_list")).content.decode()
    assert f"/insights/contact/{lead.pk}/call/" in body and f"/insights/contact/{lead.pk}/whatsapp/" in body
