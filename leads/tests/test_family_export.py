import io
import json
import zipfile

from leads.family_export import build_family_export
from leads.tests.factories import make_lead


def test_export_holds_the_family_and_nothing_else(c):
    lead = make_lead(c.center, c.counselor)
    other = make_lead(c.center, c.counselor)

    archive = zipfile.ZipFile(io.BytesIO(build_family_export(lead.child)))

    names = set(archive.namelist())
    assert {"family.json", "parents.csv", "children.csv", "leads.csv", "status_history.csv"} <= names
    data = json.loads(archive.read("family.json"))
    assert [row["enquiry_id"] for row in data["leads"]] == [lead.enquiry_id]
    assert data["children"][0]["first_name"] == lead.child.first_name
    assert data["parents"][0]["phone"] == lead.child.parents.get().phone
    assert len(data["status_history"]) == 1
    assert other.child.first_name not in archive.read("children.csv").decode()
    assert lead.child.first_name in archive.read("children.csv").decode()
    [consent] = data["consents"]  # issue 10: what the parent agreed to, and the notice's text
    assert (consent["method"], consent["processing"], consent["reminders"]) == ("PHONE_VERBAL", True, True)
    assert consent["notice_version"] == 1 and "withdraw your consent" in consent["notice_text"]
    assert "consents.csv" in names


# -- doors: the lead page and the API ----------------------------------------------------------

import pytest  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import AccessAction, AccessLog  # noqa: E402


def test_center_admin_downloads_the_family_zip_from_the_lead_page_and_it_is_logged(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.admin)

    page = client.get(reverse("leads:lead_detail", args=[lead.pk]))
    assert reverse("leads:family_export", args=[lead.pk]) in page.content.decode()
    response = client.get(reverse("leads:family_export", args=[lead.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("family.json"))
    assert data["leads"][0]["enquiry_id"] == lead.enquiry_id
    row = AccessLog.objects.get(action=AccessAction.EXPORT, object_type="family")
    assert (row.user, row.center_id, row.family_id) == (c.admin, c.center.pk, lead.child.pk)


@pytest.mark.parametrize("who", ["counselor", "trainer"])
def test_staff_without_admin_rights_cannot_export_a_family(client, c, who):
    lead = make_lead(c.center, c.counselor)
    client.force_login(getattr(c, who))

    assert client.get(reverse("leads:family_export", args=[lead.pk])).status_code == 403
    if who == "counselor":
        assert (
            reverse("leads:family_export", args=[lead.pk])
            not in client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
        )
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


def test_another_centers_admin_cannot_export_a_family(client, c, b):
    lead = make_lead(c.center, c.counselor)
    client.force_login(b.admin)
    assert client.get(reverse("leads:family_export", args=[lead.pk])).status_code == 403


def test_export_is_get_only(client, c):
    lead = make_lead(c.center, c.counselor)
    client.force_login(c.admin)
    assert client.post(reverse("leads:family_export", args=[lead.pk])).status_code == 405
