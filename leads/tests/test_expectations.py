"""Parent expectations are each center's own list, edited in admin: adding one needs no code."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from accounts.models import Center
from api.tests.conftest import ApiClient
from leads.lifecycle import ParentExpectation
from leads.models import ExpectationChoice, Lead
from leads.tests.factories import CenterFactory, make_lead
from leads.tests.test_enquiry import URL as ENQUIRY_URL
from leads.tests.test_enquiry import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def swimming(c):
    """A choice a center admin added in admin (no code change)."""
    return ExpectationChoice.objects.create(center=c.center, code="water_confidence", label="Water confidence")


def test_every_center_starts_with_the_usual_list():
    center = CenterFactory(code="TLGN")
    assert ExpectationChoice.choices_for(center) == list(ParentExpectation.choices)


def test_the_migration_seeds_centers_that_have_no_list():
    # A center from before the migration (created here without the factory's seeding).
    center = Center.objects.create(name="Old center", code="OLDC")
    assert not ExpectationChoice.objects.filter(center=center).exists()
    migration = importlib.import_module("leads.migrations.0005_followups_expectation_choices")
    migration.seed_every_center(django_apps, None)
    assert ExpectationChoice.choices_for(center) == list(ParentExpectation.choices)


def test_a_choice_added_in_admin_is_offered_and_accepted_by_the_enquiry_form(client, c, swimming):
    client.force_login(c.counselor)
    page = client.get(ENQUIRY_URL).content.decode()
    assert 'value="water_confidence"' in page and "Water confidence" in page
    response = client.post(ENQUIRY_URL, form_data(parent_expectations=["water_confidence", "confidence"]))
    assert response.status_code == 302
    assert Lead.objects.get().parent_expectations == ["water_confidence", "confidence"]


def test_another_centers_choice_is_not_offered_nor_accepted(client, c, b):
    ExpectationChoice.objects.create(center=b.center, code="horse_riding", label="Horse riding")
    client.force_login(c.counselor)
    assert "Horse riding" not in client.get(ENQUIRY_URL).content.decode()
    response = client.post(ENQUIRY_URL, form_data(parent_expectations=["horse_riding"]))
    assert response.status_code == 400
    html = response.content.decode()
    errors = html[html.index('id="errors-parent_expectations"') :]
    assert errors[: errors.index("</div>")].count("horse_riding is not one of the available choices") == 1
    assert not Lead.objects.exists()


def test_a_retired_choice_stays_on_the_lead_but_is_not_offered_to_new_ones(client, c):
    lead = make_lead(c.center, c.counselor, parent_expectations=["discipline"])
    ExpectationChoice.objects.filter(center=c.center, code="discipline").update(active=False)
    client.force_login(c.counselor)
    assert 'value="discipline"' not in client.get(ENQUIRY_URL).content.decode()
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert "Discipline and focus" in page  # the lead's answer still reads as its label
    lead.complete_discovery(parent_expectations=["discipline", "confidence"], by=c.counselor)
    assert Lead.objects.get(pk=lead.pk).parent_expectations == ["discipline", "confidence"]


def test_discovery_form_offers_the_leads_center_list(client, c, swimming):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.counselor)
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert 'name="discovery-parent_expectations" value="water_confidence"' in page


def test_api_accepts_the_centers_own_choice_and_lists_them(c, swimming):
    api = ApiClient(c.counselor)
    lead = make_lead(c.center, c.counselor)
    response = api.patch(f"/leads/{lead.pk}/discovery", {"parent_expectations": ["water_confidence"]})
    assert response.status_code == 200, response.content
    assert response.json()["parent_expectations"] == ["water_confidence"]
    listed = api.get("/parent-expectations", center_id=c.center.pk).json()
    assert {"center_id": c.center.pk, "code": "water_confidence", "label": "Water confidence"} in listed


def test_api_unknown_expectation_is_a_422_listing_the_centers_choices(c, swimming):
    api = ApiClient(c.counselor)
    lead = make_lead(c.center, c.counselor)
    response = api.patch(f"/leads/{lead.pk}/discovery", {"parent_expectations": ["magic"]})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "parent_expectations"]
    assert error["msg"].startswith("Unknown expectation: magic. Choose from child_development,")
    assert "water_confidence" in error["msg"]


def test_api_enquiry_refuses_another_centers_choice(c, b):
    ExpectationChoice.objects.create(center=b.center, code="horse_riding", label="Horse riding")
    from api.tests.test_scenarios import ENQUIRY

    response = ApiClient(c.counselor).post("/leads/enquiry", {**ENQUIRY, "parent_expectations": ["horse_riding"]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "parent_expectations"]


def test_center_admin_edits_only_own_centers_choices(client, c, b, swimming):
    ExpectationChoice.objects.create(center=b.center, code="horse_riding", label="Horse riding")
    client.force_login(c.admin)
    listing = client.get(reverse("admin:leads_expectationchoice_changelist")).content.decode()
    assert "Water confidence" in listing and "Horse riding" not in listing
    theirs = ExpectationChoice.objects.get(code="horse_riding")
    assert client.get(reverse("admin:leads_expectationchoice_change", args=[theirs.pk])).status_code == 403
    added = client.post(
        reverse("admin:leads_expectationchoice_add"),
        {"center": c.center.pk, "code": "team_spirit", "label": "Team spirit", "active": "on", "order": 90},
    )
    assert added.status_code == 302
    refused = client.post(
        reverse("admin:leads_expectationchoice_add"),
        {"center": b.center.pk, "code": "sneaky", "label": "Sneaky", "active": "on", "order": 1},
    )
    assert refused.status_code == 200 and not ExpectationChoice.objects.filter(code="sneaky").exists()
    assert ("team_spirit", "Team spirit") in ExpectationChoice.choices_for(c.center)


def test_a_center_added_in_admin_gets_the_usual_list(client, superadmin):
    superadmin.is_staff = superadmin.is_superuser = True
    superadmin.save()
    client.force_login(superadmin)
    response = client.post(
        reverse("admin:accounts_center_add"),
        {
            "name": "New Center",
            "code": "NEWC",
            "city": "Pune",
            "timezone": "Asia/Kolkata",
            "follow_up_interval_days": 3,
            # What the add form shows filled in (issue 10: retention periods).
            "closed_lost_retention_months": 24,
            "converted_retention_months": 24,
            "access_log_retention_months": 13,
            "assignment_mode": "RECORDER",  # issue 11: automatic assignment
        },
    )
    assert response.status_code == 302, response.content
    assert ExpectationChoice.choices_for(Center.objects.get(code="NEWC")) == list(ParentExpectation.choices)
