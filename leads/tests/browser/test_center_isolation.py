"""In real Chromium: a counselor of TLGB cannot see TLGC data anywhere."""

import pytest
from playwright.sync_api import Page, expect

from leads.tests.factories import make_lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tlgb_counselor_cannot_see_tlgc_data(page: Page, live_server, c, b):
    tlgc_lead = make_lead(
        c.center,
        c.counselor,
        child={"first_name": "Gurgaonchild", "last_name": "Secret", "dob": "2020-01-01", "gender": "Boy"},
        parent={"name": "Gurgaon Parent", "phone": "+919811112222", "email": ""},
    )
    tlgb_lead = make_lead(b.center, b.counselor)

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "tlgb_counselor")
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/leads/")
    results = page.locator("#lead-results")
    expect(results).to_contain_text(tlgb_lead.enquiry_id)
    expect(results).not_to_contain_text("TLGC")
    expect(page.locator("#id_assigned_to")).not_to_contain_text(str(c.counselor))

    for query in ("Gurgaonchild", "11112222", tlgc_lead.enquiry_id, "Gurgaon Parent"):
        page.fill("#id_q", query)
        expect(results).to_contain_text("No leads match")

    response = page.goto(f"{live_server.url}/leads/{tlgc_lead.pk}/")
    assert response.status == 403
    expect(page.locator("body")).not_to_contain_text("Gurgaonchild")

    csv = page.request.get(f"{live_server.url}/leads/export.csv")
    assert tlgb_lead.enquiry_id in csv.text() and "TLGC" not in csv.text()

    # The enquiry form's family lookup never reveals the other center's family.
    page.goto(f"{live_server.url}/enquiries/new/")
    page.fill("#id_parent_phone", "98111 12222")
    page.locator("#id_parent_phone").blur()
    page.fill("#id_parent_name", "x")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#phone-match")).to_be_empty()
