"""API reads of a lead are access-logged."""

from accounts.models import AccessLog
from leads.tests.factories import make_lead


def test_api_lead_and_details_are_logged(api_as, c):
    lead = make_lead(c.center, c.counselor)
    api = api_as(c.counselor)
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    assert api.get(f"/api/v1/leads/{lead.pk}/details").status_code == 200
    rows = list(AccessLog.objects.order_by("pk").values_list("user_id", "detail", "family_id"))
    assert rows == [(c.counselor.pk, "api lead", lead.child_id), (c.counselor.pk, "api lead details", lead.child_id)]
