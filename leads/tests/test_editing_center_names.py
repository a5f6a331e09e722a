"""Issue 9 (editing): where a super admin sees staff of several centers, names carry their center."""

import re

from django.urls import reverse

from leads.tests.factories import make_lead


def _leads(c, b):
    return make_lead(c.center, c.counselor), make_lead(b.center, b.counselor)


def test_super_admin_list_filter_and_column_name_the_center(client, c, b, superadmin):
    _leads(c, b)
    client.force_login(superadmin)
    html = client.get(reverse("leads:lead_list"), {"center": ""}).content.decode()
    select = re.search(r'<select name="assigned_to".*?</select>', html, re.S).group(0)
    assert f">{c.counselor} (TLGC)<" in select and f">{b.counselor} (TLGB)<" in select
    assert f"<td>{c.counselor} (TLGC)</td>" in html and f"<td>{b.counselor} (TLGB)</td>" in html


def test_super_admin_board_cards_name_the_center(client, c, b, superadmin):
    _leads(c, b)
    client.force_login(superadmin)
    html = client.get(reverse("leads:board"), {"center": ""}).content.decode()
    assert f"{c.counselor.get_short_name()} (TLGC)" in html and f"{b.counselor.get_short_name()} (TLGB)" in html


def test_super_admin_enquiry_assignee_picker_names_the_center(client, c, b, superadmin):
    client.force_login(superadmin)
    html = client.get(reverse("leads:enquiry_new")).content.decode()
    select = re.search(r'<select name="assigned_to".*?</select>', html, re.S).group(0)
    assert f"{c.counselor} (counselor, TLGC)" in select and f"{b.counselor} (counselor, TLGB)" in select


def test_one_center_screens_keep_plain_names(client, c, b):
    _leads(c, b)
    client.force_login(c.admin)
    html = client.get(reverse("leads:lead_list")).content.decode()
    assert f"<td>{c.counselor}</td>" in html and "(TLGC)" not in html
    board = client.get(reverse("leads:board")).content.decode()
    assert "(TLGC)" not in board


def test_super_admin_list_names_cost_one_query_more_at_most(client, c, b, superadmin, django_assert_max_num_queries):
    for _ in range(30):
        _leads(c, b)
    client.force_login(superadmin)
    client.get(reverse("leads:lead_list"), {"center": ""})  # warm the session/center caches
    with django_assert_max_num_queries(14):
        client.get(reverse("leads:lead_list"), {"center": ""})


def test_super_admin_calendar_pickers_name_the_center(client, c, b, superadmin):
    client.force_login(superadmin)
    html = client.get(reverse("insights:calendar")).content.decode()
    trainers = re.search(r'<select id="id_trainer".*?</select>', html, re.S).group(0)
    assert f">{c.trainer} (TLGC)<" in trainers and f">{b.trainer} (TLGB)<" in trainers
    counselors = re.search(r'<select id="id_counselor".*?</select>', html, re.S).group(0)
    assert f">{c.counselor} (TLGC)<" in counselors


def test_super_admin_dashboard_counselor_filter_names_the_center(client, c, b, superadmin):
    client.force_login(superadmin)
    html = client.get(reverse("insights:dashboard")).content.decode()
    counselors = re.search(r'<select id="id_counselor".*?</select>', html, re.S).group(0)
    assert f">{c.counselor} (TLGC)<" in counselors and f">{b.counselor} (TLGB)<" in counselors
