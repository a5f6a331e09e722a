"""Automatic assignment (issue 11, section 5): the center's rule, applied by `create_enquiry` on every
door that names nobody, recorded on the timeline, with the counselors' load in admin."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading
import time
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import MEMBERSHIP_PERM, AssignmentMode, CenterMembership, Role
from api.tests.conftest import ApiClient
from leads import public
from leads.models import AssignmentRoute, DetailChange, IntakeSource, Lead, LeadSource, PrivacyNotice
from leads.tests.factories import ProgramFactory, UserFactory, make_lead


def use_mode(center, mode):
    center.assignment_mode = mode
    center.save(update_fields=["assignment_mode"])


def counselors(c, n):
    """c.counselor and n-1 more counselors of c.center, in id order (round-robin's order)."""
    more = [
        UserFactory(username=f"tlgc_counselor{i}", role=Role.COUNSELOR, centers=[c.center]) for i in range(2, n + 1)
    ]
    return [c.counselor, *more]


def away(user, center, until):
    CenterMembership.objects.filter(user=user, content_object=center, permission__codename=MEMBERSHIP_PERM).update(
        away_until=until
    )


def today(center):
    return timezone.localdate(timezone=center.tzinfo)


@pytest.fixture
def rr(c):
    use_mode(c.center, AssignmentMode.ROUND_ROBIN)
    return c


# -- the rule ----------------------------------------------------------------------------------------


def test_round_robin_takes_the_counselors_in_turn(rr):
    first, second, third = counselors(rr, 3)
    got = [make_lead(rr.center, rr.admin).assigned_to for _ in range(7)]
    assert got == [first, second, third, first, second, third, first]


def test_round_robin_skips_away_inactive_website_and_trainer_members(rr):
    first, second, third, fourth = counselors(rr, 4)
    public.website_user(rr.center)  # a COUNSELOR member, but nobody's colleague
    away(second, rr.center, today(rr.center))
    third.is_active = False
    third.save()
    got = [make_lead(rr.center, rr.admin).assigned_to for _ in range(4)]
    assert got == [first, fourth, first, fourth]
    assert rr.trainer not in got and rr.admin not in got


def test_away_ends_after_its_date(rr):
    first, second = counselors(rr, 2)
    away(second, rr.center, today(rr.center) - datetime.timedelta(days=1))
    assert [make_lead(rr.center, rr.admin).assigned_to for _ in range(2)] == [first, second]


def test_with_every_counselor_away_the_center_admins_take_turns(rr):
    away(rr.counselor, rr.center, today(rr.center) + datetime.timedelta(days=3))
    other_admin = UserFactory(username="tlgc_admin2", role=Role.CENTER_ADMIN, centers=[rr.center])
    assert [make_lead(rr.center, rr.counselor).assigned_to for _ in range(3)] == [rr.admin, other_admin, rr.admin]


def test_with_nobody_available_the_recorder_keeps_it_and_a_web_lead_waits_unassigned(rr):
    away(rr.counselor, rr.center, today(rr.center))
    away(rr.admin, rr.center, today(rr.center))
    assert make_lead(rr.center, rr.counselor).assigned_to == rr.counselor
    assert make_lead(rr.center, public.website_user(rr.center)).assigned_to is None


def test_recorder_mode_keeps_staff_leads_and_round_robins_what_comes_in_by_itself(c):
    assert c.center.assignment_mode == AssignmentMode.RECORDER  # existing and new centers
    first, second = counselors(c, 2)
    assert make_lead(c.center, c.admin).assigned_to == c.admin
    assert make_lead(c.center, second).assigned_to == second
    web = public.website_user(c.center)
    assert [make_lead(c.center, web).assigned_to for _ in range(3)] == [first, second, first]


def test_by_source_routes_and_falls_back_to_round_robin(c):
    use_mode(c.center, AssignmentMode.BY_SOURCE)
    first, second = counselors(c, 2)
    AssignmentRoute.objects.create(center=c.center, source=LeadSource.SOCIAL_MEDIA, assign_to=second)
    assert make_lead(c.center, c.admin, source=LeadSource.SOCIAL_MEDIA).assigned_to == second
    assert make_lead(c.center, c.admin, source=LeadSource.SOCIAL_MEDIA).assigned_to == second
    assert make_lead(c.center, c.admin, source=LeadSource.WALK_IN).assigned_to == first  # no route
    away(second, c.center, today(c.center))
    assert make_lead(c.center, c.admin, source=LeadSource.SOCIAL_MEDIA).assigned_to == first  # route's counselor away


def test_by_program_routes_and_falls_back_to_round_robin(c):
    use_mode(c.center, AssignmentMode.BY_PROGRAM)
    first, second = counselors(c, 2)
    gym, art = ProgramFactory(center=c.center, name="Gym"), ProgramFactory(center=c.center, name="Art")
    AssignmentRoute.objects.create(center=c.center, program=gym, assign_to=second)
    assert make_lead(c.center, c.admin, program=gym).assigned_to == second
    assert make_lead(c.center, c.admin, program=art).assigned_to == first
    assert make_lead(c.center, c.admin).assigned_to == second  # no program: round-robin goes on
    second.is_active = False
    second.save()
    assert make_lead(c.center, c.admin, program=gym).assigned_to == first


def test_a_route_is_for_a_source_or_a_program_of_the_center(c, b):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as both:
        AssignmentRoute(
            center=c.center, source="WALK_IN", program=ProgramFactory(center=c.center), assign_to=c.counselor
        ).full_clean()
    assert "source" in both.value.message_dict
    with pytest.raises(ValidationError) as foreign:
        AssignmentRoute(center=c.center, program=ProgramFactory(center=b.center), assign_to=b.counselor).full_clean()
    assert set(foreign.value.message_dict) == {"program", "assign_to"}


def test_an_explicit_assignee_wins_over_the_rule(rr):
    first, second = counselors(rr, 2)
    assert make_lead(rr.center, rr.admin, assigned_to=second).assigned_to == second
    assert make_lead(rr.center, rr.admin).assigned_to == first  # the cursor did not move for it
    assert not DetailChange.objects.filter(lead__assigned_to=second).exists()


def test_a_duplicate_enquiry_does_not_use_up_a_turn(rr):
    from leads.models.lead import DuplicateEnquiry

    first, second = counselors(rr, 2)
    lead = make_lead(rr.center, rr.admin)
    parent = lead.child.parents.get()
    child = {"first_name": lead.child.first_name, "last_name": lead.child.last_name, "dob": lead.child.dob}
    with pytest.raises(DuplicateEnquiry):
        make_lead(
            rr.center, rr.admin, child={**child, "gender": "Girl"}, parent={"name": parent.name, "phone": parent.phone}
        )
    assert make_lead(rr.center, rr.admin).assigned_to == second


# -- the timeline ------------------------------------------------------------------------------------


def test_the_timeline_says_who_got_it_and_by_which_rule(client, c):
    use_mode(c.center, AssignmentMode.BY_SOURCE)
    first, second = counselors(c, 2)
    second.first_name, second.last_name = "Priya", "Sharma"
    second.save()
    AssignmentRoute.objects.create(center=c.center, source=LeadSource.SOCIAL_MEDIA, assign_to=second)
    routed = make_lead(c.center, c.admin, source=LeadSource.SOCIAL_MEDIA)
    turned = make_lead(c.center, c.admin)
    assert routed.detail_changes.get().summary == "Assigned to Priya Sharma by source: Social media"
    assert turned.detail_changes.get().summary == f"Assigned to {first} by round-robin"
    client.force_login(c.admin)
    page = client.get(reverse("leads:lead_detail", args=[routed.pk])).content.decode()
    assert "Assigned to Priya Sharma by source: Social media" in page


def test_a_recorder_keeping_the_lead_adds_no_timeline_entry(c):
    assert not make_lead(c.center, c.counselor).detail_changes.exists()


# -- every door --------------------------------------------------------------------------------------


def _staff_form(**overrides):
    data = {
        "child_first_name": "Mehr",
        "child_last_name": "Goyal",
        "child_dob": "2020-06-15",
        "child_gender": "Girl",
        "parent_name": "Anshu Goyal",
        "parent_phone": "+91 98765 43210",
        "parent_email": "anshu@example.com",
        "source": "WALK_IN",
        "consent_processing": "on",
        "consent_method": "IN_PERSON",
    }
    data.update(overrides)
    return data


def test_staff_form_left_on_automatic_gets_the_rules_assignee(client, rr):
    first, second = counselors(rr, 2)
    client.force_login(second)
    page = client.get(reverse("leads:enquiry_new")).content.decode()
    assert "Automatic (the center&#x27;s rule)" in page
    response = client.post(reverse("leads:enquiry_new"), _staff_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Lead.objects.get().assigned_to == first  # not the counselor who typed it


def test_staff_form_on_recorder_center_still_says_me(client, c):
    client.force_login(c.counselor)
    assert '<option value="" selected>Me</option>' in client.get(reverse("leads:enquiry_new")).content.decode()


def test_staff_form_explicit_assignee_wins(client, rr):
    first, second = counselors(rr, 2)
    client.force_login(rr.admin)
    client.post(reverse("leads:enquiry_new"), _staff_form(assigned_to=second.pk))
    assert Lead.objects.get().assigned_to == second


API_ENQUIRY = {
    "child": {"first_name": "Mehr", "last_name": "Goyal", "dob": "2020-06-15", "gender": "Girl"},
    "parent": {"name": "Anshu Goyal", "contact_number": "+91-9876543210"},
    "source": "WALK_IN",
    "consent": {"method": "PHONE_VERBAL", "processing": True},
}


def test_api_without_assignee_gets_the_rules_assignee_and_an_explicit_one_wins(rr):
    first, second = counselors(rr, 2)
    api = ApiClient(rr.admin)
    body = api.post("/leads/enquiry", API_ENQUIRY).json()
    assert body["assigned_to_user_id"] == first.pk
    explicit = {
        **API_ENQUIRY,
        "child": {**API_ENQUIRY["child"], "first_name": "Kabir"},
        "assigned_to_user_id": rr.counselor.pk,
    }
    assert api.post("/leads/enquiry", explicit).json()["assigned_to_user_id"] == rr.counselor.pk


def test_public_form_gets_the_rules_assignee(client, c):
    use_mode(c.center, AssignmentMode.BY_SOURCE)
    first, second = counselors(c, 2)
    AssignmentRoute.objects.create(center=c.center, source=LeadSource.SOCIAL_MEDIA, assign_to=second)
    cache.clear()
    data = {
        "parent_name": "Anita Rao",
        "parent_phone": "98765 11122",
        "child_first_name": "Meera",
        "child_last_name": "Rao",
        "child_gender": "Girl",
        "child_age": "4",
        "source": LeadSource.SOCIAL_MEDIA,
        "consent_processing": "on",
        "consent_notice_version": str(PrivacyNotice.current_for(c.center).version),
        "started": public.form_token(c.center, time.time() - 10),
        "website": "",
    }
    response = client.post("/enquire/TLGC/", data, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Mozilla/5.0")
    cache.clear()
    assert response.status_code == 302, response.context["form"].errors
    lead = Lead.objects.get()
    assert lead.assigned_to == second
    assert lead.detail_changes.get().summary == f"Assigned to {second} by source: Social media"


def test_webhook_source_without_assignee_gets_the_rules_assignee(rr):
    first, second = counselors(rr, 2)
    make_lead(rr.center, rr.admin)  # first's turn is used
    IntakeSource.objects.create(center=rr.center, kind="generic", secret="s3cret", assign_to=None)
    raw = json.dumps(
        {
            "id": "site-1",
            "parent_name": "Anita Rao",
            "phone": "+91 98100 12345",
            "child_name": "Kabir Rao",
            "child_age": 4,
            "child_gender": "boy",
            "consent": {
                "processing": True,
                "address": "203.0.113.7",
                "user_agent": "Mozilla/5.0",
                "obtained_at": "2026-01-10T09:30:00+05:30",
            },
        }
    ).encode()
    stamp = int(time.time())
    signature = hmac.new(b"s3cret", f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    response = Client().post(
        "/api/v1/intake/TLGC/generic",
        raw,
        content_type="application/json",
        headers={"X-Signature": f"sha256={signature}", "X-Timestamp": str(stamp)},
    )
    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert item["status"] == "CREATED", item
    assert Lead.objects.get(pk=item["lead_id"]).assigned_to == second


# -- the load in admin -------------------------------------------------------------------------------


def test_center_admin_sees_open_leads_per_counselor_and_who_is_away(client, c, b):
    first, second = counselors(c, 2)
    for _ in range(3):
        make_lead(c.center, c.admin, assigned_to=second)
    make_lead(b.center, b.admin, assigned_to=b.counselor)
    away(first, c.center, today(c.center) + datetime.timedelta(days=2))
    client.force_login(c.admin)
    response = client.get(reverse("admin:accounts_center_change", args=[c.center.pk]))
    assert response.status_code == 200
    [staff] = [f for f in response.context["inline_admin_formsets"] if f.opts.model is CenterMembership]
    rows = {form.original.user: form.original for form in staff}
    assert set(rows) == {c.admin, first, second}  # no trainer, no other center's people
    assert (rows[second].open_leads, rows[first].open_leads, rows[c.admin].open_leads) == (3, 0, 0)
    assert rows[first].away_until == today(c.center) + datetime.timedelta(days=2)


def test_center_admin_marks_a_counselor_away_in_admin(client, c):
    url = reverse("admin:accounts_center_change", args=[c.center.pk])
    client.force_login(c.admin)
    page = client.get(url)
    data = _admin_form_data(page)
    staff = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is CenterMembership).formset
    index = next(i for i, form in enumerate(staff.forms) if form.instance.user == c.counselor)
    data[f"{staff.prefix}-{index}-away_until"] = "2030-01-31"
    data["assignment_mode"] = AssignmentMode.ROUND_ROBIN
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    c.center.refresh_from_db()
    assert c.center.assignment_mode == AssignmentMode.ROUND_ROBIN
    membership = CenterMembership.objects.get(
        user=c.counselor, content_object=c.center, permission__codename=MEMBERSHIP_PERM
    )
    assert membership.away_until == datetime.date(2030, 1, 31)


def _admin_form_data(page) -> dict:
    """The change page's form as the browser would post it back unchanged."""
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None:
                    data[form.add_prefix(name)] = value
    return data


def test_counselor_cannot_open_the_load_and_other_center_is_refused(client, c, b):
    client.force_login(c.counselor)
    response = client.get(reverse("admin:accounts_center_change", args=[c.center.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]  # not admin staff at all
    client.force_login(b.admin)
    assert client.get(reverse("admin:accounts_center_change", args=[c.center.pk])).status_code == 403


def test_admin_of_one_center_cannot_mark_away_where_only_a_counselor(client, c, b):
    # b.admin also counsels in TLGC: they see TLGC's page read-only, and a post changes nothing.
    b.admin.add_to_center(c.center, role=Role.COUNSELOR)
    url = reverse("admin:accounts_center_change", args=[c.center.pk])
    client.force_login(b.admin)
    page = client.get(url)
    assert page.status_code == 200
    staff = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is CenterMembership)
    assert not staff.has_change_permission and 'name="memberships-0-away_until"' not in page.content.decode()
    response = client.post(
        url, {"assignment_mode": AssignmentMode.ROUND_ROBIN, "memberships-0-away_until": "2030-01-01"}
    )
    assert response.status_code == 403
    c.center.refresh_from_db()
    assert c.center.assignment_mode == AssignmentMode.RECORDER
    assert not CenterMembership.objects.filter(away_until__isnull=False).exists()


# -- cost --------------------------------------------------------------------------------------------


def _queries_of_one_enquiry(center, by) -> int:
    with CaptureQueriesContext(connection) as queries:
        make_lead(center, by)
    return len(queries)


def test_the_rule_costs_the_same_queries_with_3_or_30_counselors(rr, django_assert_max_num_queries):
    counselors(rr, 3)
    make_lead(rr.center, rr.admin)  # the cursor row exists from here on
    small = _queries_of_one_enquiry(rr.center, rr.admin)
    for i in range(4, 31):
        UserFactory(username=f"more_counselor{i}", role=Role.COUNSELOR, centers=[rr.center])
    large = _queries_of_one_enquiry(rr.center, rr.admin)
    assert small == large
    with django_assert_max_num_queries(small):
        make_lead(rr.center, rr.admin)


# -- concurrency (PostgreSQL) ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_100_concurrent_enquiries_over_3_counselors_end_34_33_33(rr):
    team = counselors(rr, 3)
    web = public.website_user(rr.center)
    threads, per_thread = 25, 4  # 25 connections at once: the server allows 100 in all
    barrier = threading.Barrier(threads)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(per_thread):
                make_lead(rr.center, web)
        except Exception as error:  # asserted on below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert errors == []
    loads = Counter(Lead.objects.values_list("assigned_to", flat=True))
    assert sorted(loads.values(), reverse=True) == [34, 33, 33]
    assert set(loads) == {user.pk for user in team}
    assert loads[team[0].pk] == 34  # the first in turn got the extra one


def test_a_reassignment_is_on_the_timeline_too(client, c):
    other = UserFactory(username="tlgc_counselor2", first_name="Priya", last_name="Sharma", centers=[c.center])
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.admin)
    from leads.tests.test_lead_page import act

    act(client, lead, "reassign", {"assigned_to": other.pk})
    lead.refresh_from_db()
    assert lead.assigned_to == other
    assert lead.detail_changes.get().summary == f"Assigned to Priya Sharma (was {c.counselor})"
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert f"Assigned to Priya Sharma (was {c.counselor})" in page
