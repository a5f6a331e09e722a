"""GET /api/v1/families/{id}/export: the family's ZIP for center admins, logged."""

import io
import json
import zipfile

from accounts.models import AccessAction, AccessLog
from leads.tests.factories import make_lead


def test_center_admin_exports_a_family_by_its_child_id(api_as, c):
    lead = make_lead(c.center, c.counselor)
    family_id = api_as(c.admin).get(f"/api/v1/leads/{lead.pk}/details").json()["child"]["id"]

    response = api_as(c.admin).get(f"/api/v1/families/{family_id}/export")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("family.json"))
    assert [row["enquiry_id"] for row in data["leads"]] == [lead.enquiry_id]
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, family_id=lead.child.pk, user=c.admin).count() == 1


def test_counselor_gets_403(api_as, c):
    lead = make_lead(c.center, c.counselor)
    response = api_as(c.counselor).get(f"/api/v1/families/{lead.child.pk}/export")
    assert response.status_code == 403


def test_another_center_gets_403_and_unknown_404(api_as, c, b):
    lead = make_lead(c.center, c.counselor)
    assert api_as(b.admin).get(f"/api/v1/families/{lead.child.pk}/export").status_code == 403
    assert api_as(c.admin).get("/api/v1/families/999999/export").status_code == 404
    assert api_as(c.admin).get("/api/v1/families/0/export").status_code == 404
