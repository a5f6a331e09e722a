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
